"""Start to a usable main window, against a bare PySide6 window process.

Budget (DESIGN.md): <= 1.5x a bare ``QApplication`` + ``QMainWindow`` start. Each side is a fresh
``python -c`` process that builds its window, shows it and quits on the first turn of the event
loop; the wall time from spawning the process to its exit is measured, so interpreter start-up and
imports count on both sides. ClinicDesk's side does what ``clinicdesk`` does, in its order, with
the program's own functions: ``clinicdesk.app.main``'s part (reading a plain start's options,
paths, log file, the garbage collector paused), then ``run_gui``'s (``start_application``: the
QApplication with its name, icon and hooks; opening the database with its check deferred as the
sign-in dialog does; ``show_main_window``: the main window built, shown where it was left, the
database check started on a worker, the record tabs' warm-up and the backups scheduled), on the
benchmark's 100k-patient clinic. The sign-in itself is left out: the signed-in user is taken
without a password (typing it and the deliberately slow password hash are not start-up). If that
window cannot be built, a stand-in is timed and the report says so."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.common import Outcome, note, report
from tests.bench.data import BenchClinic

RATIO_BUDGET = 1.5
REPEAT = 7
REPO = Path(__file__).resolve().parents[2]

# Each script prints one line of phase times (ms since its first line) for the breakdown.
BARE = """
import time
start = time.perf_counter()
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
marks = {"imports": time.perf_counter()}
app = QApplication(sys.argv[:1])
marks["QApplication"] = time.perf_counter()
window = QMainWindow()
window.resize(1200, 760)
window.show()
marks["window shown"] = time.perf_counter()
QTimer.singleShot(0, app.quit)
code = app.exec()
marks["first event loop turn"] = time.perf_counter()
print(json.dumps({k: (v - start) * 1000 for k, v in marks.items()}))
sys.exit(code)
"""

CLINICDESK = """
import time
start = time.perf_counter()
import json, sys
from clinicdesk.app import pause_garbage_collection, setup_logging, start_up_finished
from clinicdesk.cli import gui_arguments
from clinicdesk.paths import resolve_paths
args = gui_arguments(["--data-dir", sys.argv[1]])
paths = resolve_paths(args.data_dir)
paths.ensure()
setup_logging(paths)
pause_garbage_collection()
from PySide6.QtCore import QTimer
from clinicdesk.services.context import SignedIn, open_clinic
from clinicdesk.ui.shell.application import show_main_window, start_application
marks = {"imports": time.perf_counter()}
app = start_application()
marks["QApplication"] = time.perf_counter()
services = open_clinic(paths, data_key=bytes.fromhex(sys.argv[3]), defer_check=True)
signed = SignedIn(services, services.clinic.user(sys.argv[2]))
marks["open_clinic"] = time.perf_counter()
window, layout = show_main_window(signed, paths, start_up_finished)
marks["window shown"] = time.perf_counter()
QTimer.singleShot(0, app.quit)
code = app.exec()
marks["first event loop turn"] = time.perf_counter()
services.close()
print(json.dumps({k: (v - start) * 1000 for k, v in marks.items()}))
sys.exit(code)
"""

# Used only if MainWindow(services, user) cannot be built: the same start-up work with every
# clinicdesk.ui module imported and a plain window holding the patient list over the real model.
STAND_IN = """
import importlib, pkgutil, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
import clinicdesk.ui
from clinicdesk.app import setup_logging
from clinicdesk.paths import resolve_paths
from clinicdesk.services.context import open_clinic
for module in pkgutil.walk_packages(clinicdesk.ui.__path__, "clinicdesk.ui."):
    importlib.import_module(module.name)
