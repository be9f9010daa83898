"""Classification: the chosen grade's reference picture beside the pickers, and "Show scale…"
with every grade of the scale, labelled; clicking a grade there chooses it."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from clinicdesk.domain.classification import HairLossScale
from clinicdesk.domain.patient import Sex
from clinicdesk.ui.patients.classification import ClassificationTab
from clinicdesk.ui.patients.scale_pictures import ScalePicture


def rendered(picture: ScalePicture) -> QImage:
    return picture.grab().toImage()


def make_tab(qtbot: QtBot, sex: Sex) -> ClassificationTab:
    tab = ClassificationTab()
    qtbot.addWidget(tab)
    tab.load([], sex, date(2026, 11, 1))
    tab.show()
    qtbot.waitExposed(tab)
    return tab


def test_the_picture_follows_the_chosen_grade(qtbot: QtBot) -> None:
    tab = make_tab(qtbot, Sex.MALE)
    assert tab.picture.isVisible()
    # A grade starts empty: the caption says to choose one, and no head is drawn yet.
    assert (tab.picture.scale, tab.picture.grade) == (HairLossScale.NORWOOD_HAMILTON, "")
    assert tab.picture_caption.text() == "Norwood-Hamilton: choose a grade"
    empty = rendered(tab.picture)
    tab.grade.setCurrentIndex(tab.grade.findText("I"))
    assert (tab.picture.scale, tab.picture.grade) == (HairLossScale.NORWOOD_HAMILTON, "I")
    assert tab.picture_caption.text() == "Norwood-Hamilton I"
    first = rendered(tab.picture)
    assert first != empty
    tab.grade.setCurrentIndex(tab.grade.findText("VII"))
    assert tab.picture.grade == "VII"
    assert tab.picture_caption.text() == "Norwood-Hamilton VII"
    assert rendered(tab.picture) != first
    tab.scale.setCurrentIndex(tab.scale.findData(HairLossScale.LUDWIG.value))
    assert (tab.picture.scale, tab.picture.grade) == (HairLossScale.LUDWIG, "")
    assert tab.picture_caption.text() == "Ludwig: choose a grade"


def test_every_grade_of_every_scale_has_its_own_picture(qtbot: QtBot) -> None:
    picture = ScalePicture()
    qtbot.addWidget(picture)
    for scale in HairLossScale:
        seen = []
        for grade in scale.grades:
            picture.set_grade(scale, grade)
            image = rendered(picture)
            assert image not in seen, f"{scale.label} {grade} looks like another grade"
            seen.append(image)


def test_show_scale_lists_every_grade_and_a_click_chooses_one(qtbot: QtBot) -> None:
    tab = make_tab(qtbot, Sex.MALE)
    tab.grade.setCurrentIndex(tab.grade.findText("III"))
    qtbot.mouseClick(tab.show_scale_button, Qt.MouseButton.LeftButton)
    chart = tab.scale_chart
    assert chart is not None
    qtbot.waitExposed(chart)
    assert chart.windowTitle() == "Norwood-Hamilton scale"
    assert list(chart.tiles) == list(HairLossScale.NORWOOD_HAMILTON.grades)
    assert chart.labels["III vertex"].text() == "Grade III vertex"
    assert chart.labels["III"].text() == "Grade III (chosen)"
    assert chart.tiles["III"].highlighted and not chart.tiles["IV"].highlighted
    tile = chart.tiles["III vertex"]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    assert tab.grade.currentText() == "III vertex"
    assert not chart.isVisible()


def test_a_womans_record_starts_on_ludwig_with_three_grades_in_the_chart(qtbot: QtBot) -> None:
    tab = make_tab(qtbot, Sex.FEMALE)
    assert tab.picture.scale is HairLossScale.LUDWIG
    tab.show_scale()
    assert tab.scale_chart is not None
    assert [label.text() for label in tab.scale_chart.labels.values()] == [
        "Grade I",
        "Grade II",
        "Grade III",
    ]
    tab.scale_chart.reject()
