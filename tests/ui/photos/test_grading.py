"""Clinic > Grade photos (blinded): a clinician grades pairs with the keyboard, sees nothing that
identifies a pair until the grade is stored, and then sees it unblinded."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.grading import Side
from clinicdesk.ui.photos.grading import GradingDialog
from tests.conftest import VALID_PATIENT, Clinic
from tests.services.clinical_setup import TREATED_ON
from tests.services.grading_setup import END_POINT, Graded, treated_patient_with_pairs
from tests.ui.conftest import WindowFactory


@pytest.fixture
def graded(clinic: Clinic, tmp_path: Path) -> Graded:
    return treated_patient_with_pairs(clinic, tmp_path / "card")


def shown_text(dialog: QWidget) -> str:
    """Every text on screen in the dialog, its title included."""
    texts = [dialog.windowTitle()]
    for widget in dialog.findChildren(QLabel) + dialog.findChildren(QAbstractButton):
        if widget.isVisibleTo(dialog):
            texts.append(widget.text())
    return "\n".join(texts)


IDENTIFYING = (
    VALID_PATIENT["first_name"],
    VALID_PATIENT["last_name"],
    format_uk(TREATED_ON),
    format_uk(END_POINT),
    "2025",
    "Baseline",
    "Follow-up",
    "BEFORE",
    "AFTER",
    "IMG_",
    ".JPG",
)


def assert_blind(dialog: GradingDialog) -> None:
    text = shown_text(dialog)
    for word in IDENTIFYING:
        assert word.casefold() not in text.casefold(), word


def stored_grades(clinic: Clinic) -> list[tuple[str, int, int]]:
    rows = clinic.services.db.execute(
        "SELECT before_side, shown_score, score FROM photo_grades ORDER BY created_at, id"
    ).fetchall()
    return [tuple(row) for row in rows]


def test_a_pair_is_graded_blind_with_the_keyboard_and_unblinded_only_after(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, graded: Graded
) -> None:
    window = open_window(graded.grader)
    assert window.grade_photos_action.isVisible()
    window.grade_photos_action.trigger()
    dialog = window.grading_dialog
    qtbot.waitUntil(dialog.isVisible)
    progress = dialog.findChild(QLabel, "progress")
    reveal = dialog.findChild(QLabel, "unblinded")
    assert progress.text() == "Pair 1 of 2"
    assert not reveal.isVisibleTo(dialog)
    assert_blind(dialog)
    assert not dialog.sides[Side.LEFT][1].item.pixmap().isNull()  # the photos are shown
    assert not dialog.sides[Side.RIGHT][1].item.pixmap().isNull()

    # Enter before choosing a grade does nothing; 6 picks +2 ("moderately improved").
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert stored_grades(clinic) == []
    qtbot.keyClick(dialog, Qt.Key.Key_6)
    assert dialog.chosen == 2
    assert_blind(dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)

    [(side, shown, score)] = stored_grades(clinic)
    assert shown == 2 and score == (2 if side == "left" else -2)
    assert reveal.isVisibleTo(dialog)
    text = shown_text(dialog)
    assert graded.patient_name in text
    assert format_uk(TREATED_ON) in text and format_uk(END_POINT) in text
    before_caption = dialog.findChild(QLabel, f"{side}_caption")
    assert before_caption.text() == f"{side.capitalize()}: BEFORE, {format_uk(TREATED_ON)}"
    assert "blinded photo score" in reveal.text()

    # Enter again: the next pair, blind again; the arrow keys move along the scale.
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert progress.text() == "Pair 2 of 2"
    assert not reveal.isVisibleTo(dialog)
    assert_blind(dialog)
    assert dialog.chosen is None
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Left):
        qtbot.keyClick(dialog, key)
    assert dialog.chosen == -1
    qtbot.keyClick(dialog, Qt.Key.Key_Enter)
    assert [shown for _side, shown, _score in stored_grades(clinic)] == [2, -1]
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert progress.text() == "All 2 pairs graded"
    assert not dialog.findChild(QWidget, "grading_area").isVisibleTo(dialog)
    dialog.close()


def test_the_treating_clinician_is_told_their_patients_are_left_out(
    qtbot: QtBot, clinic: Clinic, graded: Graded
) -> None:
    dialog = GradingDialog(clinic.services.photo_grading, clinic.clinician)
    qtbot.addWidget(dialog)
    assert dialog.findChild(QLabel, "progress").text() == "No pairs to grade"
    notice = dialog.findChild(QLabel, "notice").text()
    assert notice == "2 pairs of 1 patient you treated are left out: another clinician grades them."
    question = dialog.findChild(QLabel, "question").text()
    assert question == "There is nothing for you to grade: every pair is of a patient you treated."
    assert not dialog.findChild(QWidget, "grading_area").isVisibleTo(dialog)


def test_reception_has_no_grading_in_the_menu(
    open_window: WindowFactory, clinic: Clinic, graded: Graded
) -> None:
    window = open_window(clinic.reception)
    assert not window.grade_photos_action.isVisible()
