"""The window's sync child: the signed-in user's data key on stdin, never a password."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.sync.helpers import data_key, make_sites


def test_sync_takes_the_data_key_on_stdin_and_refuses_a_wrong_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, _satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)
    monkeypatch.delenv("CLINICDESK_PASSWORD")
    argv = ("sync", "--hub", str(hub), "--json", "--key-from-stdin")

    monkeypatch.setattr("sys.stdin", io.StringIO(key.hex() + "\n"))
    code, out, err = main.run(capsys, *argv, user="clinician")
    assert code == 0, err
    assert json.loads(out)["open_conflicts"] == 0

    monkeypatch.setattr("sys.stdin", io.StringIO(bytes(32).hex() + "\n"))
    code, out, err = main.run(capsys, *argv, user="clinician")
    assert code == 2
    assert "cannot be opened with this clinic's key" in err

    monkeypatch.setattr("sys.stdin", io.StringIO("not hex\n"))
    code, out, err = main.run(capsys, *argv, user="clinician")
    assert code == 2 and "64 hex digits" in err

    monkeypatch.setattr("sys.stdin", io.StringIO(key.hex() + "\n"))
    code, out, err = main.run(capsys, *argv, user="reception")
    assert code == 3


def test_the_windows_sync_child_gives_way_to_the_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started by the window (the key on stdin) the sync lowers its own priority, so that on a
    two-core PC the window is not starved while it runs; run from a terminal it does not."""
    import os

    main, _satellite, hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)
    niced: list[int] = []
    monkeypatch.setattr(os, "nice", lambda increment: niced.append(increment) or increment)

    code, _out, err = main.run(capsys, "sync", "--hub", str(hub), user="clinician")
    assert code == 0, err
    assert niced == []  # a sync typed at a terminal keeps its priority

    monkeypatch.delenv("CLINICDESK_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO(key.hex() + "\n"))
    argv = ("sync", "--hub", str(hub), "--json", "--key-from-stdin")
    code, _out, err = main.run(capsys, *argv, user="clinician")
    assert code == 0, err
    assert niced == [10]
