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
