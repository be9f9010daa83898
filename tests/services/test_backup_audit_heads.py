"""Backup manifests record every site's audit chain head; archives made before chains were per
site (one ``audit_head``) still check and restore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clinicdesk.services.backup import ArchiveDamaged, _snapshot_facts, check_database_copy
from clinicdesk.storage import audit_anchor
from clinicdesk.storage.database import backup_to, open_database
from tests.conftest import Clinic


def snapshot(clinic: Clinic, path: Path) -> dict[str, Any]:
    copy_path = backup_to(clinic.services.db, path)
    copy = open_database(copy_path, clinic.key)
    try:
        return _snapshot_facts(copy)
    finally:
        copy.close()


def test_the_manifest_holds_each_sites_head(clinic: Clinic, tmp_path: Path) -> None:
    facts = snapshot(clinic, tmp_path / "copy" / "clinicdesk.db")
    site = clinic.services.clinic.this_site().id
    seq, seal = audit_anchor.head(clinic.services.db)
    assert facts["audit_heads"] == {site: {"seq": seq, "hash": seal}}
    manifest = {**facts, "audit_problems": []}
    assert check_database_copy(tmp_path / "copy" / "clinicdesk.db", clinic.key, manifest) == []


def test_an_archive_with_the_old_single_head_still_checks(clinic: Clinic, tmp_path: Path) -> None:
    facts = snapshot(clinic, tmp_path / "copy" / "clinicdesk.db")
    ((seq, seal),) = [(h["seq"], h["hash"]) for h in facts.pop("audit_heads").values()]
    old_form = {**facts, "audit_head": {"seq": seq, "hash": seal}, "audit_broken": []}
    path = tmp_path / "copy" / "clinicdesk.db"
    assert check_database_copy(path, clinic.key, {**old_form, "audit_problems": []}) == []
    # The old head is still checked: one claiming a longer trail is a cut end.
    longer = {**old_form, "audit_head": {"seq": seq + 2, "hash": seal}, "audit_problems": []}
    with pytest.raises(ArchiveDamaged, match="newest 2 entries are missing"):
        check_database_copy(path, clinic.key, longer)
