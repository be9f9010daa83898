"""Start-up stays quick: what only some later action needs is not imported before it happens,
and the garbage collector is paused while the GUI starts.

The import checks run a fresh interpreter (a module imported by an earlier test would hide the
import). Timings are the benchmark's business (``make bench``); these only guard which
libraries are loaded: documents (reportlab, pypdf), photos (Pillow, pillow-heif), sealed files
and the key ring (cryptography), the sqlite-utils table API (migrations, tests), the charts, the
record tabs the main window makes when a record is first opened, and the services (with the
domain modules they bring) built on first use.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clinicdesk.app import main
from clinicdesk.paths import Paths
from clinicdesk.ui.shell.start_up import SIGNED_IN_MODULES
from tests.conftest import Clinic

# Packages, Qt modules and the record tabs made on first need, that start-up must do without.
NOT_AT_START_UP = (
    "reportlab",
    "pypdf",
    "PIL",
    "pillow_heif",
    "cryptography",
    "sqlite_utils",
    "PySide6.QtCharts",
    # The log file rotates itself (``app._LogFile``); the handlers module brings sockets and
    # pickle. argon2 comes with the first password checked (sign-in), not with the window.
    "logging.handlers",
    "argon2",
    "clinicdesk.ui.measurements.tab",
    "clinicdesk.ui.care.timeline",
    "clinicdesk.ui.photos.gallery",
    # The rest of the record, made when a record is first opened (record_tabs): its forms,
    # the documents and access log tabs, and the audit trail's reading side.
    "clinicdesk.ui.patients.patient_form",
    "clinicdesk.ui.patients.medical_history",
    "clinicdesk.ui.patients.classification",
    "clinicdesk.ui.documents",
    "clinicdesk.ui.admin",
    "clinicdesk.services.audit",
    # Services built on first use (ClinicServices), and what only they bring.
    "clinicdesk.services.assessments",
    "clinicdesk.services.clinical",
    "clinicdesk.services.consents",
    "clinicdesk.services.documents",
    "clinicdesk.services.photos",
    "clinicdesk.services.users",
    "clinicdesk.domain.clinical",
    "clinicdesk.domain.assessments",
    "clinicdesk.domain.consent",
    "clinicdesk.documents",
    "clinicdesk.media",
    # The first-run screen and the demo clinic, only on an empty data folder.
    "clinicdesk.ui.shell.first_run",
    "clinicdesk.services.demo",
    # The record's side of the main window (its header, the forms' identity line) and the
    # lock screen, made when a record is first opened or the window first locks.
    "clinicdesk.ui.shell.patient_header",
    "clinicdesk.ui.widgets.patient_identity",
    "clinicdesk.ui.shell.lock_screen",
    # uuid brings platform with it; ids are written out by hand (domain.ids).
    "uuid",
    # The medical history and classifications, read and written with an open record.
    "clinicdesk.domain.medical",
    "clinicdesk.domain.classification",
)

# Beyond those, what the main window's first screen (the search, the list, the menus) does
# without: the forms' helpers (in the application the sign-in dialog has them first) and the
# Qt classes it does not show. PySide makes a class's Python enums when the class is first
# used, some 20 us a member; and meeting an object made inside Qt (a view's own viewport, the
# objects an application-wide event filter sees) it looks through every class in turn, making
# all their enums (QWizard and QProcess stand for those: nothing of ours uses them).
MAIN_WINDOW_DOES_WITHOUT = (
    "clinicdesk.ui.widgets.fields",
    "clinicdesk.ui.widgets.dates",
    "PySide6.QtWidgets.QMessageBox",
    "PySide6.QtWidgets.QInputDialog",
    "PySide6.QtWidgets.QFileDialog",
    "PySide6.QtWidgets.QDialogButtonBox",
    "PySide6.QtWidgets.QFormLayout",
    "PySide6.QtWidgets.QPushButton",
    "PySide6.QtWidgets.QPlainTextEdit",
    "PySide6.QtWidgets.QTextBrowser",
    "PySide6.QtWidgets.QTabWidget",
    "PySide6.QtWidgets.QCalendarWidget",
    "PySide6.QtWidgets.QStyle",
    "PySide6.QtWidgets.QWizard",
    "PySide6.QtGui.QIcon",
    "PySide6.QtGui.QPainter",
    "PySide6.QtCore.QProcess",
)

# Any module of a package loads the package itself, so the names are enough to look for.
REPORT_NOT_LOADED = "print(sorted(name for name in NOT_AT_START_UP if name in sys.modules))\n"


def _run(script: str, *args: str) -> str:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", f"NOT_AT_START_UP = {NOT_AT_START_UP!r}\n{script}", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_the_start_up_modules_do_not_import_what_only_later_actions_need() -> None:
    script = (
        "import sys\n"
        "import clinicdesk.app, clinicdesk.ui.shell.application, clinicdesk.ui.shell.main_window\n"
        "import clinicdesk.services.context\n" + REPORT_NOT_LOADED
    )
    assert _run(script) == "[]"


def _main_window_script(report: str) -> str:
    """As the start-up bench does: open the clinic with its key (the check deferred, as at
    sign-in), build and show the window, let the event loop turn once; then ``report``."""
    return (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from clinicdesk.paths import resolve_paths\n"
        "from clinicdesk.services.context import open_clinic\n"
        "from clinicdesk.ui.shell.main_window import MainWindow\n"
        "app = QApplication(sys.argv[:1])\n"
        "services = open_clinic(\n"
        "    resolve_paths(sys.argv[1]), data_key=bytes.fromhex(sys.argv[2]), defer_check=True\n"
        ")\n"
        "window = MainWindow(services, services.clinic.user('admin'))\n"
        "window.show()\n"
        "QTimer.singleShot(0, app.quit)\n"
        "app.exec()\n"
        "services.close()\n" + report
    )


def test_opening_the_clinic_and_showing_the_main_window_loads_none_of_them(
    clinic: Clinic,
) -> None:
    script = _main_window_script(REPORT_NOT_LOADED)
    assert _run(script, str(clinic.paths.data_dir), clinic.key.hex()) == "[]"


def test_the_main_window_starts_without_the_record_forms_helpers_or_unused_qt_classes(
    clinic: Clinic,
) -> None:
    """A Qt class is loaded once its name is in its module (``PySide6.QtWidgets`` and so on)."""
    report = (
        f"DOES_WITHOUT = {MAIN_WINDOW_DOES_WITHOUT!r}\n"
        "def loaded(name):\n"
        "    module, _, cls = name.rpartition('.')\n"
        "    if module.startswith('PySide6.'):\n"
        "        return cls in vars(sys.modules[module])\n"
        "    return name in sys.modules\n"
        "print(sorted(name for name in DOES_WITHOUT if loaded(name)))\n"
    )
    script = _main_window_script(report)
    assert _run(script, str(clinic.paths.data_dir), clinic.key.hex()) == "[]"


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Whatever ``main`` does to the collector is undone for the tests that follow."""
    yield
    gc.unfreeze()
    gc.enable()


