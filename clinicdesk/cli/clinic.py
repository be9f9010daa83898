"""``clinicdesk init`` and ``clinicdesk demo``: a new clinic, or a demo one with synthetic
patients. Neither needs a signed-in user."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from clinicdesk.cli.session import ask_password, recovery_notice
from clinicdesk.errors import UserError

if TYPE_CHECKING:
    from clinicdesk.paths import Paths

CLINIC_COMMANDS = ("init", "demo")


def add_clinic_commands(commands: argparse._SubParsersAction[Any]) -> None:
    init = commands.add_parser("init", help="create a new clinic in the data folder")
    init.add_argument("--clinic", required=True, help="clinic name")
    init.add_argument(
        "--site", action="append", required=True, help="a site; the first is this install's"
    )
    init.add_argument("--admin", required=True, help="user name of the first administrator")

    demo = commands.add_parser("demo", help="create a demo clinic with synthetic patients")
    demo.add_argument(
        "--patients",
        type=int,
        default=None,
        help="how many patients (default 40, as from the first-run screen)",
    )
    demo.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")


def run_clinic(args: argparse.Namespace, paths: Paths, out: TextIO) -> int:
    """``init`` or ``demo`` (``CLINIC_COMMANDS``)."""
    if args.command == "init":
        from clinicdesk.services.clinic import NewClinic
        from clinicdesk.services.context import create_clinic_storage

        password = ask_password("Password for the new administrator: ")
        created = create_clinic_storage(
            paths,
            NewClinic(args.clinic, args.site[0], args.site[1:], args.admin, args.admin, password),
        )
        created.services.close()
        out.write(f"Created {args.clinic}; administrator {created.user.username}.\n")
        assert created.recovery_key is not None
        out.write(recovery_notice(created.recovery_key) + "\n")
        return 0
    from clinicdesk.domain.words import plural
    from clinicdesk.services.demo import DEMO_PASSWORD, DEMO_PATIENTS, create_demo_clinic

    if args.patients is None:
        args.patients = DEMO_PATIENTS
    if args.patients < 0 or args.patients > 100_000:
        raise UserError("--patients must be between 0 and 100000.")
    count = create_demo_clinic(paths, patients=args.patients, seed=args.seed)
    out.write(
        f"Demo clinic created with {plural(count, 'patient')}. "
        f"Users admin, clinician, reception, grader; password {DEMO_PASSWORD!r}.\n"
    )
    return 0
