"""The clinic number on the command line: in the JSON of ``patients add``, ``search`` and
``show`` as ``patient_number``, and ``patients search NUMBER`` finds the patient."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clinicdesk.app import main


class Run:
    def __init__(self, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir = data_dir
        self.capsys = capsys

    def __call__(self, *args: str, user: str | None = None) -> tuple[int, str, str]:
        argv = ["--data-dir", str(self.data_dir), *(["--user", user] if user else [])]
        code = main([*argv, *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def json(self, *args: str, user: str) -> Any:
        code, out, err = self(*args, "--json", user=user)
        assert (code, err) == (0, ""), err
        return json.loads(out)


@pytest.fixture
def demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    run = Run(tmp_path / "data", capsys)
    code, _, err = run("demo", "--patients", "3", "--seed", "7")
    assert (code, err) == (0, ""), err
    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    return run


def test_the_clinic_number_is_in_the_json_and_finds_the_patient(demo: Run) -> None:
    added = demo.json(
        "patients",
        "add",
        "--first",
        "Nora",
        "--last",
        "Nonhs",
        "--dob",
        "1970-05-06",
        user="reception",
    )
    # The demo registered three patients at the main clinic before this one.
    assert added["patient_number"] == "M-00004"
    assert added["nhs_number"] == ""  # no NHS number: the clinic number is the second identifier

    for typed in ("M-00004", "m4"):
        found = demo.json("patients", "search", typed, user="reception")
        assert [(p["id"], p["patient_number"]) for p in found] == [(added["id"], "M-00004")]

    listed = demo.json("patients", "search", "Nonhs", user="reception")
    assert listed[0]["patient_number"] == "M-00004"
    shown = demo.json("patients", "show", added["id"], user="clinician")
    assert shown["patient_number"] == "M-00004"

    code, out, err = demo("patients", "search", "M-00004", user="reception")
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"{added['id']}  M-00004  NONHS, Nora  06/05/1970  NHS -"]
    code, out, _ = demo("patients", "show", added["id"], user="reception")
    assert "patient number: M-00004" in out.splitlines()
