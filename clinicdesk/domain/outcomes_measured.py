"""The outcomes audit's fast path: ``treated_patient`` from the numbers alone.

A clinic of 5,000 treated patients has some 20,000 visits; building each as an
``Assessment`` to judge it took seconds. The storage reads plain rows instead, picks the
visits the audit looks at with ``chosen_visits`` (the same choice as ``baseline_assessment``
and ``visit_at``) and hands their ids, with the clinic's measures by region and visit, to
``measured_patient``, which judges them with the one response rule
(``domain.response.measured_category``) and gives the same ``TreatedPatient`` as
``treated_patient`` (tests/services/test_outcomes_fast_path.py checks it on a varied
clinic). Each patient's changes from the baseline (``MeasuredChanges``) are worked out when
first read, by the change table's tab or an export, not while the headline numbers are
counted.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import overload

from clinicdesk.domain.assessments import Change, Region
from clinicdesk.domain.follow_ups import FollowUpStatus
from clinicdesk.domain.outcomes import (
    CHANGE_MEASURES,
    CHANGE_MONTHS,
    RegionChangeAt,
    TreatedPatient,
    visit_window,
)
from clinicdesk.domain.response import (
    DENSITY,
    DIAMETER,
    RegionResponse,
    ResponseCategory,
    main_category,
    main_region,
    measured_category,
    treated_regions,
    unjudged_category,
)


@functools.lru_cache(maxsize=4096)
def _iso_windows(treated_on: date) -> tuple[str, tuple[tuple[int, str, str, int], ...]]:
    """The treatment day in ISO form, and each of ``CHANGE_MONTHS`` with its window in ISO
    form and its due day's ordinal (a clinic treats many patients on one day: worked out
    once per day). The windows follow one another without overlapping (``chosen_visits``
    relies on it), all after the treatment day."""
    out = []
    after = treated_on
    for months in CHANGE_MONTHS:
        start, end, due = visit_window(treated_on, months)
        if start <= after:
            raise ValueError(f"the {months}-month visit window overlaps the one before it")
        out.append((months, start.isoformat(), end.isoformat(), due.toordinal()))
        after = end
    return treated_on.isoformat(), tuple(out)


# The visits the audit looks at, as ``measured_patient`` is given them: 0 is the baseline,
# then the visits nearest 1, 3, 6 (the primary end point) and 12 months.
VISITS = (0, *CHANGE_MONTHS)
MEASURES = tuple(name for name, _label, _unit in CHANGE_MEASURES)  # density, then diameter
_DENSITY_AT = MEASURES.index(DENSITY)
_DIAMETER_AT = MEASURES.index(DIAMETER)
_FIRST, _SECOND = MEASURES  # two measures (CHANGE_MEASURES): changed, this fails on import


def chosen_visits(visits: Sequence[Sequence[str]], treated_on: date) -> dict[int, str]:
    """The visits ``treated_patient`` looks at, chosen from plain rows: ``visits`` as
    (visit date in ISO form, created at, id, anything else: the rows as read) in visit
    order (by date, then as recorded, then by id); the id of each of ``VISITS`` found.
    The same choice as ``baseline_assessment`` (0: the latest on or before the treatment
    day, of two on one day the later recorded) and ``visit_at`` (the nearest to each month
    within its window; of two equally near the earlier, then the first recorded): in visit
    order, the last on or before the treatment day, and the first of the nearest."""
    treated, windows = _iso_windows(treated_on)
    out: dict[int, str] = {}
    # The windows in turn (they follow one another): the one open at or after the visit.
    at = 0
    months, start, end, due = windows[0]
    nearest: int | None = None  # days off of the nearest visit in this window yet
    for visit in visits:
        day = visit[0]
        if day <= treated:
            out[0] = visit[2]
            continue
        while day > end:
            at += 1
            if at == len(windows):
                return out
            months, start, end, due = windows[at]
            nearest = None
        if day >= start:
            off = abs(date.fromisoformat(day).toordinal() - due)
            if nearest is None or off < nearest:
                nearest = off
                out[months] = visit[2]
    return out


@functools.lru_cache(maxsize=256)
def _regions_of(zones: tuple[str, ...]) -> tuple[tuple[Region, ...], Region | None]:
    """The treated regions and the main one of a treatment's zones (few combinations)."""
    return tuple(treated_regions(zones)), main_region(zones)


# Without a 6-month visit: too early or lost, by the treatment day (many share one).
_unjudged = functools.lru_cache(maxsize=4096)(unjudged_category)

_NOTHING: Mapping[str, Sequence[float | None]] = {}
_CHANGE_VISITS = tuple(months for months in VISITS if months)
_NO_CHANGES: tuple[RegionChangeAt, ...] = ()
# The whole clinic's measures: by region code, then visit id.
_Measures = Mapping[str, Mapping[str, Sequence[float | None]]]


