"""Guards the PySide6 pin: some releases drop a reference to None on every slot call.

Under Python 3.11 None is an ordinary counted object, so after a few thousand button clicks
such a release aborts the whole program ("Fatal Python error: none_dealloc"), losing whatever
was on screen. PySide6-Essentials 6.12.0 does this; 6.11.3 does not.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QCheckBox, QPushButton
from pytestqt.qtbot import QtBot

CLICKS = 300


def test_slot_calls_keep_the_reference_counts_of_none_true_and_false(qtbot: QtBot) -> None:
    button = QPushButton("Save")
    box = QCheckBox("Flag")
    qtbot.addWidget(button)
    qtbot.addWidget(box)
    calls: list[int] = []

    def on_click() -> None:
        calls.append(1)

    def on_toggle(checked: bool) -> None:
        calls.append(int(checked))

    button.clicked.connect(on_click)
    box.toggled.connect(on_toggle)
    before = [sys.getrefcount(v) for v in (None, True, False)]
    for _ in range(CLICKS):
        button.click()
        box.toggle()
    after = [sys.getrefcount(v) for v in (None, True, False)]
    assert len(calls) == 2 * CLICKS
    drift = [a - b for a, b in zip(after, before, strict=True)]
    # A healthy binding leaves these within a few references; the broken one loses one per call.
    assert all(abs(d) < CLICKS // 4 for d in drift), f"refcount drift None/True/False: {drift}"
