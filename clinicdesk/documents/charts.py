"""The progress report's charts: one line per region against the visit date.

Each chart shows a measure (total density, mean shaft diameter) at the baseline and every later
visit, from ``chart_series`` (the same series the Measurements tab draws). The patient's flavour
names regions in plain words ("Crown") and its measures ("Hair density").

A chart must read as well printed in black and white as on screen: every region has, besides
its colour, a line style and a marker of its own (``REGION_STYLES``), the same in every chart
and in the legend, whose swatches are drawn by the plot itself (a length of the line with its
marker). No line hides another: markers differ in shape and fill (filled, hollow); where
regions measure the same (or nearly: their points would touch) at a visit, their points are
drawn a hair apart, side by side and one above the other (``_separated``), so each line and
marker shows; and lines are drawn patterned over solid. In large print the labels are larger.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Group, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.validators import Auto
from reportlab.platypus import Flowable, KeepTogether

from clinicdesk.documents.fonts import FONT, text_width
from clinicdesk.documents.text import is_large_print, para
from clinicdesk.domain.assessments import Assessment, Region
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.measurement_table import SeriesPoint, chart_series

CHART_HEIGHT = 70 * mm
LARGE_CHART_HEIGHT = 85 * mm


@dataclass(frozen=True)
class LineStyle:
    """How one region's line is drawn, told apart without colour by ``dash`` and ``marker``."""

    dash: tuple[float, ...]  # on, off, ... in points; () is a solid line
    marker: str  # a reportlab marker name
    filled: bool  # a filled marker, or a hollow one (white inside)
    width: float = 1.4


# One colour per region, the same in every chart; the untreated reference region is grey and
# dashed, so it reads as the comparison line it is.
REGION_COLOURS = {
    Region.FRONTAL: colors.HexColor("#1f6fb2"),
    Region.MID_SCALP: colors.HexColor("#d9822b"),
    Region.VERTEX: colors.HexColor("#2a9d5c"),
    Region.TEMPORAL_LEFT: colors.HexColor("#8e44ad"),
    Region.TEMPORAL_RIGHT: colors.HexColor("#c0392b"),
    Region.OCCIPITAL: colors.HexColor("#7f8c8d"),
}
# One line style per region, each distinct in greyscale: no two share a dash pattern, and no two
# a marker shape. The front (the region most often treated) is the one solid line.
REGION_STYLES = {
    Region.FRONTAL: LineStyle((), "Circle", filled=True, width=1.6),
    Region.MID_SCALP: LineStyle((6, 2), "Square", filled=False),
    Region.VERTEX: LineStyle((1.5, 1.5), "Triangle", filled=True),
    Region.TEMPORAL_LEFT: LineStyle((7, 2, 1.5, 2), "Diamond", filled=False),
    Region.TEMPORAL_RIGHT: LineStyle((3, 1.5, 1.5, 1.5, 1.5, 1.5), "StarFive", filled=True),
    Region.OCCIPITAL: LineStyle((3, 2), "Cross", filled=False, width=1.2),
}
_MARKER_SIZE = 5.0
# How far apart (in points on the page) the points of regions measuring the same at a visit
# are drawn: across (the date) and up (the value). Points nearer than ``_TOUCHING`` count.
_APART_X, _APART_Y, _TOUCHING = 2.5, 2.4, 2.0
PLAIN_REGION_NAMES = {
    Region.FRONTAL: "Front",
    Region.MID_SCALP: "Middle of the scalp",
    Region.VERTEX: "Crown",
    Region.TEMPORAL_LEFT: "Left temple",
    Region.TEMPORAL_RIGHT: "Right temple",
    Region.OCCIPITAL: "Back of the head (not treated)",
}


