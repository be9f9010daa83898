"""``clinicdesk hub create DIR``, ``join DIR --site NAME``, ``sync``, ``conflicts``.

``hub create``, ``join`` and ``sync`` sign in themselves (``services.sync``): the sync engine
opens the database with APSW, so the ordinary connection is closed first. ``join`` needs no
clinic in ``--data-dir`` (it must be new or empty): an administrator of the hub's clinic
unlocks it with their password (``CLINICDESK_PASSWORD`` or a prompt) or the recovery key
(``CLINICDESK_RECOVERY_KEY``), as ``restore`` does.

``sync --hub DIR`` prints the counts (sent, received, parked); with ``--json`` one object on
stdout and each progress step as one JSON object per line on stderr (``step``, ``done``,
``total``), which is what the GUI reads when it runs this command as a child process. The GUI
gives its child the signed-in user's data key on stdin (``--key-from-stdin``, also taken by
``hub create``): the window never keeps the password, and the key is never on a command
line. SIGTERM (the GUI's Cancel) stops the sync cleanly between steps; it can also be killed
outright, and the next sync completes it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from clinicdesk.cli.backup import _secrets
from clinicdesk.cli.session import ask_password
from clinicdesk.errors import UserError

if TYPE_CHECKING:
    from clinicdesk.paths import Paths
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser

SYNC_COMMANDS = ("hub", "join", "sync")


def add_sync_commands(commands: argparse._SubParsersAction[Any]) -> None:
    hub = commands.add_parser("hub", help="the clinic's hub for sync between sites (admins)")
    hub_commands = hub.add_subparsers(dest="hub_command", metavar="ACTION")
    hub_commands.required = True
    create = hub_commands.add_parser(
        "create", help="make DIR (new or empty) the clinic's hub from this installation"
    )
    create.add_argument("dir", metavar="DIR")
    create.add_argument("--json", action="store_true")
    _key_option(create)
    join = commands.add_parser(
        "join",
        help="a new installation of the hub's clinic in --data-dir (new or empty), for one of "
        "its sites (an administrator of that clinic)",
    )
    join.add_argument("dir", metavar="DIR", help="the hub's folder")
    join.add_argument("--site", required=True, metavar="NAME", help="this installation's site")
    join.add_argument("--json", action="store_true")
    join.add_argument(
        "--password-from-stdin",
        action="store_true",
        help="read the administrator's password from stdin (one line): for the ClinicDesk "
        "window's first-run screen, which runs this command",
    )
    sync = commands.add_parser(
        "sync", help="send this installation's changes to the hub and take the hub's"
    )
    how = sync.add_mutually_exclusive_group()
    sync.add_argument("--hub", metavar="DIR", help="the hub's folder")
    how.add_argument(
        "--export-bundle", metavar="DIR", help="write this installation's changes to a bundle"
    )
    how.add_argument(
        "--import-bundle",
        metavar="FILE",
        help="with --hub: apply a bundle at the hub and write its reply beside it; "
        "without: take the hub's reply bundle",
    )
    sync.add_argument("--json", action="store_true")
    _key_option(sync)
    conflicts = commands.add_parser("conflicts", help="changes sync parked, with both values")
    conflicts.add_argument("--all", action="store_true", help="include resolved ones")
    conflicts.add_argument("--json", action="store_true")


def _key_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key-from-stdin",
        action="store_true",
        help="read the clinic's data key (hex) from stdin instead of a password: for the "
        "ClinicDesk window, which runs this command for its signed-in user",
    )


def _key_from_stdin() -> bytes:
    """The data key the window writes to this child's stdin (one line of hex), never on the
    command line or in the environment, where other programs could read it."""
    text = sys.stdin.readline().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise UserError("--key-from-stdin needs the clinic's data key as 64 hex digits on stdin.")
    return key


def _progress(as_json: bool) -> Any:
    def report(step: str, done: int, total: int) -> None:
        if as_json:
            line = json.dumps({"step": step, "done": done, "total": total})
        else:
            line = f"clinicdesk: {step} ({done}/{total})" if total > 1 else f"clinicdesk: {step}"
        print(line, file=sys.stderr, flush=True)

    return report


def _emit(out: TextIO, as_json: bool, data: dict[str, Any], text: str) -> None:
    out.write(json.dumps(data, ensure_ascii=False) + "\n" if as_json else text + "\n")


def yield_to_the_window() -> None:
    """Started by the window (its data key on stdin): run at a lower priority, so that on a
    machine with few cores the window's thread is given the processor first while the sync
    reads, writes and hashes (the sync takes seconds either way; the window must not stall).
    Where the system has no ``nice`` (Windows), nothing changes."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(10)


