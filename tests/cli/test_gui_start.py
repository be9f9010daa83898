"""A plain ``clinicdesk`` (the GUI) reads its few options without building the subcommands'
parsers or importing the modules behind them (about a tenth of a second of start-up: the
outcomes module alone imports the assessments and follow-ups); anything else still goes to the
whole parser, which explains a mistake as before. (What a start of the GUI imports is checked
in tests/test_startup_imports.py.)"""

from __future__ import annotations

import argparse

import pytest

from clinicdesk.app import main
from clinicdesk.cli import add_global_options, gui_arguments


@pytest.mark.parametrize(
    ("argv", "data_dir"),
    [
        ([], None),
        (["--data-dir", "/clinic"], "/clinic"),
        (["--data-dir=/x", "--user", "sam"], "/x"),
    ],
)
def test_a_plain_start_is_read_without_the_subcommands(argv: list[str], data_dir: str) -> None:
    args = gui_arguments(argv)
    assert args is not None
    assert args.command is None and args.data_dir == data_dir and not args.smoke_test


def test_the_smoke_test_is_a_plain_start() -> None:
    args = gui_arguments(["--smoke-test"])
    assert args is not None and args.smoke_test


@pytest.mark.parametrize(
    "argv",
    [["patients", "list"], ["-h"], ["--help"], ["--data-dir"], ["--frobnicate"], ["verify"]],
)
def test_anything_else_goes_to_the_whole_parser(argv: list[str]) -> None:
    assert gui_arguments(argv) is None


def test_a_mistake_is_still_explained_by_the_whole_parser(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--data-dir"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    # The whole parser's usage (it lists the subcommands), not the plain start's.
    assert "SUBCOMMAND" in err and "--data-dir: expected one argument" in err


def test_version_is_printed_by_a_plain_start(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("ClinicDesk ")


def test_a_start_with_no_arguments_makes_no_parser_and_gets_the_parsers_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The desktop's shortcut starts ``clinicdesk`` with no arguments: read without argparse
    (which looks up translations of its messages as it is built), with the same values as
    the global options' parser gives."""
    parser = argparse.ArgumentParser(add_help=False)
    add_global_options(parser)
    expected = parser.parse_args([])
    expected.command = None

    def no_parser(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a parser was made for a start with no arguments")

    monkeypatch.setattr(argparse, "ArgumentParser", no_parser)
    assert gui_arguments([]) == expected
