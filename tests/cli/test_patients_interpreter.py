"""``patients add/edit --interpreter LANGUAGE``: the language an interpreter is needed for, as
``interpreter_language`` in the JSON of add, edit, search and show; reception may set it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import Run


@pytest.fixture
def demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    run = Run(tmp_path / "data", capsys)
    code, _, err = run("demo", "--patients", "2", "--seed", "7")
    assert (code, err) == (0, ""), err
    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    return run


def test_reception_adds_edits_and_clears_the_interpreter_language(demo: Run) -> None:
    added = demo.json(
        "patients",
        "add",
        "--first",
        "Ewa",
        "--last",
        "Nowak",
        "--dob",
        "1970-05-06",
        "--interpreter",
        " Polish ",
        user="reception",
    )
    assert added["interpreter_language"] == "Polish"
    [found] = demo.json("patients", "search", "Ewa Nowak", user="reception")
    assert found["interpreter_language"] == "Polish"
    assert found["patient_number"] == added["patient_number"]

    edited = demo.json(
        "patients", "edit", added["id"], "--interpreter", "British Sign Language", user="reception"
    )
    assert edited["interpreter_language"] == "British Sign Language"
    assert edited["first_name"] == "Ewa"  # only the field given changed
    shown = demo.json("patients", "show", added["id"], user="clinician")
    assert shown["interpreter_language"] == "British Sign Language"
    code, out, _ = demo("patients", "show", added["id"], user="reception")
    assert code == 0 and "interpreter language: British Sign Language" in out

    cleared = demo.json("patients", "edit", added["id"], "--interpreter", "", user="reception")
    assert cleared["interpreter_language"] == ""
    code, out, _ = demo("patients", "show", added["id"], user="reception")
    assert code == 0 and "interpreter" not in out


def test_a_too_long_language_is_refused_naming_the_field(demo: Run) -> None:
    code, out, err = demo(
        "patients",
        "add",
        "--first",
        "Ann",
        "--last",
        "Lee",
        "--dob",
        "1980-01-01",
        "--interpreter",
        "x" * 61,
        user="reception",
    )
    assert (code, out) == (2, "")
    assert "interpreter language: is too long (61 characters; at most 60)" in err
    assert demo.json("patients", "search", "Ann Lee", user="reception") == []