def chart_section(visits: Sequence[Assessment], *, plain: bool, width: float) -> list[Flowable]:
    """The charts of ``visits`` (the baseline and every later visit), each ``width`` wide;
    none for fewer than two visits."""
    series = chart_series(visits)
    if not series or len(visits) < 2:
        return []
    names = PLAIN_REGION_NAMES if plain else {r: r.label for r in Region}
    if plain:
        charts = [
            ("Hair density", "hairs per cm²", lambda p: p.total_density),
            ("Average hair thickness", "µm", lambda p: p.mean_diameter_um),
        ]
    else:
        charts = [
            ("Total density", "hairs/cm²", lambda p: p.total_density),
            ("Mean shaft diameter", "µm", lambda p: p.mean_diameter_um),
        ]
    heading: list[Flowable] = [para("Over time" if plain else "Charts", "heading")]
    out: list[Flowable] = []
    for title, unit, value in charts:
        chart = [
            para(f"{title} ({unit})", "subheading"),
            _line_chart(series, value, unit, names, width),
        ]
        # The section heading goes in its first block, so it never ends a page on its own.
        out.append(KeepTogether([*([] if out else heading), *chart]))
    return out


def _line_chart(
    series: dict[Region, tuple[SeriesPoint, ...]],
    value: Callable[[SeriesPoint], float],
    unit: str,
    names: dict[Region, str],
    width: float,
) -> Drawing:
    """One line per region against the visit date (x: days, labelled with dates)."""
    large = is_large_print()
    height = LARGE_CHART_HEIGHT if large else CHART_HEIGHT
    tick_size, label_size = (10.0, 11.0) if large else (7.0, 7.5)
    drawing = Drawing(width, height)
    drawing.initialFontName = FONT  # not reportlab's Times-Roman, which would not be embedded
    plot = LinePlot()
    swatch = 30.0 if large else 24.0
    # The legend takes what its longest name needs (a name too long for a third of the width
    # goes on two lines), the plot the rest: nothing runs past the margin.
    shown = {r: _legend_name(names[r], label_size, width / 3) for r in series}
    longest = max(
        text_width(line, FONT, label_size) for name in shown.values() for line in name.split("\n")
    )
    legend_width = swatch + 5 + longest + 6 * mm
    plot.x, plot.y = (20 * mm, 25 * mm) if large else (16 * mm, 19 * mm)  # slanted dates below
    plot.width, plot.height = width - plot.x - legend_width, height - plot.y - 4 * mm
    # Drawn in this order, later over earlier: the solid line first, the patterned ones over it
    # (a patterned line's gaps let the line beneath show through).
    regions = sorted(series, key=lambda r: (bool(REGION_STYLES[r].dash), list(Region).index(r)))
    days = sorted({p.visit_date.toordinal() for points in series.values() for p in points})
    span = max(days[-1] - days[0], 1)
    low, high, step = _value_range([value(p) for points in series.values() for p in points])
    plot.data = _separated(
        [[(p.visit_date.toordinal(), value(p)) for p in series[r]] for r in regions],
        x_per_point=span * 1.08 / plot.width,
        y_per_point=(high - low) / plot.height,
    )
    plot.xValueAxis.valueMin = days[0] - span * 0.04
    plot.xValueAxis.valueMax = days[-1] + span * 0.04
    plot.xValueAxis.valueSteps = _spaced(days, span)
    plot.xValueAxis.labelTextFormat = lambda day: format_uk(date.fromordinal(round(day)))
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = low, high
    plot.yValueAxis.valueStep = step
    plot.yValueAxis.labelTextFormat = "%g"
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = colors.HexColor("#e3e7eb")
    plot.yValueAxis.gridStrokeWidth = 0.5
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName, axis.labels.fontSize = FONT, tick_size
        axis.strokeColor = colors.HexColor("#555555")
    plot.xValueAxis.labels.angle = 40
    plot.xValueAxis.labels.boxAnchor = "ne"
    for index, region in enumerate(regions):
        line = plot.lines[index]
        _style_line(line, region, shown[region], large)
    drawing.add(plot)
    y_label = Group(String(0, 0, unit, fontName=FONT, fontSize=label_size, textAnchor="middle"))
    y_label.transform = (0, 1, -1, 0, 4 * mm, plot.y + plot.height / 2)
    drawing.add(y_label)
    drawing.add(
        String(
            plot.x + plot.width / 2,
            1 * mm,
            "Visit date",
            fontName=FONT,
            fontSize=label_size,
            textAnchor="middle",
        )
    )
    legend = Legend()
    legend.x, legend.y = plot.x + plot.width + 5 * mm, plot.y + plot.height
    legend.alignment = "right"
    legend.fontName, legend.fontSize = FONT, label_size
    lines = max(name.count("\n") + 1 for name in shown.values())
    legend.deltay = lines * label_size * 1.2 + (6 if large else 4)
    legend.columnMaximum = 10
    # Each swatch is drawn by the plot: a length of the region's line, its pattern and its
    # marker (reportlab's Auto), so the key matches the chart in greyscale too.
    legend.dx, legend.dy, legend.dxTextSpace = swatch, 8 if large else 6, 5
    legend.colorNamePairs = Auto(obj=plot)
    drawing.add(legend)
    return drawing


