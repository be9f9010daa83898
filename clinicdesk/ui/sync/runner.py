"""The sync engine runs in a child process (``clinicdesk ... sync --hub DIR --json``): it uses
APSW, which brings its own SQLite library and must never load beside the window's database
connections. ``SyncRunner`` starts that child with ``QProcess`` (nothing in the window waits
for it), hands it the signed-in user's data key on stdin (``--key-from-stdin``: never on the
command line, and no password is kept), turns its stderr's JSON lines into ``progressed``
signals and its stdout's JSON object into ``succeeded``; a non-zero exit is ``failed`` with the
child's one-line message. ``cancel`` sends SIGTERM: the child stops cleanly between steps.

A ``Job`` is what one Sync or USB action runs (``control.SyncControl.launch``): its commands
one after the other in this runner, their results gathered, then one summary.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

CLI_PROGRAM = "clinicdesk-cli"  # build_installer.spec: the frozen build's console program

# Secrets the window's own environment might hold: the child gets the key on stdin instead.
SECRET_ENV = ("CLINICDESK_PASSWORD", "CLINICDESK_RECOVERY_KEY")


@dataclass
class Job:
    """``commands`` (each ``sync ... --json``) for the child, one after the other; their
    results are gathered in ``results``; ``kind`` says which summary follows."""

    kind: str
    commands: list[list[str]]
    label: str
    bundle: Path | None = None  # the bundle read
    results: list[dict[str, Any]] = field(default_factory=list)


def program() -> tuple[str, list[str]]:
    """How to start ClinicDesk's command line: the frozen build's console program beside the
    windowed one (a windowed program has no standard output on Windows), or this Python."""
    if getattr(sys, "frozen", False):
        here = Path(sys.executable).parent
        for name in (CLI_PROGRAM, f"{CLI_PROGRAM}.exe"):
            if (here / name).is_file():
                return str(here / name), []
        return sys.executable, []
    return sys.executable, ["-m", "clinicdesk"]


class SyncRunner(QObject):
    progressed = Signal(str, int, int)  # step, done, total
    succeeded = Signal(object)  # the child's JSON object
    failed = Signal(str)  # what to tell the person
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.process: QProcess | None = None
        self.cancelled = False
        self._err = b""
        self._messages: list[str] = []

    @property
    def running(self) -> bool:
        return self.process is not None

    def start(self, data_dir: Path, username: str, key: bytes, command: list[str]) -> None:
        """Run ``clinicdesk --data-dir D --user U COMMAND --key-from-stdin``."""
        self.run(data_dir, username, [*command, "--key-from-stdin"], key.hex())

    def run(self, data_dir: Path, username: str, command: list[str], secret: str) -> None:
        """Run ``clinicdesk --data-dir D --user U COMMAND`` with ``secret`` as the one line
        of its stdin (the data key, or a password for ``join --password-from-stdin``)."""
        assert self.process is None, "one sync child at a time"
        self.cancelled = False
        self._err = b""
        self._messages = []
        process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        for name in SECRET_ENV:
            env.remove(name)
        env.insert("PYTHONIOENCODING", "utf-8")
        process.setProcessEnvironment(env)
        exe, prefix = program()
        args = [*prefix, "--data-dir", str(data_dir), "--user", username, *command]
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self.process = process
        process.start(exe, args)
        process.write((secret + "\n").encode("utf-8"))
        process.closeWriteChannel()

    def cancel(self) -> None:
        if self.process is not None:
            self.cancelled = True
            self.process.terminate()  # SIGTERM: the child stops between steps

    def _read_stderr(self) -> None:
        assert self.process is not None
        self._err += bytes(self.process.readAllStandardError().data())
        *lines, self._err = self._err.split(b"\n")
        for raw in lines:
            self._line(raw.decode("utf-8", "replace").strip())

    def _line(self, line: str) -> None:
        if not line:
            return
        try:
            data = json.loads(line)
        except ValueError:
            data = None
        if isinstance(data, dict) and "step" in data:
            self.progressed.emit(str(data["step"]), int(data["done"]), int(data["total"]))
        else:
            self._messages.append(line.removeprefix("clinicdesk: "))

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self.process is not None:
            self._done(None, "The sync program could not be started; see the log file.")

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        process = self.process
        if process is None:
            return
        self._line(self._err.decode("utf-8", "replace").strip())
        out = bytes(process.readAllStandardOutput().data()).decode("utf-8", "replace")
        if self.cancelled:
            self._done(
                None, "Sync was cancelled; nothing was lost, and the next sync completes it."
            )
        elif status == QProcess.ExitStatus.NormalExit and code == 0:
            try:
                result: Any = json.loads(out.strip().splitlines()[-1])
            except (ValueError, IndexError):
                result = {}
            self._done(result, "")
        else:
            message = self._messages[-1] if self._messages else f"Sync stopped (code {code})."
            self._done(None, message)

    def _done(self, result: Any, message: str) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.deleteLater()
        if result is not None:
            self.succeeded.emit(result)
        else:
            self.failed.emit(message)
        self.finished.emit()
