"""Bar charts as plain geometry, drawn as inline SVG by templates/insights_charts.html.

Why not pygal (bench/insights_charts.py, same run, a 30-day chart of two series on this shared 2-core
machine): pygal 3.1.3 took 29-34 ms and 41 KB, and its SVG carries an inline <style> and <script>,
which the pages' Content-Security-Policy (no inline style or script) blocks. This geometry and its
template take 4.4-4.5 ms and 9 KB, with colours from static/insights.css, so the charts obey the CSP,
print, zoom, and follow forced-colours modes like the rest of the page.
"""

import math
from dataclasses import dataclass

WIDTH = 720  # the SVG's coordinate width; CSS scales it to the page
TOP, RIGHT = 16, 16
COLUMN_HEIGHT = 240  # the plotting area of a column chart
COLUMN_LEFT, COLUMN_BOTTOM = 56, 40  # room for the value axis and the category labels
MOST_LABELS = 12  # category labels under a column chart; more would overlap
ROW_LEFT = 300  # room for the category names of a row chart (a question title of about 40 characters)
BAR = 16  # a row chart's bar thickness
ROW_GAP = 10
TICKS = 4  # about this many steps on the value axis


@dataclass(frozen=True)
class Bar:
    """One bar: where it is drawn and what it says when pointed at."""

    x: float
    y: float
    width: float
    height: float
    series: int  # which series: its colour
    value: int
    title: str


@dataclass(frozen=True)
class Label:
    """A piece of text on the chart."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """Everything the template needs to draw a chart."""

    kind: str  # "columns" (categories along, values up) or "rows" (categories down, values along)
    width: int
    height: int
    series: tuple[str, ...]
    bars: tuple[Bar, ...]
    categories: tuple[Label, ...]
    ticks: tuple[Label, ...]  # the value axis: its gridlines go through these
    values: tuple[Label, ...]  # a row chart writes each bar's value beside it
    plot: tuple[float, float, float, float]  # the plotting area: left, top, right, bottom


def nice_step(top: int) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving about TICKS steps up to `top`."""
    raw = max(top, 1) / TICKS
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return max(1, int(step))


def axis(top: int) -> tuple[int, int]:
    """The value axis for values up to `top`: its step and its end, a whole number of steps."""
    step = nice_step(top)
    return step, step * max(1, math.ceil(top / step))


def number(value: int) -> str:
    """A count as shown on charts: with thousands separators."""
    return f"{value:,}"


def columns(categories: list[str], series: list[tuple[str, list[int]]], shown: list[str] | None = None) -> Chart:
    """A column chart: one group of bars per category (a day), one bar per series (texts, calls).

    `shown` is each category's short label under the axis (at most MOST_LABELS are written).
    """
    shown = shown or categories
    left, top, bottom = COLUMN_LEFT, TOP, TOP + COLUMN_HEIGHT
    right = WIDTH - RIGHT
    step, end = axis(max((v for _, values in series for v in values), default=0))
    slot = (right - left) / max(len(categories), 1)
    thickness = slot * 0.8 / max(len(series), 1)
    bars = []
    for index, category in enumerate(categories):
        for which, (name, values) in enumerate(series):
            height = COLUMN_HEIGHT * values[index] / end
            x = left + index * slot + slot * 0.1 + which * thickness
            bars.append(Bar(x, bottom - height, thickness, height, which, values[index],
                            f"{category}: {name} {number(values[index])}"))
    every = math.ceil(len(categories) / MOST_LABELS) or 1
    labels = tuple(Label(left + (i + 0.5) * slot, bottom + 20, shown[i]) for i in range(0, len(categories), every))
    ticks = tuple(Label(left - 8, bottom - COLUMN_HEIGHT * v / end, number(v)) for v in range(0, end + 1, step))
    return Chart("columns", WIDTH, bottom + COLUMN_BOTTOM, tuple(n for n, _ in series), tuple(bars), labels, ticks,
                 (), (left, top, right, bottom))


def rows(categories: list[str], series: list[tuple[str, list[int]]]) -> Chart:
    """A row chart: one group of bars per category (a piece, a menu step), one bar per series, values beside."""
    left, top = ROW_LEFT, TOP
    right = WIDTH - RIGHT - 48  # room for the value written after the longest bar
    group = BAR * len(series) + ROW_GAP
    bottom = top + group * len(categories)
    step, end = axis(max((v for _, values in series for v in values), default=0))
    bars, values, names = [], [], []
    for index, category in enumerate(categories):
        y = top + index * group + ROW_GAP / 2
        names.append(Label(left - 8, y + BAR * len(series) / 2 + 5, category))
        for which, (name, counts) in enumerate(series):
            length = (right - left) * counts[index] / end
            bars.append(Bar(left, y + which * BAR, length, BAR - 2, which, counts[index],
                            f"{category}: {name} {number(counts[index])}"))
            values.append(Label(left + length + 6, y + which * BAR + BAR - 5, number(counts[index])))
    ticks = tuple(Label(left + (right - left) * v / end, bottom + 18, number(v)) for v in range(0, end + 1, step))
    return Chart("rows", WIDTH, bottom + 28, tuple(n for n, _ in series), tuple(bars), tuple(names), ticks,
                 tuple(values), (left, top, right, bottom))
