"""The Measurements tab's chart (QtCharts): one region's total density and mean shaft diameter
over visit dates.

The date axis marks the visits themselves (a label and a grid line at each visit date), and
each value axis spans the data with a margin rather than starting at zero, so a change of a
few per cent can be seen. The axis titles are short enough to fit beside the plot; the legend
names the measures in full.

The two lines are told apart without colour too (a colour-blind user, a screenshot printed in
black and white): density is a solid line with filled round markers, diameter a dashed line
with hollow square markers, each value axis drawn in its line's pattern, and the legend draws
each line as it is (``MarkerShapeFromSeries``).

A module of its own so that QtCharts is imported when the chart is first needed (the tab is
shown, or a patient's measurements are loaded), not when the program starts.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCharts import (
    QCategoryAxis,
    QChart,
    QChartView,
    QLegend,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from clinicdesk.domain.measurement_table import SeriesPoint

DENSITY_COLOUR = QColor("#1f6fb2")
DIAMETER_COLOUR = QColor("#d9822b")
DENSITY_LINE = Qt.PenStyle.SolidLine
DIAMETER_LINE = Qt.PenStyle.DashLine
MARKER_SIZE = 9
DAY_MS = 86_400_000
DENSITY_TITLE = "Density (/cm²)"
DIAMETER_TITLE = "Diameter (µm)"
# A value axis spans the data plus this share of its spread either side, and at least
# MIN_SPAN_SHARE of the largest value, so that a flat series does not exaggerate noise.
PADDING_SHARE = 0.25
MIN_SPAN_SHARE = 0.1


class MeasurementsChart(QChartView):
    """Total density and mean shaft diameter of one region over visit dates. The series and
    axes are made once and refilled, so the chart owns everything it ever shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        super().__init__(chart, parent)
        self.setObjectName("measurements_chart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(260)
        chart.legend().setVisible(True)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.legend().setMarkerShape(QLegend.MarkerShape.MarkerShapeFromSeries)
        self.density = QLineSeries()
        self.density.setName("Total density (hairs/cm²)")
        self.diameter = QLineSeries()
        self.diameter.setName("Mean shaft diameter (µm)")
        looks = (
            (self.density, DENSITY_COLOUR, DENSITY_LINE, "circle"),
            (self.diameter, DIAMETER_COLOUR, DIAMETER_LINE, "square"),
        )
        for series, colour, style, shape in looks:
            pen = QPen(colour)
            pen.setWidth(2)
            pen.setStyle(style)
            series.setPen(pen)
            series.setPointsVisible(True)
            series.setMarkerSize(MARKER_SIZE)
            series.setLightMarker(marker_image(colour, shape))
            chart.addSeries(series)
        self.dates = QCategoryAxis()
        self.dates.setTitleText("Visit date")
        self.dates.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        self.density_axis = QValueAxis()
        self.density_axis.setTitleText(DENSITY_TITLE)
        self.density_axis.setLabelFormat("%.0f")
        self.density_axis.setLinePen(_axis_pen(DENSITY_COLOUR, DENSITY_LINE))
        self.diameter_axis = QValueAxis()
        self.diameter_axis.setTitleText(DIAMETER_TITLE)
        self.diameter_axis.setLabelFormat("%.1f")
        self.diameter_axis.setLinePen(_axis_pen(DIAMETER_COLOUR, DIAMETER_LINE))
        chart.addAxis(self.dates, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.density_axis, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self.diameter_axis, Qt.AlignmentFlag.AlignRight)
        for series, axis in (
            (self.density, self.density_axis),
            (self.diameter, self.diameter_axis),
        ):
            series.attachAxis(self.dates)
            series.attachAxis(axis)
        self.show_points("", ())

    def show_points(self, title: str, points: tuple[SeriesPoint, ...]) -> None:
        chart = self.chart()
        chart.setTitle(title or "No measurements yet")
        self.density.clear()
        self.diameter.clear()
        for point in points:
            x = float(_msecs(point.visit_date))
            self.density.append(x, point.total_density)
            self.diameter.append(x, point.mean_diameter_um)
        for label in self.dates.categoriesLabels():
            self.dates.remove(label)
        if points:
            first, last = _msecs(points[0].visit_date), _msecs(points[-1].visit_date)
            # A margin either side (and a range at all for a single visit).
            margin = max((last - first) // 20, 7 * DAY_MS)
            self.dates.setStartValue(first - margin)
            self.dates.setRange(first - margin, last + margin)
            for point in points:  # a label and a grid line at each visit
                label = f"{point.visit_date:%d/%m/%y}"  # short: close visits stay apart
                if label not in self.dates.categoriesLabels():
                    self.dates.append(label, float(_msecs(point.visit_date)))
            self.density_axis.setRange(*value_range([p.total_density for p in points]))
            self.diameter_axis.setRange(*value_range([p.mean_diameter_um for p in points]))
            self.density_axis.applyNiceNumbers()
            self.diameter_axis.applyNiceNumbers()
        else:
            today = _msecs(date.today())
            self.dates.setStartValue(today - 30 * DAY_MS)
            self.dates.setRange(today - 30 * DAY_MS, today)
            self.density_axis.setRange(0, 200)
            self.diameter_axis.setRange(0, 100)


def value_range(values: list[float]) -> tuple[float, float]:
    """The data's span with a margin either side; never below zero."""
    low, high = min(values), max(values)
    span = max(high - low, abs(high) * MIN_SPAN_SHARE, 1.0)
    middle = (low + high) / 2
    half = span * (0.5 + PADDING_SHARE)
    return max(0.0, middle - half), middle + half


def marker_image(colour: QColor, shape: str) -> QImage:
    """A point marker: a filled circle, or a hollow (white) square outlined in ``colour``."""
    image = QImage(MARKER_SIZE * 2, MARKER_SIZE * 2, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(colour)
    pen.setWidth(3)
    painter.setPen(pen)
    inset = 2
    side = image.width() - 2 * inset
    if shape == "circle":
        painter.setBrush(QBrush(colour))
        painter.drawEllipse(inset, inset, side, side)
    else:
        painter.setBrush(QBrush(QColor("white")))
        painter.drawRect(inset, inset, side, side)
    painter.end()
    return image


def _axis_pen(colour: QColor, style: Qt.PenStyle) -> QPen:
    pen = QPen(colour)
    pen.setWidth(2)
    pen.setStyle(style)
    return pen


def _msecs(day: date) -> int:
    return QDateTime(QDate(day.year, day.month, day.day), QTime(12, 0)).toMSecsSinceEpoch()
