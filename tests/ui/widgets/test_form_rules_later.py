"""The program installs the form rules (the mouse wheel never changes a field without the
keyboard focus) half a second after it starts, so that their event filter does not delay the
first window; fields made before then get the rules when they come."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QSpinBox, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.ui.shell.application import start_application
from clinicdesk.ui.shell.start_up import EVENT_FILTERS_AFTER_MS
from clinicdesk.ui.widgets.guarded_dialog import WheelGuard, install_form_rules
from tests.ui.test_form_safety import wheel


def _guard(app: QApplication) -> WheelGuard | None:
    found = app.findChild(WheelGuard)
    return found if isinstance(found, WheelGuard) else None


@pytest.fixture
def no_form_rules(qapp: QApplication) -> Iterator[QApplication]:
    """The application as the program starts it: no form rules yet (the GUI tests' fixture
    installs them at once); put back afterwards."""
    guard = _guard(qapp)
    assert guard is not None
    qapp.removeEventFilter(guard)
    guard.setParent(None)
    guard.deleteLater()
    yield qapp
    install_form_rules(qapp)


def test_the_form_rules_come_soon_after_start_and_reach_fields_made_before(
    qtbot: QtBot, no_form_rules: QApplication
) -> None:
    app = start_application()
    assert app is no_form_rules
    assert _guard(app) is None  # not at once: the first window comes first

    form = QWidget()
    qtbot.addWidget(form)
    layout = QVBoxLayout(form)
    note, combo, spin = QLineEdit(), QComboBox(), QSpinBox()
    combo.addItems(["Frontal", "Vertex", "Occipital"])
    for field in (note, combo, spin):
        layout.addWidget(field)
    form.show()
    qtbot.waitExposed(form)
    combo.setFocusPolicy(Qt.FocusPolicy.WheelFocus)  # as a style may leave it
    spin.setFocusPolicy(Qt.FocusPolicy.WheelFocus)

    qtbot.waitUntil(lambda: _guard(app) is not None, timeout=EVENT_FILTERS_AFTER_MS * 10)
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert spin.focusPolicy() == Qt.FocusPolicy.StrongFocus
    note.setFocus()
    wheel(combo, 1)
    wheel(spin, 1)
    assert (combo.currentText(), spin.value()) == ("Frontal", 0)