@contextlib.contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """SIGTERM (the window's Cancel) while a bundle is written or read stops it as an error
    at that point: a half-written bundle is removed, and what was being applied is rolled
    back (as a killed sync is completed by the next)."""

    def stop(_signum: int, _frame: object) -> None:
        raise UserError("Cancelled; nothing was lost, and the next sync completes it.")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_sync_commands(args: argparse.Namespace, paths: Paths, out: TextIO) -> int:
    from clinicdesk.services import sync

    if not args.user:
        raise UserError(f"{args.command} needs a user: add --user NAME.")
    if args.command == "join":
        if args.password_from_stdin:
            password, recovery_key = sys.stdin.readline().rstrip("\r\n"), None
        else:
            password, recovery_key = _secrets(args.user)
        joined = sync.join_hub(
            paths,
            Path(args.dir),
            args.user,
            args.site,
            password=password,
            recovery_key=recovery_key,
        )
        _emit(
            out,
            args.json,
            joined.to_json(),
            f"Joined the hub as {joined.site_name}"
            + (
                f" ({joined.workstation}, beside the site's other installation)"
                if joined.workstation
                else ""
            )
            + f": {paths.data_dir} ({joined.files} files)",
        )
        return 0
    secret: str | bytes = (
        _key_from_stdin()
        if getattr(args, "key_from_stdin", False)
        else ask_password(f"Password for {args.user}: ")
    )
    if getattr(args, "key_from_stdin", False):
        yield_to_the_window()
    if args.command == "hub":
        made = sync.create_hub(paths, args.user, secret, Path(args.dir))
        _emit(out, args.json, made.to_json(), f"Hub made at {made.hub_dir} ({made.files} files)")
        return 0
    if args.export_bundle:
        with _stopped_by_sigterm():
            exported = sync.export_bundle(paths, args.user, secret, Path(args.export_bundle))
        _emit(out, args.json, exported.to_json(), str(exported.path))
        return 0
    if args.import_bundle:
        hub_dir = Path(args.hub) if args.hub else None
        with _stopped_by_sigterm():
            read = sync.import_bundle(paths, args.user, secret, Path(args.import_bundle), hub_dir)
        imported, data = read.imported, read.to_json()
        text = (
            f"sent {imported.sent}, parked {imported.parked}; reply: {imported.path}"
            if hub_dir
            else f"received {imported.received}, kept {imported.kept}"
        )
        _emit(out, args.json, data, text)
        return 0
    if not args.hub:
        raise UserError("sync needs --hub DIR, --export-bundle DIR or --import-bundle FILE.")
    stop = {"asked": False}

    def cancel(_signum: int, _frame: object) -> None:
        stop["asked"] = True

    previous = signal.signal(signal.SIGTERM, cancel)
    try:
        done = sync.sync_with_hub(
            paths,
            args.user,
            secret,
            Path(args.hub),
            progress=_progress(args.json),
            cancelled=lambda: stop["asked"],
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    r = done.result
    _emit(
        out,
        args.json,
        done.to_json(),
        f"sent {r.sent}, received {r.received}, parked {r.parked}"
        + (f", kept here for the next sync {r.kept}" if r.kept else "")
        + f"; open conflicts: {done.open_conflicts}",
    )
    return 0


def run_conflicts(
    services: ClinicServices, user: CurrentUser, args: argparse.Namespace, out: TextIO
) -> int:
    from clinicdesk.services.conflicts import ConflictService

    found = ConflictService(services.db).conflicts(user, include_resolved=args.all)
    if args.json:
        out.write(json.dumps([c.to_json() for c in found], ensure_ascii=False, default=str) + "\n")
        return 0
    if not found:
        out.write("No parked sync conflicts.\n")
    for c in found:
        out.write(
            f"{c.id}  {c.table_name} {c.row_id}  {c.kind}  {', '.join(c.columns)}  [{c.status}]\n"
        )
        for column in c.columns:
            out.write(
                f"    {column}: hub {c.hub_values.get(column)!r} "
                f"({c.hub_updated_by} {c.hub_updated_at}) | incoming "
                f"{c.incoming_values.get(column)!r} ({c.incoming_updated_by} "
                f"{c.incoming_updated_at})\n"
            )
    return 0
