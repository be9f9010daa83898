"""The whole command line: every subcommand's parser (``build_parser``), the rewriting of free
text that starts with "-" (``dash_safe``) and ``run``, which hands a subcommand to its group's
module (see the package's docstring for the groups).

Importing this module imports every group module and so part of the domain: the GUI's plain
start does not (``clinicdesk.cli.gui_arguments``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from clinicdesk import APP_NAME
from clinicdesk.cli import add_global_options
from clinicdesk.cli.audit import add_audit_commands, run_audit
from clinicdesk.cli.backup import (
    NO_SIGN_IN_COMMANDS,
    add_backup_commands,
    run_backup,
    run_restore,
)
from clinicdesk.cli.clinic import CLINIC_COMMANDS, add_clinic_commands, run_clinic
from clinicdesk.cli.documents import DOCUMENT_COMMANDS, add_document_commands, run_documents
from clinicdesk.cli.lots import add_lot_commands, run_lots
from clinicdesk.cli.outcomes import add_outcomes_commands, run_outcomes
from clinicdesk.cli.patients import add_patient_commands, run_patients
from clinicdesk.cli.photos import add_photo_commands, run_import_photos
from clinicdesk.cli.session import sign_in, warn_unrecorded
from clinicdesk.cli.subject_access import EXPORT_COMMANDS, add_export_commands, run_export
from clinicdesk.cli.sync import (
    SYNC_COMMANDS,
    add_sync_commands,
    run_conflicts,
    run_sync_commands,
)
from clinicdesk.cli.users import add_user_commands, run_users
from clinicdesk.cli.verify import add_verify_commands, run_verify

# The services are imported when a subcommand runs (the command modules defer theirs too).
if TYPE_CHECKING:
    from clinicdesk.paths import Paths


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clinicdesk",
        description=f"{APP_NAME}: records for a hair-loss clinic. "
        "With no subcommand, starts the GUI.",
    )
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")

    add_clinic_commands(commands)
    add_patient_commands(commands)
    add_user_commands(commands)
    add_audit_commands(commands)
    add_lot_commands(commands)
    add_outcomes_commands(commands)
    add_photo_commands(commands)
    add_document_commands(commands)
    add_backup_commands(commands)
    add_verify_commands(commands)
    add_export_commands(commands)
    add_sync_commands(commands)
    return parser


def dash_safe(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``argv`` rewritten so that free text starting with "-" is read as text, not as an
    unknown option: ``patients search "-smith"``, ``lots find -0012``, ``patients add --last
    -x`` (argparse would stop with a usage error). In the subcommand's own arguments, a word
    that is none of its options is a positional, moved after a ``--``; an option's value that
    starts with "-" is attached to it (``--last=-x``). Left alone when ``--`` is already
    there or nothing starts with "-"."""
    argv = list(argv)
    current, at = parser, 0
    while (sub := _subcommands(current)) is not None:
        while at < len(argv) and argv[at] not in sub.choices:
            at += 1 + _takes_value(current, argv[at])
        if at >= len(argv):
            return argv
        current, at = sub.choices[argv[at]], at + 1
    rest = argv[at:]
    if "--" in rest:
        return argv
    options: list[str] = []
    positionals: list[str] = []
    index = 0
    while index < len(rest):
        word = rest[index]
        if word.split("=", 1)[0] not in current._option_string_actions:
            positionals.append(word)
        elif _takes_value(current, word) and index + 1 < len(rest):
            value = rest[index + 1]
            index += 1
            if not value.startswith("-"):
                options += [word, value]
            elif word.startswith("--"):
                options.append(f"{word}={value}")
            else:
                options.append(f"{word}{value}")  # -o-x: the short option's value
        else:
            options.append(word)
        index += 1
    if not any(word.startswith("-") and word != "-" for word in positionals):
        return argv[:at] + options + positionals
    return argv[:at] + options + ["--", *positionals]


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[Any] | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _takes_value(parser: argparse.ArgumentParser, word: str) -> int:
    """1 when ``word`` is one of ``parser``'s options and its value is the next word."""
    action = parser._option_string_actions.get(word)
    return int(action is not None and action.nargs != 0)


def run(args: argparse.Namespace, paths: Paths, out: TextIO | None = None) -> int:
    """Run one subcommand; ``UserError`` propagates to ``main`` for the one-line message."""
    # Looked up per call, not as a default argument: a default would keep whatever sys.stdout
    # was at import time, so output would bypass any later redirection (pytest's capsys too).
    out = sys.stdout if out is None else out
    if args.command in CLINIC_COMMANDS:
        return run_clinic(args, paths, out)
    if args.command in NO_SIGN_IN_COMMANDS:
        return run_restore(args, paths, out)
    if args.command in SYNC_COMMANDS:
        return run_sync_commands(args, paths, out)
    signed = sign_in(paths, args)
    services, user = signed.services, signed.user
    try:
        if args.command == "patients":
            run_patients(services, user, args, out)
        elif args.command == "users":
            run_users(services.users, user, args, out)
        elif args.command == "audit":
            return run_audit(services, user, args, out)
        elif args.command == "lots":
            return run_lots(services, user, args, out)
        elif args.command == "outcomes":
            return run_outcomes(services, user, args, out)
        elif args.command == "import-photos":
            return run_import_photos(services, user, args, out)
        elif args.command in DOCUMENT_COMMANDS:
            return run_documents(services, user, args, out)
        elif args.command == "backup":
            return run_backup(services, user, args, out)
        elif args.command == "verify":
            return run_verify(services, user, args, out)
        elif args.command in EXPORT_COMMANDS:
            return run_export(services, user, args, out)
        elif args.command == "conflicts":
            return run_conflicts(services, user, args, out)
    finally:
        services.close()
        warn_unrecorded(services)
    return 0
