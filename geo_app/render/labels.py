"""Map labels that never overlap (matplotlib): try positions around the anchor, then a leader line, else drop.

Labels are placed most important first against everything already on the map that must stay readable
(markers, the north arrow, the scale bar and earlier labels), measured with the renderer
(`Text.get_window_extent`), so the least important labels are the ones dropped. No Flask.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox, offset_copy

# (direction x, direction y, ha, va): centred first, then the four sides, then the diagonals.
POSITIONS = (
    (0, 0, "center", "center"),
    (0, -1, "center", "top"),
    (0, 1, "center", "bottom"),
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
    (1, 1, "left", "bottom"),
    (-1, 1, "right", "bottom"),
    (1, -1, "left", "top"),
    (-1, -1, "right", "top"),
)
LEADER_STEPS = (12.0, 24.0)  # points further out than the gap, joined to the anchor by a leader line
DETAIL_GAP_PT = 0.75  # between a label and its detail line


@dataclass
class Label:
    """A label to place: anchor (data coordinates), text, matplotlib text style and importance."""

    x: float
    y: float
    text: str
    style: dict = field(default_factory=dict)
    priority: float = 0.0
    gap: float = 4.0  # points between the anchor and a label beside it
    centred: bool = True  # may sit centred on its anchor (not for labels of a marker)
    leader: bool = True  # may move further out with a leader line
    clear_of: tuple = ()  # lines it may not cross (matplotlib Paths in display pixels), e.g. its commune's outline
    detail: str = ""  # a line under the placed text, where there is room for it (`LabelPlacer.place`)
    detail_style: dict = field(default_factory=dict)  # over `style`


@dataclass
class Placement:
    placed: list[Text] = field(default_factory=list)
    dropped: list[Label] = field(default_factory=list)
    leaders: list[Line2D] = field(default_factory=list)
    details: list[Text] = field(default_factory=list)


_SHARE = {"left": 0.0, "bottom": 0.0, "center": 0.5, "right": 1.0, "top": 1.0}  # of the box before the anchor


@dataclass(frozen=True)
class _Measured:
    """A label's box measured once (left/bottom aligned on its anchor): every other alignment and offset moves the
    same box (unrotated text), so positions are tried without laying the text out again for each."""

    x0: float  # lower left corner of the box aligned left/bottom on the anchor, display pixels
    y0: float
    width: float
    height: float

    @classmethod
    def of(cls, text: Text, renderer) -> "_Measured":
        box = text.get_window_extent(renderer)
        return cls(box.x0, box.y0, box.width, box.height)

    def box(self, dx_px: float, dy_px: float, ha: str, va: str) -> Bbox:
        """The box of the text aligned `ha`/`va` and moved by (dx_px, dy_px) display pixels, in display pixels."""
        return Bbox.from_bounds(self.x0 + dx_px - _SHARE[ha] * self.width, self.y0 + dy_px - _SHARE[va] * self.height,
                                self.width, self.height)


class LabelPlacer:
    """Places labels on one map axes without overlapping each other or the blocked artists."""

    def __init__(self, ax, pad_pt: float = 1.5):
        self.ax = ax
        self.fig = ax.figure
        self.renderer = self.fig.canvas.get_renderer()
        self.pad = pad_pt * self.fig.dpi / 72
        self.frame = ax.get_window_extent(self.renderer)
        self.taken: list[Bbox] = []

    def block(self, *artists) -> None:
        """Keep labels off these artists (markers, north arrow, scale bar...)."""
        for artist in artists:
            self.taken.append(artist.get_window_extent(self.renderer).padded(self.pad))

    def place(self, labels: list[Label]) -> Placement:
        """Place `labels` most important first; returns what was placed and what had to be dropped. Then each
        placed label's detail line goes under it where it overlaps nothing (every label first: a detail
        never moves or drops a label); labels moved out with a leader line keep none."""
        result = Placement()
        with_detail = []
        for label in sorted(labels, key=lambda lb: -lb.priority):
            leaders = len(result.leaders)
            text = self._try(label, result)
            if text is None:
                result.dropped.append(label)
            else:
                result.placed.append(text)
                if label.detail and len(result.leaders) == leaders:
                    with_detail.append((label, text, self.taken[-1]))
        for label, text, own in with_detail:
            detail = self._detail(label, text, own)
            if detail is not None:
                result.details.append(detail)
        return result

    def _detail(self, label: Label, text: Text, own: Bbox) -> Text | None:
        """`label.detail` under its placed `text` (whose room is `own`): centred, or else ending or starting where
        the text does, wherever that room is free first (None if nowhere)."""
        above = text.get_window_extent(self.renderer)
        gap = DETAIL_GAP_PT * self.fig.dpi / 72
        detail = self.ax.text(label.x, label.y, label.detail, ha="left", va="bottom", clip_on=False,
                              **{**label.style, **label.detail_style})
        measured = _Measured.of(detail, self.renderer)
        width, height = measured.width, measured.height
        anchor_x, anchor_y = self.ax.transData.transform((label.x, label.y))
        # centred under the text, then ending where it ends, then starting where it starts
        lefts = ((above.x0 + above.x1 - width) / 2, above.x1 - width, above.x0)
        for left in lefts:
            box = Bbox.from_bounds(left, above.y0 - gap - height, width, height)
            padded = box.padded(self._pad(label))
            if self._free(padded, besides=own) and not any(line.intersects_bbox(padded, filled=False)
                                                           for line in label.clear_of):
                to_points = 72 / self.fig.dpi
                detail.set(ha="center", va="top", transform=offset_copy(
                    self.ax.transData, fig=self.fig, x=((box.x0 + box.x1) / 2 - anchor_x) * to_points,
                    y=(box.y1 - anchor_y) * to_points, units="points"))
                self.taken.append(padded)
                return detail
        detail.remove()
        return None

    def _pad(self, label: Label) -> float:
        """Room kept around a label: the placer's padding and half its halo (display pixels)."""
        halo = max((getattr(e, "_gc", {}).get("linewidth", 0) for e in label.style.get("path_effects", [])),
                   default=0)
        return self.pad + halo / 2 * self.fig.dpi / 72

    def _try(self, label: Label, result: Placement) -> Text | None:
        pad = self._pad(label)
        distances = [label.gap] + ([label.gap + step for step in LEADER_STEPS] if label.leader else [])
        text = self.ax.text(label.x, label.y, label.text, ha="left", va="bottom", clip_on=False, **label.style)
        measured = _Measured.of(text, self.renderer)
        for ring, distance in enumerate(distances):
            for dx, dy, ha, va in POSITIONS:
                if (dx, dy) == (0, 0) and (ring or not label.centred):
                    continue
                box = measured.box(dx * distance * self.fig.dpi / 72, dy * distance * self.fig.dpi / 72, ha, va)
                box = box.padded(pad)
                if self._free(box) and not any(line.intersects_bbox(box, filled=False) for line in label.clear_of):
                    text.set(ha=ha, va=va, transform=offset_copy(self.ax.transData, fig=self.fig, x=dx * distance,
                                                                 y=dy * distance, units="points"))
                    self.taken.append(box)
                    if ring:
                        result.leaders.append(self._leader(label, box))
                    return text
        text.remove()
        return None

    def _free(self, box: Bbox, besides: Bbox | None = None) -> bool:
        """Whether `box` is within the map and overlaps nothing taken (but `besides`)."""
        inside = (box.x0 >= self.frame.x0 and box.x1 <= self.frame.x1 and box.y0 >= self.frame.y0
                  and box.y1 <= self.frame.y1)
        return inside and not any(box.overlaps(other) for other in self.taken if other is not besides)

    def _leader(self, label: Label, box: Bbox) -> Line2D:
        """A thin line from the anchor to the nearest point of the label's box."""
        ax_x, ax_y = self.ax.transData.transform((label.x, label.y))
        near = (min(max(ax_x, box.x0), box.x1), min(max(ax_y, box.y0), box.y1))
        end = self.ax.transData.inverted().transform(near)
        (line,) = self.ax.plot([label.x, end[0]], [label.y, end[1]], color="#555555", linewidth=0.7,
                               zorder=label.style.get("zorder", 5) - 0.5)
        return line
