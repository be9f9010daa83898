"""Long work runs off the GUI thread; the progress dialog shows only when it is slow."""

from __future__ import annotations

import threading
import time

from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress


def make_parent(qtbot: QtBot) -> QWidget:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    return parent


def test_quick_work_never_shows_the_dialog_and_returns_on_the_gui_thread(qtbot: QtBot) -> None:
    parent = make_parent(qtbot)
    results: list[tuple[object, bool]] = []
    worker_threads: list[threading.Thread] = []

    def work(progress: Progress, cancelled: Cancelled) -> int:
        worker_threads.append(threading.current_thread())
        progress(1, 1)
        return 42

    def done(value: object) -> None:
        results.append((value, threading.current_thread() is threading.main_thread()))

    task = BackgroundTask(parent, "Working", work, done, lambda exc: None)
    task.start()
    qtbot.waitUntil(lambda: bool(results))
    assert results == [(42, True)]
    assert worker_threads[0] is not threading.main_thread()
    assert not task.dialog.isVisible()


def test_slow_work_shows_progress_and_can_be_cancelled(qtbot: QtBot) -> None:
    parent = make_parent(qtbot)
    outcome: list[object] = []

    def work(progress: Progress, cancelled: Cancelled) -> str:
        for step in range(200):
            if cancelled():
                return f"stopped at {step}"
            progress(step, 200)
            time.sleep(0.01)
        return "finished"

    task = BackgroundTask(parent, "Slow work", work, outcome.append, outcome.append)
    task.start()
    qtbot.waitUntil(task.dialog.isVisible, timeout=3000)
    qtbot.waitUntil(lambda: task.dialog.value() > 0)
    cancel = next(b for b in task.dialog.findChildren(QPushButton) if b.text() == "Cancel")
    cancel.click()
    qtbot.waitUntil(lambda: bool(outcome), timeout=5000)
    assert str(outcome[0]).startswith("stopped at")
    assert not task.dialog.isVisible()


def test_a_failure_in_the_work_reaches_the_failure_callback(qtbot: QtBot) -> None:
    parent = make_parent(qtbot)
    failures: list[BaseException] = []

    def work(progress: Progress, cancelled: Cancelled) -> None:
        raise ValueError("bad input file")

    task = BackgroundTask(parent, "Failing", work, lambda _: None, failures.append)
    task.start()
    qtbot.waitUntil(lambda: bool(failures))
    assert isinstance(failures[0], ValueError) and "bad input file" in str(failures[0])