def test_the_gui_starts_with_the_collector_paused_until_the_main_window_is_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, unfrozen: None
) -> None:
    seen: list[tuple[str, bool]] = []

    def run_gui(paths: Paths, started: Callable[[], None]) -> int:
        seen.append(("starting", gc.isenabled()))
        started()  # the main window is on screen
        seen.append(("started", gc.isenabled()))
        return 0

    monkeypatch.setattr("clinicdesk.ui.shell.application.run_gui", run_gui)
    assert main(["--data-dir", str(tmp_path / "data")]) == 0
    assert seen == [("starting", False), ("started", True)]
    assert gc.get_freeze_count() > 0  # what start-up made is left out of later collections


def test_the_collector_runs_again_when_sign_in_is_cancelled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, unfrozen: None
) -> None:
    monkeypatch.setattr("clinicdesk.ui.shell.application.run_gui", lambda paths, started: 0)
    assert main(["--data-dir", str(tmp_path / "data")]) == 0
    assert gc.isenabled()


# What the real ``main`` has imported when it hands over to the GUI (``run_gui`` replaced by a
# stand-in that prints the loaded modules).
GUI_HAND_OVER = """
import json, sys
import clinicdesk.app as app
import clinicdesk.ui.shell.application as application

def run_gui(paths, started):
    print(json.dumps(sorted(sys.modules)))
    return 0

application.run_gui = run_gui
sys.exit(app.main(["--data-dir", sys.argv[1]]))
"""


