"""Measure and wrap text in points, so slides and figures can be laid out before anything is drawn.

Widths come from DejaVu Sans (shipped with matplotlib): it is what LibreOffice substitutes for the deck's
theme font on a Debian server and it is wider than Calibri or Arial, so a layout that fits here also fits
in PowerPoint. No Flask.
"""
from __future__ import annotations

from functools import lru_cache

from matplotlib import font_manager
from PIL import ImageFont

LINE_SPACING = 1.22  # line height / font size (DejaVu Sans ascent + descent is 1.164)
_REFERENCE = 1000  # measure at 1000 px, scale linearly


@lru_cache(maxsize=4)
def _font(bold: bool) -> ImageFont.FreeTypeFont:
    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans",
                                                              weight="bold" if bold else "normal"))
    return ImageFont.truetype(path, _REFERENCE)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of one line of `text` in points at `size` pt."""
    return _font(bold).getlength(text) * size / _REFERENCE


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap of `text` (may contain newlines) to `width` points; over-long words are split."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size, bold) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = word
            while text_width(line, size, bold) > width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and text_width(line[:cut], size, bold) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


def line_count(text: str, width: float, size: float, bold: bool = False) -> int:
    return len(wrap(text, width, size, bold))


def text_height(lines: int, size: float) -> float:
    """Height in points of `lines` lines at `size` pt."""
    return lines * size * LINE_SPACING
