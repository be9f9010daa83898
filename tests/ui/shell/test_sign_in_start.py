"""The sign-in dialog, the program's first screen, comes up without the clinic's services or
the main window's modules; they are imported while it waits for the password, one a turn, so
the main window comes sooner after it. Run in a fresh interpreter: in the test process
everything is imported already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from clinicdesk.ui.shell.start_up import SIGNED_IN_MODULES

REPO = Path(__file__).resolve().parents[3]

PROBE = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from clinicdesk.paths import Paths
from clinicdesk.ui.shell.application import sign_in_dialog, start_application
from clinicdesk.ui.shell.start_up import IdleImports

app = start_application()
login = sign_in_dialog(Paths(Path(sys.argv[1])))
login.show()
import PySide6.QtCore
seen = {"at first": sorted(m for m in sys.modules if m.startswith("clinicdesk")),
        "Qt's enums made": "Qt" in vars(PySide6.QtCore)}
imports = login.findChild(IdleImports)

def wait():
    if imports.done:
        seen["after"] = sorted(m for m in sys.modules if m.startswith("clinicdesk"))
        seen["dialog visible"] = login.isVisible()
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
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "clinic")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    first = set(seen["at first"])
    assert "clinicdesk.ui.shell.sign_in" in first
    for name in ("clinicdesk.services.context", "clinicdesk.ui.shell.main_window"):
        assert name not in first, name
    assert not any(name.startswith("clinicdesk.storage") for name in first)
    # Nor PySide's ``Qt`` namespace, whose 93 enum types take some 30 ms to make.
    assert seen["Qt's enums made"] is False
    assert "after" in seen, "the imports did not finish while the dialog waited"
    assert set(SIGNED_IN_MODULES) <= set(seen["after"])
    assert seen["dialog visible"]
