"""The main window on a laptop screen: the patient list's columns all show, an empty list says
so, the record tabs never hide behind scroll arrows, the splitter and the window's geometry are
remembered (and a restored window stays on screen), and the Measurements chart is readable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from clinicdesk.domain.measurement_table import SeriesPoint
from clinicdesk.ui.measurements.chart import MeasurementsChart
from clinicdesk.ui.patients.patient_list import COLUMNS
from clinicdesk.ui.shell.main_window import MainWindow
from clinicdesk.ui.shell.window_layout import WindowLayout
from tests.conftest import VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory


def settle(qtbot: QtBot) -> None:
    QApplication.processEvents()
    qtbot.wait(10)


def test_the_patient_list_shows_every_column_at_1440_px(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    clinic.services.patients.register(
        clinic.reception,
        VALID_PATIENT | {"first_name": "Maximilian-Alexander", "last_name": "Featherstonehaugh"},
    )
    window = open_window(clinic.reception)
    window.resize(1440, 900)
    settle(qtbot)
    view = window.list_view
    assert not view.horizontalScrollBar().isVisible()
    header = view.horizontalHeader()
    right = max(
        header.sectionViewportPosition(c) + header.sectionSize(c) for c in range(len(COLUMNS))
    )
    assert right <= view.viewport().width()
    metrics = view.fontMetrics()
    model = window.model
    for column in range(1, len(COLUMNS)):  # the fixed columns show their values whole
        text = str(model.index(0, column).data())
        assert metrics.horizontalAdvance(text) < header.sectionSize(column), text


def test_an_empty_list_says_so(qtbot: QtBot, clinic: Clinic, open_window: WindowFactory) -> None:
    window = open_window(clinic.reception)
    message = window.empty_list_message
    assert window.model.rowCount() == 0
    assert message.isVisible() and message.text() == "No patients."
    clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT))
    window.model.reload()
    assert not message.isVisible()
    window.search_box.setText("Zebedee")
    window.run_search()
    assert message.isVisible() and message.text() == "No patients match."


def test_the_empty_list_message_covers_the_list_as_the_window_is_resized(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.reception)
    message = window.empty_list_message
    viewport = window.list_view.viewport()
    for width, height in ((1300, 820), (900, 560)):
        window.resize(width, height)
        qtbot.waitUntil(lambda: message.geometry() == viewport.rect())
        assert message.isVisible() and message.text() == "No patients."


def test_an_archived_patient_is_marked_where_the_name_starts(
    clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = clinic.services.patients.register(
        clinic.reception,
        VALID_PATIENT | {"last_name": "Featherstonehaugh-Cholmondeley", "preferred_name": "Vonnie"},
    )
    clinic.services.patients.set_archived(clinic.reception, patient.id, patient.version, True)
    window = open_window(clinic.reception)
    window.include_archived.setChecked(True)
    text = str(window.model.index(0, 0).data())
    # A long name is cut at the column's right edge: the marker stays in view.
    assert text.startswith("[archived] FEATHERSTONEHAUGH")


def test_every_record_tab_is_whole_at_1366_px_however_the_splitter_is_dragged(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    window = open_window(clinic.admin)  # the most tabs, Access log last
    window.open_patient(patient.id)
    window.resize(1366, 768)
    window.splitter.setSizes([10_000, 1])  # the list as wide as it can be
    settle(qtbot)
    bar = window.tabs.tabBar()
    assert bar.tabText(bar.count() - 1).replace("&", "") == "Access log"
    assert not bar.usesScrollButtons()
    for index in range(bar.count()):
        rect = bar.tabRect(index)
        assert rect.left() >= 0 and rect.right() <= bar.width(), bar.tabText(index)
        label = bar.tabText(index).replace("&", "")
        assert bar.fontMetrics().horizontalAdvance(label) < rect.width(), label


def test_the_splitter_stays_where_it_was_put_and_is_remembered_with_the_window(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, tmp_path: Path
) -> None:
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    window = open_window(clinic.clinician)
    window.resize(1440, 900)
    settle(qtbot)
    window.splitter.setSizes([600, 836])
    placed = window.splitter.sizes()
    window.open_patient(patient.id)  # the record's tabs appear: the splitter stays put
    settle(qtbot)
    assert window.splitter.sizes() == placed
    WindowLayout(window, window.splitter, tmp_path).save()

    again = open_window(clinic.clinician)
    WindowLayout(again, again.splitter, tmp_path).restore(QRect(0, 0, 1600, 1000))
    settle(qtbot)
    assert again.size() == window.size()
    assert again.splitter.sizes() == placed


def test_a_restored_window_fits_a_1366_by_768_laptop_with_its_status_bar(
    qtbot: QtBot, clinic: Clinic, tmp_path: Path
) -> None:
    big = MainWindow(clinic.services, clinic.reception)
    qtbot.addWidget(big)
    big.setGeometry(200, 150, 1900, 1150)  # saved on a large monitor
    WindowLayout(big, big.splitter, tmp_path).save()

    laptop = QRect(0, 0, 1366, 728)  # 768 less the taskbar
    window = MainWindow(clinic.services, clinic.reception)
    qtbot.addWidget(window)
    window.show()
    WindowLayout(window, window.splitter, tmp_path).restore(laptop)
    settle(qtbot)
    assert laptop.contains(window.frameGeometry())
    status = window.statusBar()
    assert status.isVisible()
    assert window.rect().contains(status.geometry())


def test_the_first_window_on_a_laptop_or_1440_monitor_opens_maximised(
    qtbot: QtBot, clinic: Clinic, tmp_path: Path
) -> None:
    # Nothing saved yet: the default size would squeeze the patient list beside a record.
    for screen in (QRect(0, 0, 1366, 728), QRect(0, 0, 1440, 870)):
        window = MainWindow(clinic.services, clinic.reception)
        qtbot.addWidget(window)
        window.show()
        WindowLayout(window, window.splitter, tmp_path / f"first{screen.width()}").restore(screen)
        assert window.windowState() & Qt.WindowState.WindowMaximized
    # A large monitor keeps the default size, and a saved size wins over maximising.
    roomy = MainWindow(clinic.services, clinic.reception)
    qtbot.addWidget(roomy)
    roomy.show()
    WindowLayout(roomy, roomy.splitter, tmp_path / "roomy").restore(QRect(0, 0, 2560, 1400))
    assert not roomy.windowState() & Qt.WindowState.WindowMaximized


def chart_with(points: tuple[SeriesPoint, ...], qtbot: QtBot) -> MeasurementsChart:
    chart = MeasurementsChart()
    qtbot.addWidget(chart)
    chart.resize(740, 270)  # the Measurements tab's chart at 1366 x 768
    chart.show_points("Frontal", points)
    chart.show()
    settle(qtbot)
    return chart


VISITS = (
    SeriesPoint(date(2026, 2, 11), 121.2, 56.5),
    SeriesPoint(date(2026, 3, 11), 122.5, 56.7),
    SeriesPoint(date(2026, 5, 12), 124.4, 57.0),
    SeriesPoint(date(2026, 8, 11), 126.8, 57.1),
)


def test_the_chart_marks_the_visits_and_fits_its_axes_to_the_data(qtbot: QtBot) -> None:
    chart = chart_with(VISITS, qtbot)
    assert chart.dates.categoriesLabels() == ["11/02/26", "11/03/26", "12/05/26", "11/08/26"]
    # Changes of a few per cent fill the axis instead of hugging a line drawn from zero.
    density, diameter = chart.density_axis, chart.diameter_axis
    assert 100 < density.min() <= 121.2 and 126.8 <= density.max() < 150
    assert 45 < diameter.min() <= 56.5 and 57.1 <= diameter.max() < 70
    # Both value-axis titles fit beside the plot, uncut.
    plot_height = chart.chart().plotArea().height()
    for axis in (density, diameter):
        width = qtbot_metrics_width(axis.titleFont(), axis.titleText())
        assert width < plot_height, axis.titleText()

    chart.show_points("Occipital (reference)", VISITS[:1])  # refilled, not added to
    assert chart.dates.categoriesLabels() == ["11/02/26"]


def qtbot_metrics_width(font: object, text: str) -> float:
    from PySide6.QtGui import QFont, QFontMetricsF

    assert isinstance(font, QFont)
    return QFontMetricsF(font).horizontalAdvance(text)
