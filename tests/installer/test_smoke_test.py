"""``clinicdesk --smoke-test``: every step passes in a checkout, and a missing native library
fails it with one line naming the library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from clinicdesk.app import main
from clinicdesk.ui.shell import smoke_test


def test_the_smoke_test_passes_every_step(qtbot: QtBot, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--smoke-test"]) == 0
    out = capsys.readouterr().out
    for step in (
        "native libraries",
        "create an encrypted clinic (database encrypted)",
        "sign in",
        "import a JPEG and a HEIC photo (2 imported",
        "render a consent form",
        "render a progress report",
        "verify",
        "audit verify",
        "main window and every record tab (Demographics, Medical history",
    ):
        assert f"ok  {step}" in out
    assert out.rstrip().endswith("smoke test passed")


def test_a_missing_native_library_is_named(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        smoke_test,
        "NATIVE_MODULES",
        (*smoke_test.NATIVE_MODULES, ("Imaginary codec", "clinicdesk_no_such_native_module")),
    )
    assert main(["--smoke-test"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "Imaginary codec" in err[0] and "clinicdesk_no_such_native_module" in err[0]


def test_a_missing_library_at_start_is_one_line() -> None:
    """Python cannot import the app at all (a frozen build without a library): one line."""
    code = (
        "import sys; sys.modules['platformdirs'] = None; "
        "sys.argv = ['clinicdesk', '--version']; import runpy; "
        "runpy.run_module('clinicdesk', run_name='__main__')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert (
        done.stderr.strip().splitlines() == [done.stderr.strip()]
        and "a library is missing" in done.stderr
    )
    assert "platformdirs" in done.stderr


def test_a_missing_library_when_first_needed_is_one_line(tmp_path: Path) -> None:
    """The database's library is loaded when a command first needs it, not at start (the
    sign-in dialog comes sooner): a command without it says so on one line."""
    code = (
        "import sys; sys.modules['sqlcipher3'] = None; "
        f"sys.argv = ['clinicdesk', '--data-dir', {str(tmp_path)!r}, "
        "'patients', 'search', 'smith']; "
        "import runpy; runpy.run_module('clinicdesk', run_name='__main__')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "a library is missing" in lines[0] and "sqlcipher3" in lines[0]
