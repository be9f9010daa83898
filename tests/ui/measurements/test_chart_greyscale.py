"""The Measurements tab's chart tells its two lines apart without colour: pattern, marker and
axis, and a legend that draws each line as it is."""

from __future__ import annotations

from datetime import date

from PySide6.QtCharts import QLegend
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from clinicdesk.domain.measurement_table import SeriesPoint
from clinicdesk.ui.measurements.chart import MeasurementsChart

POINTS = (
    SeriesPoint(date(2025, 3, 10), 120.0, 55.0),
    SeriesPoint(date(2025, 6, 10), 126.0, 56.0),
    SeriesPoint(date(2025, 9, 10), 131.0, 57.0),
)


def grey(image: QImage) -> bytes:
    """The marker as printed in black and white: its pixels in greyscale."""
    converted = image.convertToFormat(QImage.Format.Format_Grayscale8)
    return bytes(converted.constBits())


def test_density_and_diameter_differ_in_line_marker_and_axis(qtbot: QtBot) -> None:
    view = MeasurementsChart()
    qtbot.addWidget(view)
    view.show_points("Frontal", POINTS)
    density, diameter = view.density, view.diameter
    assert density.pen().style() != diameter.pen().style()
    assert not density.lightMarker().isNull() and not diameter.lightMarker().isNull()
    assert grey(density.lightMarker()) != grey(diameter.lightMarker())
    assert view.density_axis.linePen().style() == density.pen().style()
    assert view.diameter_axis.linePen().style() == diameter.pen().style()
    legend = view.chart().legend()
    assert legend.markerShape() is QLegend.MarkerShape.MarkerShapeFromSeries
    assert [m.series() for m in legend.markers()] == [density, diameter]
