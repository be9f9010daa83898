"""Demo treatment photos: every standard view at the baseline and each follow-up visit.

For a few treated demo patients the generated images (``media.synthetic``: drawn shapes, no real
person) are imported through ``PhotoService.import_photos`` like a camera card, so they are
checked, sealed and audited as real ones. Each view's hair follows the density the trichoscopy
measured in its region at that visit; the camera's time is the visit's morning. About one
follow-up view in twelve is left out, so the missing-views checklist has something to show.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from pathlib import Path

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.photos import View
from clinicdesk.media.synthetic import scalp_photo
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.demo_care import DemoVisit
from clinicdesk.services.session import CurrentUser

PHOTO_PATIENTS = 4  # demo patients with photos
SKIP_SHARE = 0.08  # follow-up views not taken, for the checklist

# The trichoscopy region whose density each view shows (the demo grader's grades follow it).
REGION_OF_VIEW = {
    View.FRONTAL: Region.FRONTAL,
    View.VERTEX: Region.VERTEX,
    View.MIDLINE_PART: Region.MID_SCALP,
    View.TEMPORAL_LEFT: Region.TEMPORAL_LEFT,
    View.TEMPORAL_RIGHT: Region.TEMPORAL_RIGHT,
    View.OCCIPITAL_DONOR: Region.OCCIPITAL,
    View.TRICHOSCOPY: Region.FRONTAL,
}


def add_demo_photos(
    services: ClinicServices,
    clinician: CurrentUser,
    patient_id: str,
    visits: Sequence[DemoVisit],
    rng: random.Random,
) -> int:
    """Import synthetic photos of every view for each of ``visits``; returns how many."""
    imported = 0
    with tempfile.TemporaryDirectory(prefix="clinicdesk-demo-photos-") as temp:
        folder = Path(temp)
        for number, visit in enumerate(visits):
            measured = _measured(visit)
            morning = datetime.combine(visit.visit_date, time(10, 0))
            for index, view in enumerate(View):
                if visit.kind is not None and rng.random() < SKIP_SHARE:
                    continue
                region = REGION_OF_VIEW[view]
                density, diameter = measured.get(region) or measured[Region.FRONTAL]
                data = scalp_photo(
                    view.value,
                    density=density,
                    diameter_um=diameter,
                    seed=rng.randrange(1 << 30),
                    taken_at=morning + timedelta(minutes=2 * index),
                )
                path = folder / f"visit{number}-{view.value}.jpg"
                path.write_bytes(data)
                outcomes = services.photos.import_photos(
                    clinician,
                    patient_id,
                    [path],
                    view=view,
                    region=region if view is View.TRICHOSCOPY else None,
                    visit_date=visit.visit_date,
                )
                imported += sum(outcome.status == "imported" for outcome in outcomes)
    return imported


def _measured(visit: DemoVisit) -> dict[Region, tuple[float, float]]:
    """Total density (hairs/cm²) and mean diameter (µm) per region at ``visit``."""
    return {
        Region(row["region"]): (float(row["total_density"]), float(row["mean_diameter_um"]))
        for row in visit.regions
    }
