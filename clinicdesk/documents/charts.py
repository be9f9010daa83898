"""The progress report's charts: one line per region against the visit date.

Each chart shows a measure (total density, mean shaft diameter) at the baseline and every later
visit, from ``chart_series`` (the same series the Measurements tab draws). Every region has the
same colour in every chart; the untreated reference region is grey and dashed. The patient's
flavour names regions in plain words ("Crown") and its measures ("Hair density").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Group, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from clinicdesk.documents.fonts import FONT
from clinicdesk.documents.text import para
from clinicdesk.domain.assessments import Assessment, Region, SeriesPoint, chart_series
from clinicdesk.domain.dates import format_uk

CHART_HEIGHT = 70 * mm

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
    height = CHART_HEIGHT
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y = 16 * mm, 19 * mm  # room below for the slanted dates
    plot.width, plot.height = width - plot.x - 46 * mm, height - plot.y - 4 * mm
    regions = list(series)
    plot.data = [[(p.visit_date.toordinal(), value(p)) for p in series[r]] for r in regions]
    days = sorted({p.visit_date.toordinal() for points in series.values() for p in points})
    span = max(days[-1] - days[0], 1)
    plot.xValueAxis.valueMin = days[0] - span * 0.04
    plot.xValueAxis.valueMax = days[-1] + span * 0.04
    plot.xValueAxis.valueSteps = _spaced(days, span)
    plot.xValueAxis.labelTextFormat = lambda day: format_uk(date.fromordinal(round(day)))
    low, high, step = _value_range([value(p) for points in series.values() for p in points])
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = low, high
    plot.yValueAxis.valueStep = step
    plot.yValueAxis.labelTextFormat = "%g"
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = colors.HexColor("#e3e7eb")
    plot.yValueAxis.gridStrokeWidth = 0.5
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName, axis.labels.fontSize = FONT, 7
        axis.strokeColor = colors.HexColor("#555555")
    plot.xValueAxis.labels.angle = 40
    plot.xValueAxis.labels.boxAnchor = "ne"
    for index, region in enumerate(regions):
        line = plot.lines[index]
        line.strokeColor = REGION_COLOURS[region]
        line.strokeWidth = 1.6
        line.symbol = makeMarker("FilledCircle", size=3.5, fillColor=REGION_COLOURS[region])
        line.symbol.strokeColor = REGION_COLOURS[region]
        if region.is_reference:
            line.strokeDashArray = (3, 2)
    drawing.add(plot)
    y_label = Group(String(0, 0, unit, fontName=FONT, fontSize=7.5, textAnchor="middle"))
    y_label.transform = (0, 1, -1, 0, 4 * mm, plot.y + plot.height / 2)
    drawing.add(y_label)
    drawing.add(
        String(
            plot.x + plot.width / 2,
            1 * mm,
            "Visit date",
            fontName=FONT,
            fontSize=7.5,
            textAnchor="middle",
        )
    )
    legend = Legend()
    legend.x, legend.y = plot.x + plot.width + 6 * mm, plot.y + plot.height
    legend.alignment = "right"
    legend.fontName, legend.fontSize = FONT, 7.5
    legend.deltay, legend.columnMaximum = 11, 10
    legend.dx, legend.dy = 12, 2.5
    legend.strokeColor = None  # a plain swatch in the line's colour, no outline
    legend.colorNamePairs = [(REGION_COLOURS[r], names[r]) for r in regions]
    drawing.add(legend)
    return drawing


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
