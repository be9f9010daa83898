"""The interpreter's language (migration 0015, an appended column) travels with the patient:
set at the satellite, it is on the main clinic's record after sync; changed at the main
clinic, the satellite has the change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sync.helpers import make_sites


def test_the_interpreter_language_is_carried_both_ways(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, satellite, _hub = make_sites(tmp_path, capsys, monkeypatch)
    added = json.loads(
        satellite.ok(
            capsys,
            "patients",
            "add",
            "--first",
            "Ewa",
            "--last",
            "Nowak",
            "--dob",
            "1980-02-03",
            "--interpreter",
            "Polish",
            "--json",
        )
    )
    assert [satellite.sync(capsys)["parked"], main.sync(capsys)["parked"]] == [0, 0]
    shown = json.loads(main.ok(capsys, "patients", "show", added["id"], "--json"))
    assert shown["interpreter_language"] == "Polish"

    main.ok(capsys, "patients", "edit", added["id"], "--interpreter", "Ukrainian")
    assert [main.sync(capsys)["parked"], satellite.sync(capsys)["parked"]] == [0, 0]
    shown = json.loads(satellite.ok(capsys, "patients", "show", added["id"], "--json"))
    assert shown["interpreter_language"] == "Ukrainian"