def test_starting_the_gui_imports_no_command_module(tmp_path: Path) -> None:
    """A plain ``clinicdesk`` reads its options without the subcommands' parsers and the
    modules behind them (``cli.gui_arguments``): about a tenth of a second of start-up."""
    loaded = set(json.loads(_run(GUI_HAND_OVER, str(tmp_path / "clinic"))))
    commands = sorted(name for name in loaded if name.startswith("clinicdesk.cli."))
    assert commands == [], commands
    for heavy in ("clinicdesk.domain.outcomes", "clinicdesk.services.documents", "reportlab"):
        assert heavy not in loaded


# The sign-in dialog shown, then the imports it makes while it waits for the password.
SIGN_IN = """
import json, os, sys
STANDARD = ("dataclasses", "datetime", "locale")
from PySide6.QtCore import QTimer
import PySide6.QtCore
from clinicdesk.app import setup_logging
from clinicdesk.cli import gui_arguments
from clinicdesk.paths import resolve_paths
from clinicdesk.ui.shell.start_up import SIGNED_IN_MODULES
from clinicdesk.ui.shell.application import sign_in_dialog, start_application
from clinicdesk.ui.shell.start_up import IdleSteps

os.environ["CLINICDESK_DATA_DIR"] = sys.argv[1]
paths = resolve_paths(gui_arguments([]).data_dir)  # a start from the desktop's shortcut
paths.ensure()
setup_logging(paths)
app = start_application()
login = sign_in_dialog(paths)
login.show()
seen = {"at first": sorted(m for m in sys.modules if m.startswith("clinicdesk")),
        "standard library at first": sorted(m for m in STANDARD if m in sys.modules),
        "Qt's enums made": "Qt" in vars(PySide6.QtCore)}
imports = login.findChild(IdleSteps)

def wait():
    if imports.done:
        seen["after"] = sorted(m for m in sys.modules if m.startswith("clinicdesk"))
        seen["dialog visible"] = login.isVisible()
        seen["window made, hidden"] = login.prepared is not None and not login.prepared.isVisible()
        app.quit()
    else:
        QTimer.singleShot(20, wait)

QTimer.singleShot(0, wait)
QTimer.singleShot(20000, app.quit)
app.exec()
print(json.dumps(seen))
"""


def test_the_sign_in_dialog_comes_first_and_imports_the_rest_while_it_waits(
    tmp_path: Path,
) -> None:
    """The program's first screen comes up without the clinic's services, storage or the main
    window's modules, nor PySide's ``Qt`` namespace (93 enum types, some 30 ms); they are
    imported while it waits for the password, one a turn (``start_up.SIGNED_IN_MODULES``).
    Started as from the desktop's shortcut: no arguments, the clinic where it lives."""
    seen = json.loads(_run(SIGN_IN, str(tmp_path / "clinic")))
    first = set(seen["at first"])
    assert "clinicdesk.ui.shell.sign_in" in first
    for name in ("clinicdesk.services.context", "clinicdesk.ui.shell.main_window"):
        assert name not in first, name
    assert not any(name.startswith(("clinicdesk.storage", "clinicdesk.services")) for name in first)
    assert seen["Qt's enums made"] is False
    # Nor, from the standard library, the dataclass machinery, dates, or the locale module
    # (argparse's translations): PySide6 imports none of them, and each is milliseconds.
    assert seen["standard library at first"] == []
    assert "after" in seen, "the imports did not finish while the dialog waited"
    assert set(SIGNED_IN_MODULES) <= set(seen["after"])
    assert seen["dialog visible"]
    # Then the main window's widgets, for the window to come (application.prepare_main_window).
    assert seen["window made, hidden"]
