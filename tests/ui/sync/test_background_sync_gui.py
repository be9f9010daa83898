"""The sync the window runs by itself: on its timer, and on closing; and one cancelled in the
middle of a step from the progress dialog (each a real child process against a hub in a
temporary folder), driven with qtbot."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from clinicdesk.ui.sync import runner as runner_module
from tests.sync.helpers import Site, data_key, rows
from tests.ui.sync.helpers import CHILD_MS, add


def _sync_program_pausing_after_the_hub_commit() -> tuple[str, list[str]]:
    """``clinicdesk`` as the window starts it, pausing in the middle of its sync (the changes
    committed at the hub, the base not yet refreshed) until it is asked to stop (SIGTERM)."""
    code = (
        "import json, signal, sys, threading\n"
        "from clinicdesk.sync import engine\n"
        "asked = threading.Event()\n"
        "real_signal = signal.signal\n"
        "def patched(number, handler):\n"
        "    if number == signal.SIGTERM and callable(handler):\n"
        "        def both(n, f):\n"
        "            asked.set()\n"
        "            handler(n, f)\n"
        "        return real_signal(number, both)\n"
        "    return real_signal(number, handler)\n"
        "signal.signal = patched\n"
        "def checkpoint(name):\n"
        "    if name == 'after-hub-commit':\n"
        "        print(json.dumps({'step': 'Paused', 'done': 0, 'total': 1}), file=sys.stderr,"
        " flush=True)\n"
        "        asked.wait(60)\n"
        "engine.checkpoint = checkpoint\n"
        "from clinicdesk.app import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    return sys.executable, ["-c", code]


def test_a_sync_cancelled_in_the_middle_of_a_step_loses_nothing_and_the_next_completes_it(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    window_at: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    main, satellite, hub = sites
    key = data_key(main.data_dir)
    from_main = add(main, capsys, "Kit", "Frommain")
    main.sync(capsys)
    from_satellite = add(satellite, capsys, "Lou", "Fromsatellite")
    window = window_at(satellite, "clinician")  # type: ignore[operator]
    control = window.sync_control
    steps: list[str] = []
    control.runner.progressed.connect(lambda step, done, total: steps.append(step))
    usual = runner_module.program
    monkeypatch.setattr(runner_module, "program", _sync_program_pausing_after_the_hub_commit)

    control.sync_action.trigger()
    qtbot.waitUntil(lambda: "Paused" in steps, timeout=CHILD_MS)
    assert control.progress is not None
    cancel = control.progress.findChild(QPushButton)
    assert cancel is not None
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not control.runner.running, timeout=CHILD_MS)
    assert "cancelled" in control.status.text()
    # Sent before the cancel: at the hub; the hub's patient not yet taken here.
    assert from_satellite in {r[0] for r in rows(hub / "hub.db", key)}
    assert from_main not in {r[0] for r in rows(satellite.data_dir / "clinicdesk.db", key)}

    monkeypatch.setattr(runner_module, "program", usual)
    control.summary = None
    control.sync_action.trigger()
    qtbot.waitUntil(
        lambda: control.summary is not None and control.summary.isVisible(), timeout=CHILD_MS
    )
    assert control.last_result is not None and control.last_result["parked"] == 0
    main.sync(capsys)
    at_hub = rows(hub / "hub.db", key)
    assert rows(satellite.data_dir / "clinicdesk.db", key) == at_hub
    assert rows(main.data_dir / "clinicdesk.db", key) == at_hub
    assert {from_main, from_satellite} <= {r[0] for r in at_hub}
    assert json.loads(main.ok(capsys, "conflicts", "--json")) == []


def test_the_timer_syncs_in_the_background_without_a_dialog(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    window_at: object,
) -> None:
    main, satellite, _hub = sites
    add(satellite, capsys, "Max", "Fromsatellite")
    satellite.sync(capsys)
    window = window_at(main, "clinician")  # type: ignore[operator]
    control = window.sync_control
    assert control.timer.isActive() and control.timer.interval() == 5 * 60_000
    control.timer.setInterval(50)  # the 5 minutes, shortened
    qtbot.waitUntil(lambda: control.running, timeout=5000)
    control.timer.stop()
    assert control.progress is None  # quiet: no progress dialog
    qtbot.waitUntil(lambda: not control.running, timeout=CHILD_MS)
    assert control.summary is None  # and no summary
    assert control.status.text().startswith("Synced"), control.status.text()
    assert control.last_result is not None and control.last_result["received"] >= 1
    window.search_box.setText("Fromsatellite")
    window.run_search()
    assert window.model.rowCount() == 1


def test_closing_the_window_syncs_first_then_closes(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    window_at: object,
) -> None:
    main, _satellite, hub = sites
    key = data_key(main.data_dir)
    window = window_at(main, "clinician")  # type: ignore[operator]
    made = add(main, capsys, "Ned", "Beforeclosing")
    assert made not in {r[0] for r in rows(hub / "hub.db", key)}

    window.close()
    assert window.isVisible()  # the sync runs first, with its progress
    control = window.sync_control
    assert control.running and control.progress is not None
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=CHILD_MS)
    assert control.summary is None  # it closed without a summary to answer
    assert made in {r[0] for r in rows(hub / "hub.db", key)}


def test_the_timer_of_a_closed_window_does_nothing(
    sites: tuple[Site, Site, Path], window_at: object
) -> None:
    """A window closed (its database closed after it) whose timer still fires: nothing is
    read, nothing started."""
    main, _satellite, _hub = sites
    window = window_at(main, "clinician")  # type: ignore[operator]
    control = window.sync_control
    control.closing_sync_done = True  # closing without its sync
    window.close()
    window.services.close()
    control.timer.timeout.emit()
    assert not control.running
