"""Recording a planned demo course of care (``services.demo_care``) through the services.

The consultation, the consents (printed at the consultation, signed on the day of the decision
with a signature drawn on screen), the treatment with its override reason, the follow-ups
booked and marked, the assessments and the adverse events are saved by the same service calls
a clinician's forms make, so each is validated and audited as one typed in would be.
"""

from __future__ import annotations

import random
import struct
import zlib
from datetime import date

from clinicdesk.documents.templates import TemplateLibrary
from clinicdesk.domain.consent import ConsentKind
from clinicdesk.domain.follow_ups import FollowUpStatus
from clinicdesk.domain.ids import SiteId
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.demo_care import DemoCourse
from clinicdesk.services.session import CurrentUser

PROCEDURE_TEMPLATE = "micrograft-consent"
PHOTO_TEMPLATE = "photo-consent"


def record_course(
    services: ClinicServices, clinician: CurrentUser, patient_id: str, course: DemoCourse
) -> None:
    """Save ``course`` through the services (the caller holds the write transaction)."""
    sites = services.clinic.sites()
    site: SiteId = sites[0].id if course.main_site or len(sites) < 2 else sites[1].id
    people = {"site_id": site, "clinician_id": clinician.id}
    clinical = services.clinical
    consultation = clinical.add_consultation(clinician, patient_id, course.consultation | people)
    if course.treatment is None:
        return
    _record_consents(services, clinician, patient_id, consultation.id, course)
    saved = clinical.record_treatment(
        clinician,
        patient_id,
        course.treatment | people | {"consent_taken_by_id": clinician.id},
        override_reason=course.override_reason,
    )
    treatment_id = saved.treatment.id
    by_kind = {f.kind: f for f in saved.follow_ups}
    for planned in course.follow_ups:
        current = clinical.book_follow_up(
            clinician,
            by_kind[planned.kind].id,
            by_kind[planned.kind].version,
            planned.booked_at.isoformat(timespec="minutes"),
        )
        if planned.status is not FollowUpStatus.BOOKED:
            clinical.set_follow_up_status(
                clinician, current.id, current.version, planned.status, planned.notes
            )
    for visit in course.visits:
        services.assessments.add(
            clinician,
            patient_id,
            visit.raw | {"visit_site_id": site, "treatment_id": treatment_id},
            visit.regions,
        )
    for event in course.adverse_events:
        clinical.add_adverse_event(clinician, patient_id, event | {"treatment_id": treatment_id})


def _record_consents(
    services: ClinicServices,
    clinician: CurrentUser,
    patient_id: str,
    consultation_id: str,
    course: DemoCourse,
) -> None:
    """The procedure and photo consents of a treated patient: printed at the consultation,
    signed on the day of the decision with a signature drawn on screen."""
    library = TemplateLibrary()
    consents = services.consents
    prepared_on = date.fromisoformat(str(course.consultation["consulted_on"]))
    signed_on = date.fromisoformat(str(course.consultation["decided_on"]))
    signature = _signature_png(random.Random(f"signature-{patient_id}"))
    for template_id, kind, scopes in (
        (PROCEDURE_TEMPLATE, ConsentKind.PROCEDURE, None),
        (PHOTO_TEMPLATE, ConsentKind.PHOTO, course.photo_scopes),
    ):
        if kind is ConsentKind.PHOTO and scopes is None:
            continue
        template = library.current(template_id)
        prepared = consents.prepare(
            clinician,
            patient_id,
            template.id,
            template.version,
            template.text_hash,
            kind,
            consultation_id,
            prepared_on=prepared_on,
        )
        signed = consents.sign(
            clinician,
            prepared.id,
            prepared.version,
            signed_on,
            clinician.id,
            signature_png=signature,
            photo_scopes=scopes,
        )
        if kind is ConsentKind.PHOTO and course.marketing_withdrawn_on is not None:
            consents.withdraw(
                clinician,
                signed.id,
                signed.version,
                course.marketing_withdrawn_on,
                "Patient asked that their photos are no longer used in marketing.",
                scopes=["marketing"],
            )


def _signature_png(rng: random.Random, width: int = 240, height: int = 64) -> bytes:
    """A signature as drawn on screen: a looping stroke on white, as an 8-bit grey PNG (written
    here, so the demo needs no imaging library)."""
    pixels = [bytearray(b"\xff" * width) for _ in range(height)]
    x, y = 12.0, height / 2
    while x < width - 14:
        nx = x + rng.uniform(3, 9)
        ny = min(max(y + rng.uniform(-9, 9), 8), height - 9)
        for step in range(12):
            px = int(x + (nx - x) * step / 12)
            py = int(y + (ny - y) * step / 12)
            for dx in (0, 1):
                for dy in (0, 1):
                    pixels[py + dy][px + dx] = 0x20
        x, y = nx, ny
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
