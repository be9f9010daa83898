"""Copies of the program's migrations for tests: those of an older release (every migration
registered before one), or all of them, to extend as the next release would."""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

from clinicdesk.storage import migrations as migrations_module
from clinicdesk.storage.migrations import MIGRATION_SET


def program_migrations(*, before: str | None = None) -> Migrations:
    """The program's migrations in order: all of them, or those registered before the one
    named ``before`` (as a clinic of the release before it has them)."""
    copy = Migrations(MIGRATION_SET)
    for migration in migrations_module.migrations._migrations:
        if migration.name == before:
            break
        copy(name=migration.name)(migration.fn)
    return copy
