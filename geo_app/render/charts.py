"""Server-side SVG charts (matplotlib, Agg) of progress against plan 4798's targets. No Flask, no folium.

Deterministic output: fixed hash salt per chart, no date metadata, text kept as text in DejaVu Sans.
"""
from __future__ import annotations

import io
import re
import threading
from functools import cache
from xml.sax.saxutils import escape
from collections.abc import Sequence

from geo_app.domain import plan
from geo_app.domain.messages import fixed, percent, translator
from geo_app.model.planning import ProgressPoint

NTM_COLOR = "#2c7fb8"  # YlGnBu blue
NANG_CAO_COLOR = "#d95f02"  # orange: distinct for colour-blind readers; lines also differ in style and marker
TEXT_COLOR = "#252525"
# Drawn at 4.2 x 3.1 in (302 x 223 SVG units) with text of at least 11.5 units: shown at 320 px or wider (the
# page's chart boxes), every text is at least 12 CSS px.
FIGSIZE = (4.2, 3.1)
MIN_TEXT = 11.5
MIN_DISPLAY_PX = 320
_RC = {"font.family": "DejaVu Sans", "svg.fonttype": "none", "font.size": MIN_TEXT, "axes.edgecolor": "#737373",
       "xtick.labelsize": MIN_TEXT, "ytick.labelsize": MIN_TEXT, "axes.labelsize": MIN_TEXT}
_LOCK = threading.Lock()  # rcParams are global: render one chart at a time


@cache
def _matplotlib():
    """matplotlib (Agg) and its Figure, imported on the first chart: pages served from the cache never need it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return matplotlib, Figure


def _labels(lang: str) -> dict[str, str]:
    """The chart's texts in `lang`, from the gettext catalogs; the plan's goals written by Babel."""
    _ = translator(lang)
    ntm, nc = percent(plan.SHARE_NTM / 100, lang), percent(plan.SHARE_NANG_CAO / 100, lang)
    return {"ntm": "NTM", "nc": _("advanced"), "target_ntm": _("goal %(share)s") % {"share": ntm},
            "target_nc": _("goal %(share)s") % {"share": nc}, "y": _("%% of xã") % {}, "year": _("year"),
            "illustrative": _("Illustrative data"), "none": _("no data"),
            "desc": _("Share of xã reaching NTM and advanced NTM each year; 2025 goals %(ntm)s and %(nc)s.")
            % {"ntm": ntm, "nc": nc},
            "ntm_long": _("xã reaching NTM"), "nc_long": _("advanced NTM"), "chart": _("Chart")}


def description(points: Sequence[ProgressPoint], title: str, lang: str = "vi") -> str:
    """The chart in words (its text alternative): every value it draws."""
    text = _labels(lang)

    def series(values: list[tuple[int, float | None]]) -> str:
        return ", ".join(f"{year}: {'—' if v is None else percent(v / 100, lang, 1)}" for year, v in values)

    return (f"{title}. {text['desc']} {text['ntm_long']}: {series([(p.year, p.pct_ntm) for p in points])}; "
            f"{text['nc_long']}: {series([(p.year, p.pct_nang_cao) for p in points])}.")


def progress_svg(points: Sequence[ProgressPoint], title: str, lang: str = "vi", salt: str = "province") -> str:
    """A line chart of the share of xã NTM and nâng cao per year, with the 80 % / 40 % target lines (SVG text)."""
    text = _labels(lang)
    years = [p.year for p in points]
    first = min(years, default=2021)
    matplotlib, Figure = _matplotlib()
    with _LOCK, matplotlib.rc_context({**_RC, "svg.hashsalt": f"ntm-progress-{salt}"}):
        fig = Figure(figsize=FIGSIZE, dpi=100)
        ax = fig.add_subplot()
        ntm, nang_cao = [p.pct_ntm for p in points], [p.pct_nang_cao for p in points]
        _series(ax, years, ntm, NTM_COLOR, "-", "o", text["ntm"], lang=lang)
        _series(ax, years, nang_cao, NANG_CAO_COLOR, "--", "s", text["nc"], below=close_below(ntm, nang_cao),
                lang=lang)
        ax.axhline(plan.SHARE_NTM, color=NTM_COLOR, linestyle=":", linewidth=1.2, label=text["target_ntm"])
        ax.axhline(plan.SHARE_NANG_CAO, color=NANG_CAO_COLOR, linestyle=":", linewidth=1.2, label=text["target_nc"])
        ax.set_xlim(first - 0.4, plan.TARGET_YEAR + 0.4)
        ax.set_xticks(list(range(first, plan.TARGET_YEAR + 1)))
        ax.set_ylim(0, Y_TOP)  # room above 100 for a value's label, below the title
        ax.set_yticks([0, 50, 100])
        ax.set_ylabel(text["y"])
        ax.set_title(title, color=TEXT_COLOR, fontsize=MIN_TEXT + 1, loc="left", fontweight="bold")
        ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        fig.legend(loc="lower left", bbox_to_anchor=(0.0, 0.0), fontsize=MIN_TEXT, frameon=False, ncol=2,
                   handlelength=1.6, columnspacing=0.8)
        if any(p.illustrative for p in points):
            fig.text(0.99, 0.995, text["illustrative"], ha="right", va="top", fontsize=MIN_TEXT, color="#b35806")
        fig.tight_layout(rect=(0, 0.2, 1, 0.93 if any(p.illustrative for p in points) else 1))
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = prefix_ids(without_style(buf.getvalue()), f"ntm-{salt}")
    return accessible(svg, title, description(points, title, lang), f"ntm-{salt}")


_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def without_style(svg: str) -> str:
    """Drop matplotlib's <style> block (a CSP with nonces blocks it; the page's CSS sets the same rule)."""
    return _STYLE.sub("", svg)


def accessible(svg: str, title: str, desc: str, prefix: str) -> str:
    """role="img" with a <title> and a <desc> holding every value: the chart's text alternative."""
    def opening(m: re.Match) -> str:
        tag = m.group(0)[:-1] + ' role="img" aria-labelledby="title-{0} desc-{0}">'.format(prefix)
        return (f'{tag}<title id="title-{prefix}">{escape(title)}</title>'
                f'<desc id="desc-{prefix}">{escape(desc)}</desc>')
    return _SVG_OPEN.sub(opening, svg, count=1)


