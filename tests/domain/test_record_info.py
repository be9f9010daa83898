"""The audit entry of an update names the fields that changed (``changed_fields``)."""

from __future__ import annotations

from dataclasses import dataclass

from clinicdesk.domain.record_info import changed_fields


@dataclass(frozen=True)
class _Details:
    plan: str = ""
    notes: str = ""
    regions: tuple[str, ...] = ()


def test_the_changed_fields_are_named_in_their_declared_order() -> None:
    before = _Details(plan="minoxidil", notes="")
    after = _Details(plan="finasteride", notes="reviewed")
    assert changed_fields(before, after) == ["plan", "notes"]
    assert changed_fields(before, before) == []


def test_a_field_compared_elsewhere_is_skipped() -> None:
    before, after = _Details(regions=("frontal",)), _Details(notes="x", regions=())
    assert changed_fields(before, after, skip=("regions",)) == ["notes"]
