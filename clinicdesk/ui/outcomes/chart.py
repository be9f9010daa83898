"""The outcomes screen's chart (QtCharts): the responder rate per quarter of treatment date.

Each quarter shows its 95% Wilson interval as a vertical bar; a quarter with at least the
minimum group of evaluable patients also shows its rate as a point. A smaller quarter shows the
interval only (its counts are in the axis label and the table): no bare percentage. The
published 66% is a dashed line across. Imported when the screen first opens.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCharts import (
    QCategoryAxis,
    QChart,
    QChartView,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
    QXYSeries,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from clinicdesk.domain.outcomes import Rate

RATE_COLOUR = QColor("#1f6fb2")
PUBLISHED_COLOUR = QColor("#7a7a7a")


class QuarterChart(QChartView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(QChart(), parent)
        self.setObjectName("outcomes_quarter_chart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(220)
        self.chart().legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.plotted: list[str] = []  # the quarters given a point (large enough)

    def show_quarters(self, quarters: Sequence[Rate], min_group: int, published: float) -> None:
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        chart.setTitle("Responder rate by quarter of treatment (bars: 95% interval)")
        x_axis = QCategoryAxis()
        x_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        x_axis.setRange(-0.5, max(len(quarters), 1) - 0.5)
        y_axis = QValueAxis()
        y_axis.setRange(0, 100)
        y_axis.setLabelFormat("%.0f%%")
        y_axis.setTitleText("Responded")
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        points = QScatterSeries()
        points.setName(f"Rate ({min_group} or more evaluable)")
        points.setColor(RATE_COLOUR)
        points.setMarkerSize(9)
        line = QLineSeries()
        line.setName(f"Published {published * 100:.0f}%")
        pen = QPen(PUBLISHED_COLOUR)
        pen.setStyle(Qt.PenStyle.DashLine)
        pen.setWidth(2)
        line.setPen(pen)
        line.append(-0.5, published * 100)
        line.append(max(len(quarters), 1) - 0.5, published * 100)
        self.plotted = []
        bars: list[QLineSeries] = []
        for index, rate in enumerate(quarters):
            n = len(rate.evaluable)
            x_axis.append(f"{rate.label}\n{len(rate.responded)}/{n}", float(index))
            interval = rate.ci95
            if interval is None:
                continue
            bar = QLineSeries()
            bar_pen = QPen(RATE_COLOUR)
            bar_pen.setWidth(3)
            bar.setPen(bar_pen)
            bar.append(index, interval[0] * 100)
            bar.append(index, interval[1] * 100)
            bars.append(bar)
            if not rate.small(min_group) and rate.rate is not None:
                points.append(index, rate.rate * 100)
                self.plotted.append(rate.label)
        shown: list[QXYSeries] = [*bars, points, line]
        for series in shown:
            chart.addSeries(series)
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)
        for marker, added in zip(chart.legend().markers(), shown, strict=False):
            marker.setVisible(added is points or added is line)