paths = resolve_paths(sys.argv[1])
paths.ensure()
setup_logging(paths)
app = QApplication(sys.argv[:1])
services = open_clinic(paths, data_key=bytes.fromhex(sys.argv[3]))
user = services.clinic.user(sys.argv[2])
window = QMainWindow()
try:
    from clinicdesk.ui.patients.patient_list import PatientListModel
    view = QTableView()
    view.setModel(PatientListModel(services.patients, user, window))
    window.setCentralWidget(view)
except Exception:
    pass
window.resize(1200, 760)
window.show()
QTimer.singleShot(0, app.quit)
code = app.exec()
services.close()
sys.exit(code)
"""


def _command(script: str, clinic: BenchClinic) -> list[str]:
    # The data key as it is held in memory after sign-in (sign-in itself is not timed here).
    assert clinic.services.data_key is not None
    return [
        sys.executable,
        "-c",
        script,
        str(clinic.paths.data_dir),
        clinic.user.username,
        clinic.services.data_key.hex(),
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Compiled bytecode, as an installed ClinicDesk (and PySide6 itself) has it: with
    # PYTHONDONTWRITEBYTECODE set (some shells and CI do) every start would compile each
    # module from source again, a cost the bare window does not pay. Kept out of the
    # checkout, in the temporary folder; the untimed first run of each script fills it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "clinicdesk-bench-pycache")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _once(
    command: list[str], phases: list[dict[str, float]], env: dict[str, str] | None = None
) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=REPO, env=env or _env(), check=True, capture_output=True, text=True
    )
    elapsed = (time.perf_counter() - start) * 1000
    lines = done.stdout.strip().splitlines()
    with contextlib.suppress(IndexError, ValueError):
        phases.append(json.loads(lines[-1]))
    return elapsed


def _breakdown(label: str, phases: list[dict[str, float]]) -> None:
    if not phases:
        return
    previous = 0.0
    parts = []
    for name in phases[0]:
        at = statistics.median(p.get(name, 0.0) for p in phases)
        parts.append(f"{name} +{at - previous:.0f}")
        previous = at
    note(f"{label}, ms after the interpreter reached the script: " + ", ".join(parts))


def _works(command: list[str]) -> str:
    done = subprocess.run(command, cwd=REPO, env=_env(), capture_output=True, text=True)
    if done.returncode == 0:
        return ""
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


def run(clinic: BenchClinic, results: list[Outcome]) -> None:
    print(f"\n== Start to a usable main window (median of {REPEAT} processes each) ==")
    bare = _command(BARE, clinic)
    ours = _command(CLINICDESK, clinic)
    problem = _works(ours)
    if problem:
        note(f"MainWindow(services, user) could not be built ({problem});")
        note("timing a stand-in: all clinicdesk.ui modules imported + QMainWindow + patient list")
        ours = _command(STAND_IN, clinic)
        what = "stand-in window"
    else:
        note(
            f"measured: paths + log + open_clinic + MainWindow(services, user) shown, "
            f"{clinic.patients:,} patients"
        )
        what = "ClinicDesk main window"
    if problem := _works(bare):
        note(f"the bare PySide6 window did not start ({problem}); nothing to compare")
        return
    note("each side run once untimed first (bytecode compiled and cached, files in the cache)")
    bare_ms: list[float] = []
    ours_ms: list[float] = []
    bare_phases: list[dict[str, float]] = []
    our_phases: list[dict[str, float]] = []
    for _ in range(REPEAT):  # interleaved, so a busy moment hits both sides alike
        bare_ms.append(_once(bare, bare_phases))
        ours_ms.append(_once(ours, our_phases))
    base = statistics.median(bare_ms)
    measured = statistics.median(ours_ms)
    ratio = measured / base
    report(
        Outcome(
            f"start-up: {what}",
            f"<= {RATIO_BUDGET:g}x bare window",
            f"{measured:.0f} ms",
            f"{base:.0f} ms",
            ratio,
            ratio <= RATIO_BUDGET,
        ),
        results,
    )
    _breakdown("bare", bare_phases)
    _breakdown("ClinicDesk", our_phases)
