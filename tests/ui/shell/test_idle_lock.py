"""The idle lock as a user meets it: the window locks after a short idle time, hides every
patient detail, and comes back only with a password (RELIABILITY.md row 13)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from clinicdesk.domain.medical import MedicalHistory, RedFlag, RedFlagCode
from clinicdesk.services.clinic import IDLE_LOCK_MINUTES_KEY
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage.database import write_transaction
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory, click_message_button, when_modal

IDLE_MS = 200
PATIENT_NAME = "Ms Siobhán O'Brien"
CLINICAL_TABS = {"&Medical history", "C&lassification"}


@pytest.fixture
def idle_window(qtbot: QtBot, clinic: Clinic) -> Iterator[WindowFactory]:
    """Like ``open_window``, with an idle time of ``IDLE_MS``."""
    windows: list[MainWindow] = []

    def make(user: CurrentUser) -> MainWindow:
        window = MainWindow(clinic.services, user, idle_timeout_ms=IDLE_MS)
        with qtbot.waitActive(window):
            window.show()
            window.activateWindow()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window._demographics_dirty = False
        window._medical_dirty = False
        window.idle_lock.kept.clear()  # forms hidden by a lock the test left in place
        window.close()
        window.deleteLater()


def register_with_red_flag(clinic: Clinic) -> str:
    patient_id = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT)).id
    clinic.services.patients.save_medical_history(
        clinic.clinician,
        patient_id,
        MedicalHistory(red_flags=(RedFlag(RedFlagCode.ANTICOAGULANT, "Warfarin"),)),
    )
    return patient_id


def is_locked(window: MainWindow) -> bool:
    """What the user sees: the lock screen instead of the records."""
    return window.idle_lock.screen.isVisible()


def wait_for_lock(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: is_locked(window), timeout=3000)


def type_town(qtbot: QtBot, window: MainWindow, text: str) -> QLineEdit:
    town = window.demographics.editor("town")
    assert isinstance(town, QLineEdit)
    town.setFocus()
    town.selectAll()
    qtbot.keyClicks(town, text)
    return town


def unlock(qtbot: QtBot, window: MainWindow, password: str) -> None:
    field = window.idle_lock.screen.password
    qtbot.keyClicks(field, password)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def sign_in_as(qtbot: QtBot, window: MainWindow, username: str, password: str) -> None:
    screen = window.idle_lock.screen
    if not screen.switch_form.isVisible():
        qtbot.mouseClick(screen.switch_toggle, Qt.MouseButton.LeftButton)
    screen.switch_username.clear()
    qtbot.keyClicks(screen.switch_username, username)
    qtbot.keyClick(screen.switch_username, Qt.Key.Key_Return)
    # The window's own focus: after a message box the offscreen platform leaves no window
    # active, so QApplication.focusWidget() would be None.
    assert window.focusWidget() is screen.switch_password
    qtbot.keyClicks(screen.switch_password, password)
    qtbot.keyClick(screen.switch_password, Qt.Key.Key_Return)


def tab_texts(window: MainWindow) -> set[str]:
    return {window.tabs.tabText(i) for i in range(window.tabs.count())}


def visible_text(window: MainWindow) -> str:
    """Every label and text field a user can see in the window."""
    shown = [label.text() for label in window.findChildren(QLabel) if label.isVisible()]
    shown += [field.text() for field in window.findChildren(QLineEdit) if field.isVisible()]
    return "\n".join(shown)


def test_the_window_locks_after_the_idle_time_and_hides_the_patient(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    patient_id = register_with_red_flag(clinic)
    window = idle_window(clinic.clinician)
    window.open_patient(patient_id)
    assert window.header.name.text() == PATIENT_NAME
    assert "O'Brien" in visible_text(window)
    qtbot.keyClick(window, Qt.Key.Key_Shift)  # the idle time counts from the last input
    started = time.monotonic()

    wait_for_lock(qtbot, window)

    assert time.monotonic() - started >= (IDLE_MS - 20) / 1000
    header = window.header
    for label in (header.name, header.facts, header.banner, header.photo):
        assert label.text() == ""
        assert not label.isVisible()
    assert not window.list_view.isVisible()
    assert not window.tabs.isVisible()
    assert not window.search_box.isVisible()
    shown = visible_text(window)
    for detail in ("O'Brien", "Siobhán", "Warfarin", "943 476 5919", "O'BRIEN"):
        assert detail not in shown
    assert "ClinicDesk is locked" in shown
    assert "Dr Cara Clinician" in shown
    assert QApplication.focusWidget() is window.idle_lock.screen.password
    assert window.statusBar().currentMessage() == ""
    for action in (window.new_action, window.save_action, window.find_action):
        assert not action.isEnabled()
    assert window.quit_action.isEnabled()


def test_key_presses_and_mouse_moves_postpone_the_lock(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    window = idle_window(clinic.reception)
    for step in range(5):
        if step % 2:
            qtbot.mouseMove(window.list_view.viewport(), QPoint(10 + step, 10 + step))
        else:
            qtbot.keyClick(window, Qt.Key.Key_Shift)
        qtbot.wait(100)
    assert not is_locked(window)  # 500 ms in all, never 200 ms without input
    wait_for_lock(qtbot, window)


def test_a_wrong_password_keeps_the_window_locked_with_a_message(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    patient_id = register_with_red_flag(clinic)
    window = idle_window(clinic.clinician)
    window.open_patient(patient_id)
    wait_for_lock(qtbot, window)

    unlock(qtbot, window, "not the password")

    screen = window.idle_lock.screen
    assert is_locked(window)
    assert screen.error.isVisible()
    assert "wrong" in screen.error.text()
    assert screen.password.text() == ""
    assert window.header.name.text() == ""
    assert not window.tabs.isVisible()


def test_the_right_password_brings_back_the_patient_and_the_unsaved_edit(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    patient_id = register_with_red_flag(clinic)
    window = idle_window(clinic.clinician)
    window.open_patient(patient_id)
    town = type_town(qtbot, window, "Cardiff")
    assert window.has_unsaved_changes
    wait_for_lock(qtbot, window)
    assert window.idle_lock.screen.unsaved_note.isVisible()

    # While locked the shortcuts do nothing.
    for key in (Qt.Key.Key_S, Qt.Key.Key_N, Qt.Key.Key_F):
        qtbot.keyClick(window.idle_lock.screen.password, key, Qt.KeyboardModifier.ControlModifier)
    assert clinic.services.patients.get(clinic.admin, patient_id).details.town == ""
    assert not window.creating
    assert is_locked(window)

    unlock(qtbot, window, PASSWORD)

    assert not is_locked(window)
    assert window.header.name.text() == PATIENT_NAME
    assert "Anticoagulant / antiplatelet: Warfarin" in window.header.banner_text()
    assert window.header.banner.isVisible()
    assert window.tabs.isVisible() and window.list_view.isVisible()
    assert window.tabs.currentWidget() is window.demographics
    assert town.isVisible() and town.text() == "Cardiff"
    assert QApplication.focusWidget() is town
    assert window.has_unsaved_changes and window.isWindowModified()
    assert "Signed in as Dr Cara Clinician" in window.signed_in_label.text()
    assert window.save_action.isEnabled() and window.new_action.isEnabled()

    qtbot.keyClick(town, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert clinic.services.patients.get(clinic.admin, patient_id).details.town == "Cardiff"
    assert not window.save_action.isEnabled()

    wait_for_lock(qtbot, window)  # and the idle time counts again after unlocking


def test_another_user_signs_in_and_sees_only_what_their_role_allows(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    patient_id = register_with_red_flag(clinic)
    window = idle_window(clinic.clinician)
    window.open_patient(patient_id)
    assert tab_texts(window) >= CLINICAL_TABS
    wait_for_lock(qtbot, window)

    sign_in_as(qtbot, window, "reception", PASSWORD)

    assert not is_locked(window)
    assert window.user.username == "reception"
    assert window.patient is None
    assert window.header.name.text() == ""
    assert QApplication.focusWidget() is window.search_box
    assert "Signed in as Rex Reception" in window.signed_in_label.text()
    assert window.model.rowCount() == 1
    window.open_patient(patient_id)
    assert tab_texts(window) == {"&Demographics", "D&ocuments"}  # no clinical tab
    assert "Warfarin" in window.header.banner_text()

    wait_for_lock(qtbot, window)
    assert "Rex Reception" in window.idle_lock.screen.user_label.text()
    sign_in_as(qtbot, window, "clinician", PASSWORD)
    window.open_patient(patient_id)
    assert tab_texts(window) >= CLINICAL_TABS
    assert window.medical.flag_boxes[RedFlagCode.ANTICOAGULANT].isEnabled()  # not read-only


def test_signing_in_as_someone_else_asks_before_discarding_unsaved_changes(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    patient_id = register_with_red_flag(clinic)
    window = idle_window(clinic.clinician)
    window.open_patient(patient_id)
    type_town(qtbot, window, "Cardiff")
    wait_for_lock(qtbot, window)

    seen = when_modal(click_message_button(QMessageBox.StandardButton.Cancel))
    sign_in_as(qtbot, window, "reception", PASSWORD)
    assert "Dr Cara Clinician has changes that are not saved" in seen[0]
    assert is_locked(window)
    assert window.user.username == "clinician"

    # Agreeing to discard, then mistyping the password, discards nothing yet.
    when_modal(click_message_button(QMessageBox.StandardButton.Discard))
    sign_in_as(qtbot, window, "reception", "not the password")
    assert is_locked(window)
    assert "wrong" in window.idle_lock.screen.switch_error.text()
    assert window.has_unsaved_changes

    when_modal(click_message_button(QMessageBox.StandardButton.Discard))
    sign_in_as(qtbot, window, "reception", PASSWORD)
    assert not is_locked(window)
    assert window.user.username == "reception"
    assert not window.has_unsaved_changes and not window.isWindowModified()
    assert clinic.services.patients.get(clinic.admin, patient_id).details.town == ""


def test_the_same_user_may_unlock_through_the_other_sign_in_without_being_asked(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    patient_id = register_with_red_flag(clinic)
    window = idle_window(clinic.clinician)
    window.open_patient(patient_id)
    town = type_town(qtbot, window, "Cardiff")
    wait_for_lock(qtbot, window)

    sign_in_as(qtbot, window, "Clinician", PASSWORD)  # no question: nothing is discarded

    assert not is_locked(window)
    assert town.text() == "Cardiff" and window.has_unsaved_changes


def test_closing_a_locked_window_never_saves_and_asks_before_discarding(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    patient_id = register_with_red_flag(clinic)
    window = idle_window(clinic.clinician)
    window.open_patient(patient_id)
    type_town(qtbot, window, "Cardiff")
    wait_for_lock(qtbot, window)

    seen = when_modal(click_message_button(QMessageBox.StandardButton.Cancel))
    window.quit_action.trigger()
    assert "If you quit, they are discarded." in seen[0]
    assert window.isVisible()

    when_modal(click_message_button(QMessageBox.StandardButton.Discard))
    window.quit_action.trigger()
    assert not window.isVisible()
    assert clinic.services.patients.get(clinic.admin, patient_id).details.town == ""


@pytest.mark.parametrize(
    ("stored", "minutes"), [(None, 5), ("2", 2), (" 15 ", 15), ("0", 5), ("ten", 5), ("-3", 5)]
)
def test_the_idle_time_comes_from_the_clinic_setting(
    clinic: Clinic, open_window: WindowFactory, stored: str | None, minutes: int
) -> None:
    service = clinic.services.clinic
    if stored is not None:
        with write_transaction(service.db):
            service.repo.set_setting(IDLE_LOCK_MINUTES_KEY, stored, clinic.admin.actor)
    assert service.idle_lock_minutes() == minutes
    window = open_window(clinic.reception)
    assert window.idle_lock.watcher.timeout_ms == minutes * 60_000
    assert window.idle_lock.watcher.running


def test_an_admin_sets_the_idle_time_and_the_window_follows(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.admin)
    assert window.idle_setting_action.isVisible()
    window.set_idle_lock_time(12)
    assert clinic.services.clinic.idle_lock_minutes() == 12
    assert window.idle_lock.watcher.timeout_ms == 12 * 60_000
    assert "12 minutes" in window.statusBar().currentMessage()
    clinician = open_window(clinic.clinician)
    assert not clinician.idle_setting_action.isVisible()
    from clinicdesk.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        clinic.services.clinic.set_idle_lock_minutes(clinic.clinician, 1)


def test_the_lock_closes_open_dialogs_and_keeps_the_edits(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    from clinicdesk.ui.widgets.concurrent_edit import ConcurrentEditDialog

    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    window = open_window(clinic.admin)
    window.open_patient(patient.id)
    window.open_users()
    users_dialog = window.users_dialog
    assert users_dialog.isVisible()
    window.idle_lock.lock()
    assert not users_dialog.isVisible()  # nobody passing by can create an account
    window.idle_lock._unlock(PASSWORD)
    assert not window.idle_lock.locked
    current = clinic.services.patients.get(clinic.clinician, patient.id)
    clinic.services.patients.update(
        clinic.clinician, patient.id, current.version, {**current.details.as_form(), "town": "Ely"}
    )
    town = window.demographics.editor("town")
    town.setText("York")  # type: ignore[attr-defined]
    window._demographics_changed()
    seen: list[bool] = []

    def lock_while_open(modal: object) -> None:
        assert isinstance(modal, ConcurrentEditDialog)
        window.idle_lock.lock()  # the idle time runs out with the dialog open
        seen.append(modal.isVisible())

    when_modal(lock_while_open)  # type: ignore[arg-type]
    window.save_action.trigger()
    assert seen == [False]  # the lock closed it
    assert window.idle_lock.locked
    assert town.text() == "York"  # type: ignore[attr-defined]
    assert window.has_unsaved_changes
    assert clinic.services.patients.get(clinic.admin, patient.id).details.town == "Ely"


def test_a_record_form_open_at_the_lock_comes_back_with_what_was_typed(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    patient_id = register_with_red_flag(clinic)
    window = idle_window(clinic.clinician)
    window.open_patient(patient_id)
    window.tabs.setCurrentWidget(window.measurements)
    window.measurements.open_assessment(None)
    dialog = window.measurements.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.notes, "Crown looks fuller")

    window.idle_lock.lock()
    assert not dialog.isVisible()  # nobody passing by reads it
    assert window.idle_lock.screen.unsaved_note.isVisibleTo(window.idle_lock.screen)
    unlock(qtbot, window, PASSWORD)
    assert not is_locked(window)
    assert dialog.isVisible() and dialog.notes.toPlainText() == "Crown looks fuller"

    # Another user signing in is asked first, then the form is cancelled: nothing saved.
    window.idle_lock.lock()
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Discard))
    sign_in_as(qtbot, window, "reception", PASSWORD)
    assert "Dr Cara Clinician has changes that are not saved" in seen[0]
    assert window.user.username == "reception" and not dialog.isVisible()
    assert clinic.services.assessments.list_for_patient(clinic.admin, patient_id) == []


def test_a_consultation_being_written_survives_the_lock(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    from clinicdesk.ui.care.consultation_form import ConsultationForm
    from tests.ui.conftest import type_text

    patient_id = register_with_red_flag(clinic)
    window = idle_window(clinic.clinician)
    window.open_patient(patient_id)
    window.tabs.setCurrentWidget(window.timeline)
    window.timeline.new_consultation_button.click()
    form = window.timeline.form
    assert isinstance(form, ConsultationForm) and form.isVisible()
    type_text(qtbot, form.editor("presenting_complaint"), "Thinning at the crown for 3 years")

    window.idle_lock.lock()
    assert not form.isVisible()
    unlock(qtbot, window, PASSWORD)
    assert form.isVisible()
    assert form.raw()["presenting_complaint"] == "Thinning at the crown for 3 years"


def test_quitting_a_locked_window_with_a_form_hidden_asks_first(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    patient_id = register_with_red_flag(clinic)
    window = idle_window(clinic.clinician)
    window.open_patient(patient_id)
    window.tabs.setCurrentWidget(window.measurements)
    window.measurements.open_assessment(None)
    window.idle_lock.lock()
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Cancel))
    window.quit_action.trigger()
    assert "If you quit, they are discarded." in seen[0]
    assert window.isVisible() and window.idle_lock.kept
