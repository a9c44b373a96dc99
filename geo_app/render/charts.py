"""Server-side SVG charts (matplotlib, Agg) of progress against plan 4798's targets. No Flask, no folium.

Deterministic output: fixed hash salt per chart, no date metadata, text kept as text in DejaVu Sans.
"""
from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

from geo_app.domain import plan  # noqa: E402
from geo_app.model.planning import ProgressPoint  # noqa: E402

NTM_COLOR = "#2c7fb8"  # YlGnBu blue
NANG_CAO_COLOR = "#d95f02"  # orange: distinct for colour-blind readers; lines also differ in style and marker
TEXT_COLOR = "#252525"
_RC = {"font.family": "DejaVu Sans", "svg.fonttype": "none", "font.size": 9, "axes.edgecolor": "#737373"}
_LOCK = threading.Lock()  # rcParams are global: render one chart at a time


def _labels(lang: str) -> dict[str, str]:
    if lang == "en":
        return {"ntm": "xã NTM (%)", "nc": "xã advanced NTM (%)", "target_ntm": "2025 target: 80 % NTM",
                "target_nc": "2025 target: 40 % advanced", "y": "share of xã (%)", "year": "year",
                "illustrative": "Illustrative data — not official figures", "none": "no data"}
    return {"ntm": "xã đạt chuẩn NTM (%)", "nc": "xã NTM nâng cao (%)", "target_ntm": "Mục tiêu 2025: 80 % NTM",
            "target_nc": "Mục tiêu 2025: 40 % nâng cao", "y": "tỷ lệ xã (%)", "year": "năm",
            "illustrative": "Dữ liệu minh họa — không phải số liệu chính thức", "none": "chưa có dữ liệu"}


def progress_svg(points: Sequence[ProgressPoint], title: str, lang: str = "vi", salt: str = "province") -> str:
    """A line chart of the share of xã NTM and nâng cao per year, with the 80 % / 40 % target lines (SVG text)."""
    text = _labels(lang)
    years = [p.year for p in points]
    first = min(years, default=2021)
    with _LOCK, matplotlib.rc_context({**_RC, "svg.hashsalt": f"ntm-progress-{salt}"}):
        fig = Figure(figsize=(6.4, 4.0), dpi=100)
        ax = fig.add_subplot()
        _series(ax, years, [p.pct_ntm for p in points], NTM_COLOR, "-", "o", text["ntm"])
        _series(ax, years, [p.pct_nang_cao for p in points], NANG_CAO_COLOR, "--", "s", text["nc"])
        ax.axhline(plan.SHARE_NTM, color=NTM_COLOR, linestyle=":", linewidth=1.2, label=text["target_ntm"])
        ax.axhline(plan.SHARE_NANG_CAO, color=NANG_CAO_COLOR, linestyle=":", linewidth=1.2, label=text["target_nc"])
        ax.set_xlim(first - 0.4, plan.TARGET_YEAR + 0.4)
        ax.set_xticks(list(range(first, plan.TARGET_YEAR + 1)))
        ax.set_ylim(0, 108)
        ax.set_ylabel(text["y"])
        ax.set_title(title, color=TEXT_COLOR, fontsize=10, loc="left")
        ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        fig.legend(loc="lower left", bbox_to_anchor=(0.01, 0.06), fontsize=7.5, frameon=False, ncol=2)
        if any(p.illustrative for p in points):
            fig.text(0.99, 0.01, text["illustrative"], ha="right", va="bottom", fontsize=7, color="#b35806")
        fig.tight_layout(rect=(0, 0.16, 1, 1))
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return prefix_ids(buf.getvalue(), f"ntm-{salt}")


def prefix_ids(svg: str, prefix: str) -> str:
    """Make every id (and reference to it) unique to this chart, so several charts can share one HTML page."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    return re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{prefix}-{m.group(1)}"', svg)


def _series(ax, years: list[int], values: list[float | None], color: str, style: str, marker: str,
            label: str) -> None:
    ys = [float("nan") if v is None else v for v in values]
    ax.plot(years, ys, color=color, linestyle=style, marker=marker, linewidth=1.8, markersize=5, label=label)
    for x, v in zip(years, values):
        if v is not None:
            ax.annotate(f"{v:.1f}", (x, v), textcoords="offset points", xytext=(0, 6), ha="center",
                        fontsize=7, color=color)


_PROLOG = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.S)


def inline_svg(svg: str) -> str:
    """The <svg> element alone (no XML declaration or doctype), for embedding in an HTML page."""
    return _PROLOG.sub("", svg, count=1)
