"""The response threshold setting: default, changed by an administrator (audited), refused
to others and refused with the field named when it is not a percentage."""

from __future__ import annotations

import pytest

from clinicdesk.errors import PermissionDenied, ValidationError
from clinicdesk.services.response_settings import ResponseSettings
from tests.conftest import Clinic


def test_the_threshold_defaults_to_five_and_an_admin_changes_it(clinic: Clinic) -> None:
    settings = clinic.services.response_settings
    assert settings.threshold_percent() == 5.0
    assert settings.set_threshold_percent(clinic.admin, "7.5%") == 7.5
    assert ResponseSettings(clinic.services.db).threshold_percent() == 7.5
    with pytest.raises(ValidationError, match=r"response_threshold_percent|per cent"):
        settings.set_threshold_percent(clinic.admin, "lots")
    with pytest.raises(PermissionDenied):
        settings.set_threshold_percent(clinic.reception, "3")
    assert settings.threshold_percent() == 7.5
    rows = clinic.services.db.execute(
        "SELECT count(*) FROM audit_log WHERE entity_id = 'response_threshold_percent'"
    ).fetchone()
    assert rows[0] >= 1
