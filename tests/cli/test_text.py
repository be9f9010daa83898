"""Text on the command line: free text that starts with "-" is text, not an unknown option
(``patients search "-smith"`` used to stop with argparse's usage error), and a name added with
an invisible character is found as it looks (RELIABILITY row 36)."""

from __future__ import annotations

import json

import pytest

from clinicdesk.app import main
from tests.conftest import PASSWORD, Clinic


@pytest.fixture
def signed(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> Clinic:
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    return clinic


def run(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], user: str, *args: str
) -> tuple[int, str, str]:
    code = main(["--data-dir", str(clinic.paths.data_dir), "--user", user, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add(clinic: Clinic, capsys: pytest.CaptureFixture[str], *names: str) -> tuple[int, str, str]:
    return run(clinic, capsys, "reception", "patients", "add", *names, "--dob", "1980-02-03")


@pytest.mark.parametrize(
    "args",
    [
        ["-smith"],
        ["-smith", "--json"],
        ["--json", "-smith"],
        ["-ann -smith", "--json"],
    ],
)
def test_a_search_starting_with_a_dash_is_searched_for(
    signed: Clinic, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, err = add(signed, capsys, "--first", "Ann", "--last", "Smith")
    assert (code, err) == (0, ""), err
    patient_id = out.strip()
    code, out, err = run(signed, capsys, "reception", "patients", "search", *args)
    assert (code, err) == (0, ""), err
    assert patient_id in out
    if "--json" in args:
        assert [row["id"] for row in json.loads(out)] == [patient_id]


def test_a_names_value_starting_with_a_dash_reaches_the_check(
    signed: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not a usage error: the value is the field's, and the field's own rule answers."""
    code, out, err = add(signed, capsys, "--first", "Ann", "--last", "-Smith", "--json")
    assert "usage:" not in err and "expected one argument" not in err
    if code == 0:
        assert json.loads(out)["last_name"] == "-Smith"
    else:
        assert err.startswith("clinicdesk: ") and "last name" in err


def test_a_lot_starting_with_a_dash_is_looked_up(
    signed: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(signed, capsys, "clinician", "lots", "find", "-0012", "--json")
    assert (code, err) == (0, ""), err
    assert json.loads(out) == []
    code, out, err = run(signed, capsys, "clinician", "lots", "find", "--json", "--", "-0012")
    assert (code, err, json.loads(out)) == (0, "", [])  # the usual "--" still works


@pytest.mark.parametrize("char", ["\u200b", "\u2060", "\u00ad", "\ufeff"])
def test_a_name_added_with_an_invisible_character_is_found_as_it_looks(
    signed: Clinic, capsys: pytest.CaptureFixture[str], char: str
) -> None:
    code, out, err = add(signed, capsys, "--first", f"Ann{char}ie", "--last", "Lee", "--json")
    assert (code, err) == (0, ""), err
    added = json.loads(out)
    assert added["first_name"] == "Annie"
    for text in ("Annie", f"Ann{char}ie lee"):
        code, out, err = run(signed, capsys, "reception", "patients", "search", text, "--json")
        assert (code, err) == (0, ""), err
        assert [row["id"] for row in json.loads(out)] == [added["id"]]
