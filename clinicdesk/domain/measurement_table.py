"""What the Measurements tab shows of a patient's assessments: the table and the chart series.

The table is regions x visits: every measure with a value at some visit, each region's
terminal:vellus ratio, and the frontal/occipital diameter ratio. The chart series are each
region's total density and mean shaft diameter per visit. The values and the derived ratios
themselves are ``domain.assessments``'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from clinicdesk.domain.assessments import MEASURES, Assessment, Region, in_visit_order


@dataclass(frozen=True)
class TableRow:
    """One row of the regions x visits table: a measure (or derived value) of one region."""

    region: Region | None  # None for values of the whole scalp (frontal/occipital ratio)
    key: str  # a measure name, "terminal_vellus_ratio" or "frontal_occipital_diameter_ratio"
    label: str
    unit: str
    values: tuple[float | None, ...]  # one per visit, in the table's visit order
    derived: bool = False


@dataclass(frozen=True)
class MeasurementTable:
    visits: tuple[Assessment, ...]
    rows: tuple[TableRow, ...]


def measurement_table(assessments: Iterable[Assessment]) -> MeasurementTable:
    """Regions x visits: for every region measured at any visit, each measure that has a value
    at some visit, then its terminal:vellus ratio; last the frontal/occipital diameter ratio."""
    visits = tuple(in_visit_order(assessments))
    rows: list[TableRow] = []
    for region in Region:
        measured = [a.details.region(region) for a in visits]
        if all(m is None for m in measured):
            continue
        for measure in MEASURES:
            values = tuple(None if m is None else m.value(measure.name) for m in measured)
            if measure.required or any(v is not None for v in values):
                rows.append(TableRow(region, measure.name, measure.label, measure.unit, values))
        rows.append(
            TableRow(
                region,
                "terminal_vellus_ratio",
                "Terminal:vellus ratio",
                "",
                tuple(None if m is None else m.terminal_vellus_ratio for m in measured),
                derived=True,
            )
        )
    ratios = tuple(a.details.frontal_occipital_diameter_ratio for a in visits)
    if any(r is not None for r in ratios):
        rows.append(
            TableRow(
                None,
                "frontal_occipital_diameter_ratio",
                "Frontal/occipital diameter ratio",
                "",
                ratios,
                derived=True,
            )
        )
    return MeasurementTable(visits, tuple(rows))


@dataclass(frozen=True)
class SeriesPoint:
    visit_date: date
    total_density: float
    mean_diameter_um: float


def chart_series(assessments: Iterable[Assessment]) -> dict[Region, tuple[SeriesPoint, ...]]:
    """Per region (in ``Region`` order, only regions measured at least once), each visit's
    total density and mean shaft diameter, oldest first: what the Measurements chart plots."""
    series: dict[Region, list[SeriesPoint]] = {}
    for assessment in in_visit_order(assessments):
        for m in assessment.details.regions:
            point = SeriesPoint(assessment.visit_date, m.total_density, m.mean_diameter_um)
            series.setdefault(m.region, []).append(point)
    return {region: tuple(series[region]) for region in Region if region in series}
