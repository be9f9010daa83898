"""Start-up stays quick: what only documents need is not imported before a document is made."""

from __future__ import annotations

import os
import subprocess
import sys


def test_opening_the_main_window_module_does_not_import_reportlab() -> None:
    script = (
        "import sys\n"
        "import clinicdesk.app, clinicdesk.ui.application, clinicdesk.ui.main_window\n"
        "import clinicdesk.services.context\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('reportlab', 'pypdf')))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
