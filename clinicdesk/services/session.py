"""The acting user that every service call carries."""

from __future__ import annotations

from dataclasses import dataclass

from clinicdesk.domain.ids import SiteId, UserId
from clinicdesk.domain.roles import Permission, Role, allows
from clinicdesk.errors import PermissionDenied
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
    """Raise ``PermissionDenied`` (and audit the attempt) unless the user's role allows it."""
    if user.may(permission):
        return
    audit.record(
        db, user.actor, "denied", entity or "permission", entity_id, {"needs": permission.value}
    )
    raise PermissionDenied(
        f"Your role ({user.role.label}) does not allow this. Ask an administrator if you need it."
    )
