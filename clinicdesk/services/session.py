"""The acting user that every service call carries."""

from __future__ import annotations

from dataclasses import dataclass

from clinicdesk.domain.ids import SiteId, UserId
from clinicdesk.domain.roles import Permission, Role, allows
from clinicdesk.errors import PasswordChangeRequired, PermissionDenied
from clinicdesk.storage import audit
from clinicdesk.storage.database import Database
from clinicdesk.storage.records import Actor


@dataclass(frozen=True)
class CurrentUser:
    id: UserId
    username: str
    display_name: str
    role: Role
    site_id: SiteId
    # An administrator set this account's password (new account or reset): its owner must
    # choose their own before anything else (``require`` refuses every permission until then).
    must_change_password: bool = False

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.site_id)

    def may(self, permission: Permission) -> bool:
        return allows(self.role, permission)


def require(
    db: Database,
    user: CurrentUser,
    permission: Permission,
    *,
    entity: str = "",
    entity_id: str = "",
) -> None:
    """Raise ``PermissionDenied`` (and audit the attempt) unless the user's role allows it.

    An account that still has a password an administrator gave it is refused everything
    (``PasswordChangeRequired``) until its owner chooses their own: every service call that
    reads or changes clinic data passes through here, so the window and the command line
    cannot get round it.
    """
    if user.must_change_password:
        raise PasswordChangeRequired(
            f"{user.display_name} must choose a new password before going on: an "
            "administrator set the current one. Sign in to the ClinicDesk window, which asks "
            "for a new password, then try again."
        )
    if user.may(permission):
        return
    audit.record(
        db, user.actor, "denied", entity or "permission", entity_id, {"needs": permission.value}
    )
    raise PermissionDenied(
        f"Your role ({user.role.label}) does not allow this. Ask an administrator if you need it."
    )
