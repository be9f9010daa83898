"""``clinicdesk outcomes [--json] [--by FIELD] [--min-group N]``: the outcomes audit.

The same numbers as Clinic > Outcomes (``OutcomesService.summary``): the responder rate at the
clinic's threshold with its 95% Wilson interval, beside the published 66%, and how many are lost
to follow-up; with ``--by`` the same per group of one field (sex, age_band, grade, onset,
prior_treatment, clinician, site, kit_lot). Groups with fewer evaluable patients than
``--min-group`` (default 10) are printed as counts with a warning, never a bare percentage.

``--json`` prints one object: ``threshold_percent``, ``evaluable``, ``responded``, ``rate``
(responded / evaluable, or null), ``ci95`` ([low, high] or null), ``lost_to_follow_up``,
``published_rate`` (0.66), with ``too_early``, ``treated``, ``small_group``, ``min_group``; with
``--by`` a ``groups`` array of the same fields plus ``group``. No patient is named.
Clinicians and administrators only (reception: exit 3); audited as in the window.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any, TextIO

from clinicdesk.domain.outcomes import (
    DEFAULT_MIN_GROUP,
    GROUP_FIELDS,
    LIMITATIONS,
    LOST_REASONS,
    percent,
    rate_text,
    summary_json,
)
from clinicdesk.domain.response import rule_text

if TYPE_CHECKING:  # the services are imported when the subcommand runs (see cli/__init__.py)
    from clinicdesk.domain.outcomes import Summary
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser


def _min_group(text: str) -> int:
    from clinicdesk.domain.outcomes import validate_min_group
    from clinicdesk.errors import ValidationError

    try:
        return validate_min_group(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(exc.errors["min_group"]) from None


def add_outcomes_commands(commands: Any) -> None:
    """Add ``outcomes`` to the subcommands (``commands`` is argparse's subparsers object)."""
    outcomes = commands.add_parser(
        "outcomes", help="the clinic's responder rate against the published 66%%"
    )
    outcomes.add_argument("--json", action="store_true", help="machine-readable output")
    outcomes.add_argument(
        "--by", choices=list(GROUP_FIELDS), metavar="FIELD", help=", ".join(GROUP_FIELDS)
    )
    outcomes.add_argument(
        "--min-group",
        type=_min_group,
        default=DEFAULT_MIN_GROUP,
        metavar="N",
        help=f"smallest group given a percentage (default {DEFAULT_MIN_GROUP})",
    )


def outcomes_text(summary: Summary, by: str | None) -> str:
    overall = summary.overall
    lines = [
        f"Responder rate: {rate_text(overall, summary.min_group)}",
        f"Published: {percent(summary.published_rate)} ({summary.published_source})",
        f"Threshold: {summary.threshold_text}. {rule_text(summary.threshold)}",
        f"Treated {len(overall.treated)}; evaluable {len(overall.evaluable)}; "
        f"lost to follow-up {len(overall.lost)}; too early {len(overall.too_early)}; "
        f"not measured {len(overall.not_measured)}",
    ]
    lines += [f"  lost: {LOST_REASONS[key]}: {len(ids)}" for key, ids in summary.lost]
    if by is not None:
        lines.append(f"By {GROUP_FIELDS[by].lower()}:")
        lines += [f"  {r.label}: {rate_text(r, summary.min_group)}" for r in summary.groups[by]]
    lines.append(LIMITATIONS)
    return "\n".join(lines) + "\n"


def run_outcomes(
    services: ClinicServices, user: CurrentUser, args: argparse.Namespace, out: TextIO
) -> int:
    summary = services.outcomes.summary(user, args.min_group)
    if args.json:
        out.write(json.dumps(summary_json(summary, args.by), ensure_ascii=False) + "\n")
    else:
        out.write(outcomes_text(summary, args.by))
    return 0
