"""The command line beside the GUI (calibre's ``calibredb`` is the model).

Subcommands call the same services as the GUI, so the same permissions and audit apply.
Exit status: 0 success; 2 a user error (one line on stderr, no traceback); 3 permission denied.
``--json`` prints machine-readable output with stable snake_case field names.

What lives here: this module holds the global options and ``gui_arguments``, which tells a
plain start of the GUI from a subcommand without importing any command module; ``commands``
holds the whole parser (``build_parser``, ``dash_safe``) and ``run``, which hands each
subcommand to its group's module: ``clinic`` (init, demo),
``patients``, ``users``, ``audit``, ``lots``, ``outcomes`` (the outcomes audit), ``photos``
(import-photos), ``documents`` (report,
letters, consent forms), ``backup`` (backup, restore: the one command run without signing in to
a clinic), ``verify`` (the clinic data check), ``subject_access`` (export-patient), ``sync``
(hub create, join, sync: each signs in itself; conflicts); ``session`` signs in. Each group
module adds its own subparsers (``add_*_commands``) and runs them (``run_*``).

May import: ``clinicdesk.services``, ``clinicdesk.domain``, ``clinicdesk.errors`` and
``clinicdesk.paths``; never Qt, sqlite-utils or reportlab, nor ``clinicdesk.storage`` (all
checked by import-linter). Services are imported inside the functions that need them. The GUI
start imports this package's ``gui_arguments`` only, not ``commands`` (which imports every group
module and builds every subparser): a test checks what a plain start imports.

Tests: tests/cli/ (one file per command group).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from clinicdesk import APP_NAME, __version__


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """The options before any subcommand (the GUI's too): ``--version``, ``--data-dir``,
    ``--user`` and ``--smoke-test``."""
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("--data-dir", help="clinic data folder (default: your user data folder)")
    parser.add_argument("--user", help="acting user for subcommands that need one")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="check that this installation works (in a temporary folder) and exit",
    )


def gui_arguments(argv: Sequence[str]) -> argparse.Namespace | None:
    """The arguments of a plain start (the GUI or the smoke test: global options only, each
    well formed), without the subcommands' parsers; ``None`` for anything else (a subcommand,
    ``--help``, an unknown or incomplete option), which the whole parser in ``commands`` reads
    and, if it is wrong, explains. ``--version`` prints and exits as the whole parser would.
    With no arguments at all (the desktop's shortcut) no parser is made: argparse looks up
    its own messages' translations as it is built, a few milliseconds of every start."""
    if not argv:
        return argparse.Namespace(data_dir=None, user=None, smoke_test=False, command=None)
    parser = argparse.ArgumentParser(prog="clinicdesk", add_help=False, exit_on_error=False)
    add_global_options(parser)
    try:
        args, rest = parser.parse_known_args(list(argv))
    except argparse.ArgumentError:
        return None
    if rest:
        return None
    args.command = None
    return args
