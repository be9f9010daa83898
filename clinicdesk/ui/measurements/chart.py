"""The Measurements tab's chart (QtCharts): one region's total density and mean shaft diameter
over visit dates.

The date axis marks the visits themselves (a label and a grid line at each visit date), and
each value axis spans the data with a margin rather than starting at zero, so a change of a
few per cent can be seen. The axis titles are short enough to fit beside the plot; the legend
names the measures in full.

A module of its own so that QtCharts is imported when the chart is first needed (the tab is
shown, or a patient's measurements are loaded), not when the program starts.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCharts import QCategoryAxis, QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from clinicdesk.domain.assessments import SeriesPoint

DENSITY_COLOUR = QColor("#1f6fb2")
DIAMETER_COLOUR = QColor("#d9822b")
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
        self.density = QLineSeries()
        self.density.setName("Total density (hairs/cm²)")
        self.diameter = QLineSeries()
        self.diameter.setName("Mean shaft diameter (µm)")
        for series, colour in ((self.density, DENSITY_COLOUR), (self.diameter, DIAMETER_COLOUR)):
            pen = QPen(colour)
            pen.setWidth(2)
            series.setPen(pen)
            series.setPointsVisible(True)
            chart.addSeries(series)
        self.dates = QCategoryAxis()
        self.dates.setTitleText("Visit date")
        self.dates.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        self.density_axis = QValueAxis()
        self.density_axis.setTitleText(DENSITY_TITLE)
        self.density_axis.setLabelFormat("%.0f")
        self.density_axis.setLinePenColor(DENSITY_COLOUR)
        self.diameter_axis = QValueAxis()
        self.diameter_axis.setTitleText(DIAMETER_TITLE)
        self.diameter_axis.setLabelFormat("%.1f")
        self.diameter_axis.setLinePenColor(DIAMETER_COLOUR)
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


def _msecs(day: date) -> int:
    return QDateTime(QDate(day.year, day.month, day.day), QTime(12, 0)).toMSecsSinceEpoch()