class MeasuredChanges(Sequence[RegionChangeAt]):
    """A patient's changes from the baseline (``TreatedPatient.changes``: by visit, then
    region), worked out from the numbers when first read: the change table's tab and the
    export read them, the headline numbers do not (a clinic of 5,000 treated patients has
    some 30,000). Equal to the tuple ``treated_patient`` gives, and shown as one."""

    # Only what it is given (the clinic's measures and the regions are shared): a clinic's
    # count makes thousands of these, each walked by the cyclic collector.
    __slots__ = ("_baseline", "_changes", "_chosen", "_measures", "_regions")

    def __init__(
        self,
        baseline: str,
        chosen: Mapping[int, str],
        measures: _Measures,
        regions: Sequence[Region],
    ) -> None:
        self._baseline = baseline
        self._chosen = chosen
        self._measures = measures
        self._regions = regions
        self._changes: tuple[RegionChangeAt, ...] | None = None

    def _all(self) -> tuple[RegionChangeAt, ...]:
        if self._changes is None:
            self._changes = _changes(self._baseline, self._chosen, self._measures, self._regions)
        return self._changes

    @overload
    def __getitem__(self, index: int) -> RegionChangeAt: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[RegionChangeAt, ...]: ...
    def __getitem__(self, index: int | slice) -> RegionChangeAt | tuple[RegionChangeAt, ...]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[RegionChangeAt]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MeasuredChanges):
            other = other._all()
        return isinstance(other, tuple) and self._all() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._all())


def _changes(
    baseline: str, chosen: Mapping[int, str], measures: _Measures, regions: Sequence[Region]
) -> tuple[RegionChangeAt, ...]:
    """Each of ``regions``' change from the ``baseline`` visit at each month's visit
    ``chosen``, where measured at both."""
    changes: list[RegionChangeAt] = []
    for months in _CHANGE_VISITS:
        visit = chosen.get(months)
        if visit is None:
            continue
        for region in regions:
            by_visit = measures.get(region, _NOTHING)
            before, after = by_visit.get(baseline), by_visit.get(visit)
            if before is None or after is None:
                continue
            if None in before or None in after:  # a measure missing at one of the visits
                values = {
                    name: a - b
                    for name, b, a in zip(MEASURES, before, after, strict=True)
                    if b is not None and a is not None
                }
            else:  # as usual, both measured at both: written out (thousands of these)
                values = {
                    _FIRST: after[0] - before[0],  # type: ignore[operator]
                    _SECOND: after[1] - before[1],  # type: ignore[operator]
                }
            changes.append(RegionChangeAt(region, months, values))
    return tuple(changes)


def measured_patient(
    patient_id: str,
    treatment_id: str,
    chosen: Mapping[int, str],
    measures: _Measures,
    treated_on: date,
    zones: Sequence[str],
    threshold: float,
    today: date,
    groups: Mapping[str, tuple[str, ...]],
    end_point_follow_up: FollowUpStatus | None = None,
) -> TreatedPatient:
    """``treated_patient`` from the numbers alone, as the storage reads them for the audit:
    ``chosen``, the id of each of ``VISITS`` found (``chosen_visits``), and ``measures``, the
    ``MEASURES`` of every visit by region code and visit id (the whole clinic's, shared;
    a region not measured at a visit, or with none of them, is not there); ``groups``, the
    patient's ``group_labels``. The same result, with the same rule (``domain.response``)."""
    treated, main = _regions_of(tuple(zones))
    baseline = chosen.get(0)
    regions: list[RegionResponse] = []
    end = chosen.get(6)
    if end is not None:
        for region in treated:
            # The region's measures by visit id (region codes are strings: a region looks
            # up its own code).
            by_visit = measures.get(region, _NOTHING)
            before = by_visit.get(baseline) if baseline is not None else None
            after = by_visit.get(end)
            density = Change(
                None if before is None else before[_DENSITY_AT],
                None if after is None else after[_DENSITY_AT],
            )
            diameter = Change(
                None if before is None else before[_DIAMETER_AT],
                None if after is None else after[_DIAMETER_AT],
            )
            category = (
                ResponseCategory.NOT_MEASURED
                if before is None or after is None
                else measured_category(density, diameter, threshold)
            )
            regions.append(RegionResponse(region, category, density, diameter))
        category = main_category(regions, main)
    else:
        category = _unjudged(treated_on, today)
    return TreatedPatient(
        patient_id,
        treatment_id,
        category,
        treated_on,
        main,
        tuple(regions),
        groups,
        end_point_follow_up,
        _NO_CHANGES if baseline is None else MeasuredChanges(baseline, chosen, measures, treated),
        treated,
    )
