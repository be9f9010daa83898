"""The main window as a user drives it: search, register, edit, archive, roles."""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from clinicdesk.domain.medical import Allergy, MedicalHistory
from clinicdesk.services.context import unlock_clinic
from clinicdesk.storage import audit
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory, click_message_button, type_text, when_modal


def type_into(qtbot: QtBot, window: MainWindow, field: str, text: str) -> None:
    editor = window.demographics.editor(field)
    if isinstance(editor, QComboBox):
        index = editor.findText(text)
        assert index >= 0, f"{text!r} is not a choice of {field}"
        editor.setCurrentIndex(index)
        return
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    type_text(qtbot, editor, text)


def search(qtbot: QtBot, window: MainWindow, text: str) -> list[str]:
    window.search_box.clear()
    type_text(qtbot, window.search_box, text)
    qtbot.waitUntil(lambda: window.model.query == text.strip())
    return [
        window.model.data(window.model.index(row, 0)) or ""
        for row in range(window.model.rowCount())
    ]


def register(clinic: Clinic, **changes: str) -> str:
    form = {**VALID_PATIENT, **changes}
    return clinic.services.patients.register(clinic.clinician, form).id


def test_typing_in_the_search_box_shows_the_matching_patient(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    register(clinic)
    register(
        clinic,
        first_name="Łukasz",
        last_name="Nowak",
        date_of_birth="1979-11-30",
        nhs_number="",
        phone="020 7946 0000",
    )
    window = open_window(clinic.reception)
    qtbot.waitUntil(lambda: window.result_label.text() == "2 patients")

    assert search(qtbot, window, "o'bri") == ["O'BRIEN, Siobhán"]
    assert search(qtbot, window, "lukasz") == ["NOWAK, Łukasz"]
    assert search(qtbot, window, "03/07/1985") == ["O'BRIEN, Siobhán"]
    assert search(qtbot, window, "+44 20 7946 0000") == ["NOWAK, Łukasz"]
    assert search(qtbot, window, 'NEAR( "') == []
    assert window.result_label.text() == "No patient matches."


def test_a_date_of_birth_with_a_two_digit_year_in_the_search_box_finds_the_patient(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    register(clinic, date_of_birth="26/10/1963", nhs_number="")
    register(clinic, first_name="Ann", last_name="Zed", date_of_birth="26/10/2000", nhs_number="")
    window = open_window(clinic.reception)
    # 63 can only be 1963 for a date of birth (2063 is in the future).
    assert search(qtbot, window, "26/10/63") == ["O'BRIEN, Siobhán"]
    assert window.result_label.text() == "1 match"
    assert search(qtbot, window, "26/10/00") == ["ZED, Ann"]


def test_ctrl_f_focuses_search_and_enter_opens_the_first_match(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    register(clinic)
    window = open_window(clinic.reception)
    window.list_view.setFocus()
    assert QApplication.focusWidget() is window.list_view
    qtbot.keyClick(window.list_view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.search_box
    qtbot.keyClicks(window.search_box, "siobhan")
    qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    assert window.header.name.text() == "Ms Siobhán O'Brien"
    assert "age" in window.header.facts.text()
    assert "NHS 943 476 5919" in window.header.facts.text()


def test_new_patient_through_the_form_is_found_after_reopening(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.reception)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.header.name.text() == "New patient"
    type_into(qtbot, window, "first_name", "Zoë")
    type_into(qtbot, window, "last_name", "Ní Bhriain")
    type_into(qtbot, window, "date_of_birth", "29/02/1988")
    type_into(qtbot, window, "sex", "Female")
    type_into(qtbot, window, "nhs_number", "9434765919")
    type_into(qtbot, window, "postcode", "bt1 5gs")
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    assert window.demographics.errors_shown() == {}
    assert window.header.name.text() == "Zoë Ní Bhriain"
    postcode = window.demographics.editor("postcode")
    assert isinstance(postcode, QLineEdit) and postcode.text() == "BT1 5GS"
    clinic.services.close()

    # A restart: sign in again, which unwraps the key and opens the database afresh.
    reopened = unlock_clinic(clinic.paths, "reception", PASSWORD).services
    try:
        found = reopened.patients.search(clinic.reception, "zoe ni bhriain")
        assert [(p.first_name, p.last_name) for p in found] == [("Zoë", "Ní Bhriain")]
        assert found[0].date_of_birth.isoformat() == "1988-02-29"
    finally:
        reopened.close()
        clinic.services = clinic.reopen()


def test_wrong_nhs_number_shows_a_message_at_that_field_and_saves_nothing(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.reception)
    window.new_action.trigger()
    type_into(qtbot, window, "first_name", "Ann")
    type_into(qtbot, window, "last_name", "Other")
    type_into(qtbot, window, "date_of_birth", "01/01/1990")
    type_into(qtbot, window, "sex", "Female")
    type_into(qtbot, window, "nhs_number", "943 476 5910")
    window.save_action.trigger()

    errors = window.demographics.errors_shown()
    assert list(errors) == ["nhs_number"]
    assert "check digit" in errors["nhs_number"]
    assert window.demographics.fields["nhs_number"].error_label.isVisible()
    assert clinic.services.patients.count(clinic.admin) == 0
    assert "Not saved" in window.statusBar().currentMessage()


def test_several_bad_fields_are_each_marked_and_the_good_ones_kept(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.reception)
    window.new_action.trigger()
    type_into(qtbot, window, "first_name", "Ann")
    type_into(qtbot, window, "date_of_birth", "31/02/2020")
    type_into(qtbot, window, "email", "not-an-email")
    window.save_action.trigger()
    assert set(window.demographics.errors_shown()) == {
        "last_name",
        "date_of_birth",
        "sex",
        "email",
    }
    first = window.demographics.editor("first_name")
    assert isinstance(first, QLineEdit) and first.text() == "Ann"


def test_second_of_two_concurrent_saves_is_refused_and_the_first_kept(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient_id = register(clinic)
    window = open_window(clinic.reception)
    window.open_patient(patient_id)

    # Meanwhile, a clinician at another workstation (its own connection) changes the phone.
    other = clinic.reopen()
    try:
        current = other.patients.get(clinic.clinician, patient_id)
        other.patients.update(
            clinic.clinician,
            patient_id,
            current.version,
            {**current.details.as_form(), "phone": "07700 900999"},
        )
    finally:
        other.close()

    type_into(qtbot, window, "email", "new@example.com")
    shown: dict[str, object] = {}

    def inspect_and_use_saved(modal: object) -> None:
        from clinicdesk.ui.widgets.concurrent_edit import ConcurrentEditDialog

        assert isinstance(modal, ConcurrentEditDialog)
        table = modal.table
        rows = {
            table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())
        }
        shown["message"] = modal.message.text()
        shown["rows"] = rows
        modal.use_saved.click()

    when_modal(inspect_and_use_saved)
    window.save_action.trigger()

    assert "changed by someone else" in str(shown["message"])
    assert "Dr Cara Clinician" in str(shown["message"])
    rows = shown["rows"]
    assert isinstance(rows, dict)
    assert rows["Email"] == ("new@example.com", "siobhan@example.com")
    assert rows["Phone"] == ("07700 900123", "07700 900999")
    stored = clinic.services.patients.get(clinic.admin, patient_id)
    assert stored.details.phone == "07700 900999"
    assert stored.details.email == "siobhan@example.com"
    phone = window.demographics.editor("phone")
    assert isinstance(phone, QLineEdit) and phone.text() == "07700 900999"


def test_keeping_my_changes_after_a_conflict_then_saving_replaces_knowingly(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient_id = register(clinic)
    window = open_window(clinic.reception)
    window.open_patient(patient_id)
    current = clinic.services.patients.get(clinic.clinician, patient_id)
    clinic.services.patients.update(
        clinic.clinician,
        patient_id,
        current.version,
        {**current.details.as_form(), "town": "Leeds"},
    )
    type_into(qtbot, window, "town", "York")
    when_modal(lambda modal: modal.keep_mine.click())  # type: ignore[attr-defined]
    window.save_action.trigger()
    assert clinic.services.patients.get(clinic.admin, patient_id).details.town == "Leeds"
    assert window.has_unsaved_changes
    window.save_action.trigger()
    assert clinic.services.patients.get(clinic.admin, patient_id).details.town == "York"


def test_leaving_a_changed_record_asks_and_cancel_keeps_the_edit(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient_id = register(clinic)
    window = open_window(clinic.reception)
    window.open_patient(patient_id)
    type_into(qtbot, window, "town", "Cardiff")
    assert window.isWindowModified()

    seen = when_modal(click_message_button(QMessageBox.StandardButton.Cancel))
    window.new_action.trigger()
    assert "not saved" in seen[0]
    assert window.patient is not None and window.patient.id == patient_id
    town = window.demographics.editor("town")
    assert isinstance(town, QLineEdit) and town.text() == "Cardiff"

    when_modal(click_message_button(QMessageBox.StandardButton.Save))
    window.new_action.trigger()
    assert window.creating
    assert clinic.services.patients.get(clinic.admin, patient_id).details.town == "Cardiff"


def test_archive_hides_the_patient_and_restore_brings_it_back(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient_id = register(clinic)
    window = open_window(clinic.reception)
    window.open_patient(patient_id)
    when_modal(click_message_button(QMessageBox.StandardButton.Yes))
    window.archive_action.trigger()
    assert "[archived]" in window.header.name.text()
    assert search(qtbot, window, "brien") == []
    window.include_archived.setChecked(True)
    assert window.model.rowCount() == 1
    assert window.archive_action.text() == "&Restore patient"
    window.archive_action.trigger()
    assert "[archived]" not in window.header.name.text()
    assert clinic.services.patients.get(clinic.admin, patient_id).archived is False


def test_reception_sees_the_red_flag_banner_but_no_clinical_tabs(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    from clinicdesk.domain.medical import Allergy, MedicalHistory, RedFlag, RedFlagCode

    patient_id = register(clinic)
    clinic.services.patients.save_medical_history(
        clinic.clinician,
        patient_id,
        MedicalHistory(
            red_flags=(RedFlag(RedFlagCode.ANTICOAGULANT, "Warfarin"),),
            allergies=(Allergy("Lidocaine <b>", "Anaphylaxis"),),
        ),
    )
    window = open_window(clinic.reception)
    window.open_patient(patient_id)
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tabs == ["&Demographics", "D&ocuments"]  # printing and consents, nothing clinical
    banner = window.header.banner_text()
    assert "Allergy: Lidocaine <b> (Anaphylaxis)" in banner  # markup shown as typed
    assert "Anticoagulant / antiplatelet: Warfarin" in banner
    assert window.header.banner.isVisible()


def test_admin_may_read_but_not_edit_the_medical_history(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient_id = register(clinic)
    window = open_window(clinic.admin)
    window.open_patient(patient_id)
    tabs = {window.tabs.tabText(i) for i in range(window.tabs.count())}
    assert {"&Demographics", "&Medical history", "C&lassification"} <= tabs
    assert not window.medical.treatments.add_button.isVisible()
    assert not window.medical.flag_boxes[next(iter(window.medical.flag_boxes))].isEnabled()
    assert not window.classification.add_box.isVisible()


def test_a_new_patient_beyond_the_first_page_is_shown_selected_in_the_list(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    from clinicdesk.ui.patients.patient_list import PAGE_SIZE

    for i in range(PAGE_SIZE + 1):
        register(clinic, last_name=f"Aaron{i:03d}", nhs_number="")
    window = open_window(clinic.reception)
    window.new_action.trigger()
    type_into(qtbot, window, "first_name", "Zed")
    type_into(qtbot, window, "last_name", "Zygmunt")
    type_into(qtbot, window, "date_of_birth", "01/02/1970")
    type_into(qtbot, window, "sex", "Male")
    window.save_action.trigger()
    selected = window.list_view.selectionModel().selectedRows()
    assert [window.model.data(index) for index in selected] == ["ZYGMUNT, Zed"]


def test_the_record_tabs_are_made_in_idle_time_after_the_window_is_up_and_audit_nothing(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    """Start-up shows the list alone; the record's tabs are made in idle time afterwards (one
    module a turn, then the tabs), so the first record opens as quickly as the next."""
    patient = clinic.services.patients.register(clinic.admin, dict(VALID_PATIENT))
    window = open_window(clinic.clinician)
    assert not window.record_tabs_made  # not with the window
    entries = audit.count(clinic.services.db)
    window.warm_up(after_ms=0)
    qtbot.waitUntil(lambda: window.record_tabs_made, timeout=20_000)
    assert audit.count(clinic.services.db) == entries  # made, nothing read or audited
    labels = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert labels[:3] == ["&Demographics", "&Medical history", "C&lassification"]
    assert window.stack.currentWidget() is window.placeholder  # still no record on screen
    [pack] = [a for a in window.actions() if a.shortcut().toString() == "Ctrl+Shift+P"]
    assert pack is window.documents.consent_pack_action and not pack.isEnabled()

    window.search_box.setText("O'Brien")
    window.run_search()
    qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    assert window.patient is not None and window.patient.id == patient.id
    assert window.header.name.text().endswith("O'Brien")


def test_the_tabs_not_on_screen_are_filled_after_the_record_is_shown(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    """Opening a record fills the tab on screen at once and the others on the next turns of
    the event loop, so the record shows without waiting for them; asking for one (or
    showing it) fills it at once."""
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    history = MedicalHistory(allergies=(Allergy("Penicillin", "rash"),))
    clinic.services.patients.save_medical_history(clinic.clinician, patient.id, history)
    window = open_window(clinic.clinician)

    window.open_patient(patient.id)
    made = window.record_tabs()
    assert window.tabs.currentWidget() is made.demographics
    assert made.demographics.raw()["last_name"] == "O'Brien"  # on screen: filled at once
    assert "Penicillin" in window.header.banner_text()
    assert made.medical.allergies.table.rowCount() == 0  # not yet: the record is shown first
    qtbot.waitUntil(lambda: made.medical.allergies.table.rowCount() == 1)

    other = clinic.services.patients.register(
        clinic.clinician, dict(VALID_PATIENT, nhs_number="", last_name="Byrne")
    )
    other_history = MedicalHistory(allergies=(Allergy("Latex", ""), Allergy("Iodine", "")))
    clinic.services.patients.save_medical_history(clinic.clinician, other.id, other_history)
    window.open_patient(other.id)
    assert window.medical.allergies.cell_text(1, "substance") == "Iodine"  # asked: filled

    window.open_patient(patient.id)
    window.tabs.setCurrentWidget(made.medical)  # shown: filled
    assert made.medical.allergies.table.rowCount() == 1


def test_the_record_is_painted_before_the_tabs_not_on_screen_are_filled_one_turn_each(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    """Enter on a patient: the record is read and filled in one turn of the event loop, its
    header and the tab on screen painted in the next, and the tabs not on screen filled
    afterwards, each on a turn of its own (a timer due meanwhile runs between them): the
    window never holds still for all of it at once."""
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    history = MedicalHistory(allergies=(Allergy("Penicillin", "rash"),))
    clinic.services.patients.save_medical_history(clinic.clinician, patient.id, history)
    window = open_window(clinic.clinician)
    made = window.record_tabs()  # as the idle-time warm-up makes them
    seen: list[str] = []

    class PaintWatch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and seen and seen[-1] != "painted":
                seen.append("painted")
            return False

    watch = PaintWatch()
    window.header.name.installEventFilter(watch)
    for name in ("medical", "classification"):
        tab = getattr(made, name)

        def load(*args: object, _name: str = name, _load: Any = tab.load) -> None:
            seen.append(_name)
            _load(*args)

        tab.load = load
    ticks = QTimer()
    ticks.setInterval(0)
    ticks.timeout.connect(lambda: seen.append("tick") if seen[-1:] != ["tick"] else None)
    window.search_box.setText("O'Brien")
    window.run_search()

    def press() -> None:
        seen.append("Enter")
        qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
        ticks.start()

    QTimer.singleShot(5, press)  # from a timer, as a key press comes between turns
    qtbot.waitUntil(lambda: made.medical.allergies.table.rowCount() == 1)
    qtbot.waitUntil(lambda: "classification" in seen)
    ticks.stop()
    assert window.header.name.text().endswith("O'Brien")
    fills = [i for i, what in enumerate(seen) if what in ("medical", "classification")]
    painted = seen.index("painted")
    assert "tick" in seen[seen.index("Enter") : painted], seen  # read, then painted
    assert painted < fills[0], seen  # the record on screen before any fill
    assert all("tick" in seen[a:b] for a, b in itertools.pairwise(fills)), seen


def test_idle_time_makes_the_record_tabs_one_a_turn(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    """The warm-up makes each tab on a turn of its own (together they held the window for
    some 70 ms, keys typed meanwhile waiting), and the record uses the tabs it made."""
    window = open_window(clinic.clinician)
    window.warm_up(after_ms=0)
    qtbot.waitUntil(lambda: len(getattr(window, "_pre_made", {})) == 1, timeout=20_000)
    [first] = window._pre_made.values()
    assert not window.record_tabs_made  # one tab made, the rest still to come
    qtbot.waitUntil(lambda: window.record_tabs_made, timeout=20_000)
    assert window.demographics is first
    assert window._pre_made == {}


def test_the_tab_names_are_the_record_tabs_fields() -> None:
    from dataclasses import fields

    from clinicdesk.ui.shell.record_tabs import TAB_NAMES, RecordTabs

    assert set(TAB_NAMES) == {f.name for f in fields(RecordTabs)}
