"""``clinicdesk users ...``: staff accounts from the command line, for administrators.

The same ``UserService`` calls as Admin > Users, so the same rules apply (administrators only,
never the last administrator, never your own account) and each change is audited. A new
password (for ``add`` and ``reset-password``) comes from ``CLINICDESK_NEW_PASSWORD`` or is typed
twice at a prompt without echo; the acting administrator's own password comes, as for every
subcommand, from ``CLINICDESK_PASSWORD`` or a prompt.
"""

from __future__ import annotations

import argparse
import getpass
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TextIO

from clinicdesk.cli.session import read_secret
from clinicdesk.domain.roles import Role
from clinicdesk.errors import UserError

if TYPE_CHECKING:  # the services are imported when the subcommand runs (see cli/__init__.py)
    from clinicdesk.services.session import CurrentUser
    from clinicdesk.services.users import UserAccount, UserService

NEW_PASSWORD_ENV = "CLINICDESK_NEW_PASSWORD"
ROLE_NAMES = [role.value for role in (Role.RECEPTION, Role.CLINICIAN, Role.ADMIN)]


def add_user_commands(commands: Any) -> None:
    """Add ``users`` to the subcommands (``commands`` is argparse's subparsers object)."""
    users = commands.add_parser("users", help="staff accounts (administrators only)")
    actions = users.add_subparsers(dest="users_command", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="every account, disabled ones too")
    listing.add_argument("--json", action="store_true")
    add = actions.add_parser("add", help="create an account; its password from a prompt")
    add.add_argument("username")
    add.add_argument("--name", default="", help="full name as shown on screens and records")
    add.add_argument("--role", required=True, choices=ROLE_NAMES)
    add.add_argument("--registration", default="", help="GMC, NMC or GDC number (clinicians)")
    add.add_argument("--json", action="store_true")
    role = actions.add_parser("set-role", help="give an account another role")
    role.add_argument("username")
    role.add_argument("role", choices=ROLE_NAMES)
    role.add_argument("--registration", default=None, help="GMC, NMC or GDC number")
    disable = actions.add_parser("disable", help="stop an account signing in (never deleted)")
    disable.add_argument("username")
    enable = actions.add_parser(
        "enable", help="enable a disabled account (then reset its password)"
    )
    enable.add_argument("username")
    reset = actions.add_parser("reset-password", help="set a new password for an account")
    reset.add_argument("username")


def account_json(account: UserAccount) -> dict[str, Any]:
    data = asdict(account)
    data["role"] = account.role.value
    return data


def _new_password(username: str) -> str:
    first, typed = read_secret(NEW_PASSWORD_ENV, "new password", f"New password for {username}: ")
    if typed and getpass.getpass("The same again: ") != first:
        raise UserError("The two passwords were not the same; nothing was changed.")
    return first


def _line(account: UserAccount) -> str:
    status = "" if account.active else "  [disabled]"
    registration = f"  {account.registration_number}" if account.registration_number else ""
    return (
        f"{account.username}  {account.display_name}  {account.role.value}{registration}{status}\n"
    )


def run_users(
    users: UserService, acting: CurrentUser, args: argparse.Namespace, out: TextIO
) -> None:
    from clinicdesk.services.users import NewUser

    command = args.users_command
    if command == "list":
        accounts = users.list_users(acting)
        if args.json:
            out.write(json.dumps([account_json(a) for a in accounts], ensure_ascii=False) + "\n")
        else:
            for account in accounts:
                out.write(_line(account))
        return
    if command == "add":
        users.require_admin(acting)  # before asking for a password that would be refused
        made = users.create_user(
            acting,
            NewUser(
                args.username,
                args.name,
                Role(args.role),
                _new_password(args.username),
                args.registration,
            ),
        )
        out.write(
            json.dumps(account_json(made), ensure_ascii=False) + "\n"
            if args.json
            else f"Created {made.username} ({made.role.value}).\n"
        )
        return
    account = users.account(acting, args.username)
    if command == "set-role":
        changed = users.change_role(acting, account, Role(args.role), args.registration)
        out.write(f"{changed.username} is now {changed.role.value}.\n")
    elif command == "disable":
        users.disable_user(acting, account)
        out.write(f"{account.username} can no longer sign in.\n")
    elif command == "enable":
        users.enable_user(acting, account)
        out.write(
            f"{account.username} is enabled; reset their password (users reset-password) so "
            "they can sign in again.\n"
        )
    elif command == "reset-password":
        users.reset_password(acting, account, _new_password(account.username))
        out.write(f"New password set for {account.username}.\n")