def _style_line(line: object, region: Region, name: str, large: bool) -> None:
    """Colour, pattern, width and marker of ``region``'s line (``line`` is a LinePlot's)."""
    colour, style = REGION_COLOURS[region], REGION_STYLES[region]
    line.strokeColor = colour  # type: ignore[attr-defined]
    line.strokeWidth = style.width * (1.25 if large else 1)  # type: ignore[attr-defined]
    line.strokeDashArray = style.dash or None  # type: ignore[attr-defined]
    line.name = name  # type: ignore[attr-defined]  # the legend's text
    size = _MARKER_SIZE * (1.3 if large else 1)
    fill = colour if style.filled else colors.white
    marker = makeMarker(style.marker, size=size, fillColor=fill)
    marker.strokeColor = colour
    marker.strokeWidth = 0.9
    line.symbol = marker  # type: ignore[attr-defined]


def _legend_name(name: str, size: float, room: float) -> str:
    """``name`` for the legend: on two lines, before its bracket, if too wide for ``room``."""
    if text_width(name, FONT, size) <= room or " (" not in name:
        return name
    return name.replace(" (", "\n(", 1)


def _separated(
    lines: list[list[tuple[float, float]]], *, x_per_point: float, y_per_point: float
) -> list[list[tuple[float, float]]]:
    """``lines`` (each a list of (day, value)) with the points that would touch at a visit
    moved a hair apart: each group of such points spread about its middle by ``_APART_X``
    and ``_APART_Y`` points (a point is ``x_per_point`` days, ``y_per_point`` units). A point
    alone where it is stays exactly where it is."""
    moved = [list(points) for points in lines]
    by_day: dict[float, list[tuple[int, int]]] = {}
    for line, points in enumerate(lines):
        for index, (day, _) in enumerate(points):
            by_day.setdefault(day, []).append((line, index))
    for day, members in by_day.items():
        members.sort(key=lambda m: (lines[m[0]][m[1]][1], m[0]))
        groups: list[list[tuple[int, int]]] = []
        for member in members:
            value = lines[member[0]][member[1]][1]
            last = groups[-1][-1] if groups else None
            if last is not None and (value - lines[last[0]][last[1]][1]) / y_per_point < _TOUCHING:
                groups[-1].append(member)
            else:
                groups.append([member])
        for group in groups:
            if len(group) < 2:
                continue
            middle = sum(lines[line][index][1] for line, index in group) / len(group)
            for order, (line, index) in enumerate(sorted(group)):
                shift = order - (len(group) - 1) / 2
                moved[line][index] = (
                    day + shift * _APART_X * x_per_point,
                    middle + shift * _APART_Y * y_per_point,
                )
    return moved


def _spaced(days: list[int], span: int) -> list[int]:
    """The visit dates to label, skipping any too close to the previous label to read."""
    shown: list[int] = []
    for day in days:
        if not shown or day - shown[-1] >= span * 0.09:
            shown.append(day)
    return shown


def _value_range(values: Sequence[float]) -> tuple[float, float, float]:
    """A y range with round ends and a round step, a little wider than the values."""
    low, high = min(values), max(values)
    spread = max(high - low, max(abs(high) * 0.05, 1.0))
    raw_step = spread / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    bottom = math.floor((low - spread * 0.15) / step) * step
    top = math.ceil((high + spread * 0.15) / step) * step
    return max(bottom, 0.0), top, step
