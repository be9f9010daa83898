"""The frozen build's start to a usable main window, against a frozen bare PySide6 window
built the same way (``make installer-bench``; budget as in a checkout: <= 1.5x).

Both programs are the start-up benchmark's own scripts (``bench_startup.BARE`` and
``.CLINICDESK``), frozen by PyInstaller in one run with the settings of
``build_installer.spec`` (``installer/spec_info.py``: the same modules, plugins and files
left out), one-folder, into the run's temporary folder. Each is started as a fresh process,
interleaved, and timed from spawning to exit, on the benchmark's 100k-patient clinic.
Without PyInstaller installed (it is not part of ``make test``'s tools) the benchmark says so
and is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.bench_startup import BARE, CLINICDESK, REPEAT, arguments, clinic_env, compare
from tests.bench.common import Outcome, note
from tests.bench.data import BenchClinic

REPO = Path(__file__).resolve().parents[2]

SPEC = """
import sys
sys.path.insert(0, {installer!r})
from spec_info import EXCLUDED_MODULES, filtered

def frozen(script, name, datas):
    a = Analysis([script], pathex=[{repo!r}], datas=datas, hiddenimports=["_cffi_backend"],
                 excludes=EXCLUDED_MODULES)
    a.binaries, _ = filtered(a.binaries, sys.platform)
    a.datas, _ = filtered(a.datas, sys.platform)
    exe = EXE(PYZ(a.pure), a.scripts, [], exclude_binaries=True, name=name, console=True,
              upx=False, strip=False)
    COLLECT(exe, a.binaries, a.datas, name=name, upx=False, strip=False)

frozen({bare!r}, "bare", [])
frozen({ours!r}, "clinicdesk", [({resources!r}, "resources")])
"""


def run(clinic: BenchClinic, results: list[Outcome], temp: Path) -> None:
    print(f"\n== Frozen start to a usable main window (median of {REPEAT} processes each) ==")
    if importlib.util.find_spec("PyInstaller") is None:
        note("PyInstaller is not installed: `make installer-bench` installs it and runs this")
        return
    build = temp / "frozen-startup"
    build.mkdir()
    (build / "bare.py").write_text(BARE, encoding="utf-8")
    (build / "clinicdesk_window.py").write_text(CLINICDESK, encoding="utf-8")
    spec = build / "startup.spec"
    spec.write_text(
        SPEC.format(
            installer=str(REPO / "installer"),
            repo=str(REPO),
            bare=str(build / "bare.py"),
            ours=str(build / "clinicdesk_window.py"),
            resources=str(REPO / "resources"),
        ),
        encoding="utf-8",
    )
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=ERROR",
            "--distpath",
            str(build / "dist"),
            "--workpath",
            str(build / "work"),
            str(spec),
        ],
        check=True,
        cwd=build,
    )
    note(f"both programs frozen in {time.monotonic() - started:.0f} s")
    args = arguments(clinic)
    bare = [str(build / "dist" / "bare" / "bare"), *args]
    ours = [str(build / "dist" / "clinicdesk" / "clinicdesk"), *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env = clinic_env(clinic, env)
    for command in (bare, ours):  # untimed: the files in the system's cache
        subprocess.run(command, env=env, check=True, capture_output=True)
    compare("start-up, frozen: ClinicDesk main window", bare, ours, results, env)
