"""Text drawn once per process, not once per map: text measures, shaping, glyph bitmaps and outlines.

matplotlib (3.11) draws each text of a PNG by shaping it (`FT2Font._layout`) and rendering every glyph with
FreeType at its sub-pixel position (`_render_glyph`); it measures texts once per renderer, and each figure (each
PDF) has its own; haloed labels are drawn as outlines, made again for every label. A batch of maps draws the same
texts again and again (title, legend, summary, footer, district names: about half of a district map's glyphs), so
each process keeps:

- the measures of a text (width, height, descent) by its font properties, dpi and hinting (Agg and PDF);
- the shaping of a text (its glyphs and their offsets) by its font, size, dpi and options (Agg);
- the bitmap of a glyph by its font, size, dpi and the fraction of a pixel it starts at (FreeType renders a glyph
  moved by whole pixels as the same bitmap, moved), for straight (unrotated, unslanted) anti-aliased text (Agg);
- the outline of a text (`TextToPath.get_text_path`, drawn for haloed labels in every format).

The files are those matplotlib makes (the same bytes; tests/test_render_static.py). Wraps matplotlib's private
methods only if they still have the shape this was written for; otherwise nothing changes.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

KEPT = {"metrics": 8192, "vector_metrics": 8192, "layouts": 4096, "glyphs": 65536, "paths": 4096}  # entries kept per process (a glyph: ≈ 0.2 kB)
_KEPT: dict[str, OrderedDict] = {name: OrderedDict() for name in KEPT}
_LOCK = threading.Lock()
_STATS = {"glyphs_drawn": 0, "glyphs_rendered": 0}


def install(vector: bool = False) -> bool:
    """Patch RendererAgg (once per process), and with `vector` the PDF/PS text measures and text outlines (that
    imports matplotlib's PDF/PS helpers, and fontTools with them: not for PNGs); False where matplotlib's methods
    are not the expected ones."""
    from matplotlib.backends import backend_agg

    installed = _install_agg(backend_agg)
    if vector:
        with _LOCK:
            installed = _install_vector() and installed
    return installed


def _install_agg(backend_agg) -> bool:
    renderer = backend_agg.RendererAgg
    with _LOCK:
        if getattr(renderer.draw_text, "ntm_kept", False):
            return True
        if not _as_expected(backend_agg):
            return False
        original_draw, original_metrics = renderer.draw_text, renderer.get_text_width_height_descent

        def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
            if ismath or angle or not gc.get_antialiased():
                return original_draw(self, gc, x, y, s, prop, angle, ismath, mtext)
            flags = backend_agg.get_hinting_flag()
            features = mtext.get_fontfeatures() if mtext is not None else None
            language = mtext.get_language() if mtext is not None else None
            size = prop.get_size_in_points()
            key = (threading.get_ident(), prop.copy(), size, self.dpi, s, flags, _hashable(features),
                   _hashable(language), _rc())  # (get_font gives each thread its own FT2Font)
            items = _get("layouts", key)
            if items is None:
                font = self._prepare_font(prop)
                items = tuple((item.ft_object, item.glyph_index, item.x, item.y)
                              for item in font._layout(s, flags=flags, features=features, language=language))
                _put("layouts", key, items)
            _draw_glyphs(self, gc, x, y, size, items, flags)

        def get_text_width_height_descent(self, s, prop, ismath):
            if ismath:
                return original_metrics(self, s, prop, ismath)
            key = (s, prop.copy(), self.dpi, backend_agg.get_hinting_flag(), _rc())
            metrics = _get("metrics", key)
            if metrics is None:
                metrics = original_metrics(self, s, prop, ismath)
                _put("metrics", key, metrics)
            return metrics

        draw_text.ntm_kept = get_text_width_height_descent.ntm_kept = True
        draw_text.__wrapped__, get_text_width_height_descent.__wrapped__ = original_draw, original_metrics
        renderer.draw_text = draw_text
        renderer.get_text_width_height_descent = get_text_width_height_descent
        return _install_paths()


def _install_vector() -> bool:
    """The PDF/PS renderer's text measures, kept per process."""
    import matplotlib
    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    base = pdf_ps.RendererPDFPSBase
    original_metrics = base.get_text_width_height_descent
    if getattr(original_metrics, "ntm_kept", False):
        return True
    if not _vector_as_expected(pdf_ps):
        return False

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return original_metrics(self, s, prop, ismath)
        afm = getattr(self, "_use_afm_rc_name", None)
        key = (type(self), s, prop.copy(), matplotlib.rcParams[afm] if afm else None, _rc())
        metrics = _get("vector_metrics", key)
        if metrics is None:
            metrics = original_metrics(self, s, prop, ismath)
            _put("vector_metrics", key, metrics)
        return metrics

    get_text_width_height_descent.ntm_kept = True
    get_text_width_height_descent.__wrapped__ = original_metrics
    base.get_text_width_height_descent = get_text_width_height_descent
    return True


def _install_paths() -> bool:
    """The outlines of texts drawn as paths (haloed labels, in every format), kept per process."""
    from matplotlib.textpath import TextToPath

    original_path = TextToPath.get_text_path
    if getattr(original_path, "ntm_kept", False):
        return True
    if not _paths_as_expected(TextToPath):
        return False

    def get_text_path(self, prop, s, ismath=False, *, features=None, language=None):
        if ismath or type(self) is not TextToPath:
            return original_path(self, prop, s, ismath, features=features, language=language)
        key = (threading.get_ident(), prop.copy(), s, _hashable(features), _hashable(language), _rc())
        kept = _get("paths", key)
        if kept is None:
            kept = original_path(self, prop, s, ismath, features=features, language=language)
            kept = (tuple(kept[0]), tuple(kept[1]))
            _put("paths", key, kept)
        verts, codes = kept
        return list(verts) if len(verts) else _empty_verts(), list(codes)

    get_text_path.ntm_kept = True
    get_text_path.__wrapped__ = original_path
    TextToPath.get_text_path = get_text_path
    return True


def _empty_verts():
    import numpy as np

    return np.empty((0, 2))


def uninstall() -> None:
    """Put matplotlib's own methods back and forget what was kept (for tests)."""
    from matplotlib.backends import backend_agg

    import sys

    from matplotlib.textpath import TextToPath

    owners = [(backend_agg.RendererAgg, "draw_text"), (backend_agg.RendererAgg, "get_text_width_height_descent"),
              (TextToPath, "get_text_path")]
    pdf_ps = sys.modules.get("matplotlib.backends._backend_pdf_ps")  # (not imported for it)
    if pdf_ps is not None:
        owners.append((pdf_ps.RendererPDFPSBase, "get_text_width_height_descent"))
    with _LOCK:
        for owner, name in owners:
            method = owner.__dict__.get(name)
            if getattr(method, "ntm_kept", False):
                setattr(owner, name, method.__wrapped__)
        for kept in _KEPT.values():
            kept.clear()


def _draw_glyphs(renderer, gc, x, y, size, items, flags) -> None:
    """What RendererAgg._draw_text_glyphs_and_boxes draws for straight text, each glyph's bitmap made once per
    font, size and sub-pixel phase: at delta (dx, dy) FreeType gives the bitmap at (dx mod 64, dy mod 64) moved by
    whole pixels."""
    from matplotlib.ft2font import RenderMode

    height = renderer.height
    dpi = renderer.dpi
    rc = _rc()
    draw_image = renderer._renderer.draw_text_image
    for font, glyph_index, dx, dy in items:
        px, py = round(0x40 * (x + dx)), round(0x40 * (height - y + dy))
        key = (font.fname, getattr(font, "face_index", 0), size, dpi, glyph_index, flags, px & 63, py & 63, rc)
        kept = _get("glyphs", key)
        if kept is None:
            font.set_size(size, dpi)
            font._set_transform([[0x10000, 0], [0, 0x10000]], [px & 63, py & 63])
            bitmap = font._render_glyph(glyph_index, flags, RenderMode.NORMAL)
            kept = (bitmap.buffer, bitmap.left, bitmap.top)
            _put("glyphs", key, kept)
            _STATS["glyphs_rendered"] += 1
        _STATS["glyphs_drawn"] += 1
        buffer, left, top = kept
        draw_image(buffer, left + (px >> 6), int(height) - (top + (py >> 6)) + buffer.shape[0], 0, gc)


def _get(name: str, key):
    kept = _KEPT[name]
    with _LOCK:
        value = kept.get(key)
        if value is not None:
            kept.move_to_end(key)
        return value


def _put(name: str, key, value) -> None:
    kept = _KEPT[name]
    with _LOCK:
        kept[key] = value
        while len(kept) > KEPT[name]:
            kept.popitem(last=False)


def _rc() -> tuple:
    """The settings FT2Font objects are made and laid out with (matplotlib's get_font and _layout read them)."""
    import matplotlib

    return tuple(matplotlib.rcParams[name] for name in RC_KEYS)


RC_KEYS = ("text.hinting", "text.hinting_factor", "text.kerning_factor", "text.antialiased")


def _hashable(value):
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _as_expected(backend_agg) -> bool:
    """RendererAgg still draws text the 3.11 way (shaping, then `_render_glyph` per glyph)."""
    import inspect

    renderer = backend_agg.RendererAgg
    try:
        draw = inspect.signature(renderer.draw_text).parameters
        metrics = inspect.signature(renderer.get_text_width_height_descent).parameters
        glyphs = inspect.getsource(renderer._draw_text_glyphs_and_boxes)
    except (TypeError, ValueError, OSError, AttributeError):
        return False
    from matplotlib import ft2font

    return (list(draw) == ["self", "gc", "x", "y", "s", "prop", "angle", "ismath", "mtext"]
            and list(metrics) == ["self", "s", "prop", "ismath"]
            and hasattr(renderer, "_prepare_font") and hasattr(backend_agg, "get_hinting_flag")
            and all(hasattr(ft2font.FT2Font, name) for name in ("_layout", "_render_glyph", "_set_transform"))
            and "_render_glyph" in glyphs and "draw_text_image" in glyphs)


def _vector_as_expected(pdf_ps) -> bool:
    import inspect

    try:
        vector = inspect.signature(pdf_ps.RendererPDFPSBase.get_text_width_height_descent).parameters
    except (TypeError, ValueError, AttributeError):
        return False
    return list(vector) == ["self", "s", "prop", "ismath"]


def _paths_as_expected(text_to_path) -> bool:
    import inspect

    try:
        path = inspect.signature(text_to_path.get_text_path).parameters
    except (TypeError, ValueError, AttributeError):
        return False
    return list(path) == ["self", "prop", "s", "ismath", "features", "language"]