def prefix_ids(svg: str, prefix: str) -> str:
    """Make every id (and reference to it) unique to this chart, so several charts can share one HTML page."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    return re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{prefix}-{m.group(1)}"', svg)


Y_TOP = 124  # the value axis ends here: a label over a point at 100 stays inside the axes
LABEL_BACKGROUND = {"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
CLOSE = 20  # percentage points: the lower series' label goes under its point when the upper one is this close


def close_below(upper: list[float | None], lower: list[float | None]) -> list[bool]:
    """Per year: whether the lower series' value label goes under its point (the upper series' label is above
    its own point and would meet it); never where that would put it on the axis."""
    return [u is not None and v is not None and u - v < CLOSE and v >= CLOSE for u, v in zip(upper, lower)]


def _series(ax, years: list[int], values: list[float | None], color: str, style: str, marker: str,
            label: str, below: list[bool] | None = None, lang: str = "vi") -> None:
    ys = [float("nan") if v is None else v for v in values]
    ax.plot(years, ys, color=color, linestyle=style, marker=marker, linewidth=1.8, markersize=5, label=label)
    for x, v, under in zip(years, values, below or [False] * len(values)):
        if v is not None:
            ax.annotate(fixed(v, lang), (x, v), textcoords="offset points", xytext=(0, -6 if under else 5), ha="center",
                        va="top" if under else "baseline", fontsize=MIN_TEXT, color=color,
                        bbox=LABEL_BACKGROUND)  # the target lines pass behind a value, not through it


_PROLOG = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.S)


def inline_svg(svg: str) -> str:
    """The <svg> element alone (no XML declaration or doctype), for embedding in an HTML page."""
    return _PROLOG.sub("", svg, count=1)
