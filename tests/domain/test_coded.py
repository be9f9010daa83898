"""The coded-value base: codes are stored, labels are shown."""

from __future__ import annotations

from clinicdesk.domain.clinical import DoseUnit, MaterialRisk
from clinicdesk.domain.coded import Coded
from clinicdesk.domain.follow_ups import FollowUpStatus
from clinicdesk.domain.roles import Role


class _Colour(Coded):
    DARK_RED = "dark_red"
    BLUE = "blue", "Sky blue"


def test_a_code_without_a_label_reads_as_words() -> None:
    assert _Colour.DARK_RED.label == "Dark red"
    assert FollowUpStatus.DID_NOT_ATTEND.label == "Did not attend"
    assert Role.ADMIN.label == "Admin"


def test_a_code_with_a_label_keeps_its_code_for_storage() -> None:
    assert _Colour.BLUE.label == "Sky blue"
    assert _Colour("blue") is _Colour.BLUE
    assert str(_Colour.BLUE) == "blue" and f"{_Colour.BLUE}" == "blue"
    assert DoseUnit("mL").label == "mL"
    assert MaterialRisk("donor_scarring").label == "Donor-site scarring / keloid"


def test_choices_follow_the_list_order() -> None:
    assert _Colour.choices() == [("dark_red", "Dark red"), ("blue", "Sky blue")]
    assert [code for code, _ in DoseUnit.choices()] == ["mL", "mg"]
