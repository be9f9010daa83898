"""``clinicdesk --help`` and every subcommand's ``--help`` print their usage and exit 0 (a
help text with a bare "%" made argparse crash with a traceback instead)."""

from __future__ import annotations

import argparse

import pytest

from clinicdesk.app import main
from clinicdesk.cli import commands as cli


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*path, name))
    return found


COMMANDS = _commands(cli.build_parser())


def test_every_command_is_listed() -> None:
    # The walk finds the nested commands too (``patients search``, ``hub create``...).
    assert () in COMMANDS and ("outcomes",) in COMMANDS
    assert any(len(path) == 2 for path in COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "clinicdesk")
def test_help_prints_and_exits_0(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*path, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: clinicdesk {' '.join(path)}".rstrip())
