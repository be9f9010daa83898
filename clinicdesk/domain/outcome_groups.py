"""Who a treated patient is, for the outcomes audit's breakdowns (``domain.outcomes``, which
re-exports all of this): the facts the breakdowns need and the patient's group in each of its
fields (sex, age band, grade, time since onset, prior treatments, clinician, site, kit lot)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

NOT_RECORDED = "Not recorded"
NO_PRIOR_TREATMENT = "None recorded"


@dataclass(frozen=True)
class PatientFacts:
    """What the breakdowns need to know about one treated patient (no name)."""

    sex: str  # "F", "M" or "X"
    date_of_birth: date
    age_at_onset: int | None = None
    grades: tuple[str, ...] = ()  # e.g. "Norwood-Hamilton IV", one per scale
    prior_treatments: tuple[str, ...] = ()  # labels of treatments started before
    clinician: str = ""
    site: str = ""
    kit_lot: str = ""


SEX_LABELS = {"F": "Female", "M": "Male", "X": "Other / not stated"}


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(age: int) -> str:
    if age < 30:
        return "Under 30"
    if age >= 60:
        return "60 and over"
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def onset_band(years: int | None) -> str:
    if years is None or years < 0:
        return NOT_RECORDED
    if years < 5:
        return "Under 5 years"
    if years < 10:
        return "5-9 years"
    if years < 20:
        return "10-19 years"
    return "20 years or more"


def group_labels(facts: PatientFacts, treated_on: date) -> Mapping[str, tuple[str, ...]]:
    """The patient's group in each field of ``GROUP_FIELDS`` (one or more labels). Read-only
    and shared by every patient with the same facts at the same age (a clinic of thousands
    has far fewer combinations than patients)."""
    return group_labels_at(
        age_on(facts.date_of_birth, treated_on),
        facts.sex,
        facts.age_at_onset,
        facts.grades,
        facts.prior_treatments,
        facts.clinician,
        facts.site,
        facts.kit_lot,
    )


@functools.lru_cache(maxsize=8192)
def group_labels_at(
    age: int,
    sex: str,
    age_at_onset: int | None,
    grades: tuple[str, ...],
    prior_treatments: tuple[str, ...],
    clinician: str,
    site: str,
    kit_lot: str,
) -> Mapping[str, tuple[str, ...]]:
    """``group_labels`` of a patient of ``age`` at the treatment with these facts (the
    outcomes audit's count gives them as read, without making ``PatientFacts`` for
    thousands of patients)."""
    onset = None if age_at_onset is None else age - age_at_onset
    return MappingProxyType(
        {
            "sex": (SEX_LABELS.get(sex, sex),),
            "age_band": (age_band(age),),
            "grade": grades or (NOT_RECORDED,),
            "onset": (onset_band(onset),),
            "prior_treatment": tuple(dict.fromkeys(prior_treatments)) or (NO_PRIOR_TREATMENT,),
            "clinician": (clinician or NOT_RECORDED,),
            "site": (site or NOT_RECORDED,),
            "kit_lot": (kit_lot.strip() or NOT_RECORDED,),
        }
    )
