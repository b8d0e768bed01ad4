"""The 状況 page's charts, drawn on the server as SVG: this module lays them out (where each bar
goes, how tall), ``templates/status.html`` writes the elements. No script and no style attribute
(the desk's Content-Security-Policy allows neither): colours come from classes in ``desk.css``;
each series also has its own hatching (``<pattern>``), drawn in the legend too, and every bar
carries its number as text, so colour is never the only sign. The same numbers stand in a table
beside each chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PLOT_HEIGHT = 180
TOP = 24
BOTTOM = 44  # the category labels under the bars
LEFT = 36  # the scale's numbers
LEGEND_WIDTH = 170
BAR_AREA = 460
HBAR_LABEL = 18  # the label line above each horizontal bar
HBAR_HEIGHT = 16
HBAR_GAP = 12
HBAR_WIDTH = 420
PATTERNS = ("solid", "diagonal", "dots", "horizontal", "cross")


@dataclass(frozen=True)
class Segment:
    series: int
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Column:
    label: str
    total: int
    x: float
    width: float
    top: float  # where the total is written, above the bar
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class StackedChart:
    key: str  # unique on the page: the patterns' ids start with it
    title: str
    desc: str
    series: tuple[str, ...]
    columns: tuple[Column, ...]
    ticks: tuple[Tick, ...]
    width: int
    height: int
    baseline: float
    legend_x: int

    @property
    def patterns(self) -> tuple[str, ...]:
        return tuple(PATTERNS[i % len(PATTERNS)] for i in range(len(self.series)))


def stacked(
    key: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[str],
    values: Sequence[Sequence[int]],
) -> StackedChart:
    """One column per category, its values (one per series) stacked from the bottom."""
    top_value = max([sum(v) for v in values] + [1])
    scale = _nice(top_value)
    step = BAR_AREA / max(len(categories), 1)
    width = min(step * 0.6, 64)
    baseline = TOP + PLOT_HEIGHT
    columns = []
    for index, (label, counts) in enumerate(zip(categories, values, strict=True)):
        x = LEFT + step * index + (step - width) / 2
        y, segments = float(baseline), []
        for series_index, value in enumerate(counts):
            if value:
                height = PLOT_HEIGHT * value / scale
                y -= height
                segments.append(Segment(series_index, value, x, y, width, height))
        columns.append(Column(label, sum(counts), x, width, y - 4, tuple(segments)))
    ticks = tuple(Tick(v, baseline - PLOT_HEIGHT * v / scale) for v in _tick_values(scale))
    return StackedChart(
        key, title, desc, tuple(series), tuple(columns), ticks, LEFT + BAR_AREA + 16 + LEGEND_WIDTH,
        max(TOP + PLOT_HEIGHT + BOTTOM, TOP + 20 * len(series) + 8), baseline, LEFT + BAR_AREA + 16,
    )  # fmt: skip


@dataclass(frozen=True)
class HBar:
    label: str
    value: float
    text: str  # the value as read: 「7.0 時間」, 「3」
    y: float  # the label's baseline; the bar is under it
    width: float


@dataclass(frozen=True)
class HBarChart:
    key: str
    title: str
    desc: str
    bars: tuple[HBar, ...]
    width: int
    height: int
    bar_height: int = HBAR_HEIGHT


def hbars(key: str, title: str, desc: str, items: Sequence[tuple[str, float | None, str]]) -> HBarChart:
    """One bar per item, its label above it and its value as text after it (a missing value: no bar)."""
    top_value = max([v for _, v, _ in items if v] + [1.0])
    row = HBAR_LABEL + HBAR_HEIGHT + HBAR_GAP
    bars = tuple(
        HBar(label, value or 0, text, 8 + row * index + 14, HBAR_WIDTH * (value or 0) / top_value)
        for index, (label, value, text) in enumerate(items)
    )
    return HBarChart(key, title, desc, bars, HBAR_WIDTH + 140, max(row * len(items) + 12, 40))


def _nice(value: int) -> int:
    """The top of the scale: 1, 2, 5 or 10 times a power of ten, at least ``value``."""
    power = 1
    while True:
        for step in (1, 2, 5):
            if step * power >= value:
                return step * power
        power *= 10


def _tick_values(scale: int) -> list[int]:
    step = max(scale // 5, 1) if scale >= 5 else 1
    return list(range(0, scale + 1, step))
