"""Demo courses of care: synthetic, deterministic for a seed, recorded through the services.

``plan_course`` draws a course for one demo patient from the generator alone (no database, no
ids), so the same seed gives the same consultations, treatments and measurements;
``services.demo_record.record_course`` then saves it through the clinical, consent and
assessment services, so every record is validated and audited exactly as one typed in would be.

What a course holds and the choices behind it (CLINICAL.md):

- About 70% of demo patients have a consultation with a consent discussion (material risks,
  always including "failure to achieve the desired aim"; alternatives; the patient's questions
  and priorities; the decision at least 14 days after the discussion).
- Patients with a red flag (anticoagulant, pregnancy/breastfeeding, keloid tendency) are never
  treated in the demo: the consultation's plan records why treatment is deferred. About 1 in 10
  of the others choose medical treatment first and have the consultation only.
- The rest have one micrograft session in the last ~21 months with every field of the record:
  2-5 punches of 2.5 mm from the occipital scalp, a CE-marked kit and its lot, lidocaine 2%
  with adrenaline (dose, lot), zones matching the pattern of loss. Lots follow the treatment
  date (stock is used up lot by lot), so several patients share each lot and the lot look-up
  has something to find. Pre-treatment ferritin and TSH are taken 2-12 weeks before; about 1 in
  8 treated patients has results older than 6 months instead, and the treatment is saved with
  a written override reason (stored and audited like a real one).
- Trichoscopy: a baseline on or up to 3 days before the treatment (frontal, mid-scalp, vertex
  and the occipital reference, plus both temples for men), then 1, 3, 6 and 12 months at the
  follow-ups already in the past. About two thirds respond (Zari 2021: 66%): +5 to +10
  hairs/cm² and +0.5 to +2 µm in treated regions at 6 months (most, not all, clear the 5%
  threshold), a little less at 12; the others are flat or slightly worse. About 15% of treated
  patients stop coming after the 1- or 3-month visit (lost to follow-up): their later visits
  were missed or cancelled. The occipital reference only wobbles by counting error.
- Consent: every treated patient signs the procedure consent (printed at the consultation, the
  discussion; signed on the day of the decision, outside the cooling-off period, taken by the
  treating clinician, with a signature drawn on screen) and a photo consent: clinical record
  always, anonymised teaching for about 60%, identifiable marketing for about 25%, of whom
  about 1 in 4 later withdraw marketing (their photos are then not for marketing).
- Follow-ups already due are booked and mostly attended; about 1 in 12 was missed (did not
  attend, so it stays on reception's list). Upcoming ones in the next four weeks are often
  booked. A few adverse events (shedding, headache, donor-site infection) with outcomes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.classification import HairLossScale
from clinicdesk.domain.clinical import RawValue, TreatedZone
from clinicdesk.domain.follow_ups import FollowUpKind, FollowUpStatus
from clinicdesk.domain.medical import LabResult, LabTest, MedicalHistory

COURSE_SHARE = 0.70  # demo patients with a consultation
CONSULT_ONLY_SHARE = 0.10  # of those without a red flag: medical treatment first
STALE_LABS_SHARE = 0.12  # treated with labs over 6 months old, after a written override
MISSED_SHARE = 0.08  # follow-ups not attended
TREATED_WITHIN_DAYS = 640  # treatments spread over the last ~21 months
DROP_OUT_SHARE = 0.15  # treated patients who stop coming after the 1- or 3-month visit

KIT_NAME = "Rigeneracons micrograft kit (CE-marked)"
# Oldest first: each lot is in use for about ten weeks, so several patients share one.
KIT_LOTS = (
    "RGK-23-0028",
    "RGK-23-0051",
    "RGK-24-0004",
    "RGK-24-0012",
    "RGK-24-0031",
    "RGK-25-0007",
    "RGK-25-0019",
    "RGK-25-0044",
    "RGK-26-0003",
)
KIT_LOT_DAYS = 75
ANAESTHETIC = "Lidocaine 2% with adrenaline 1:200,000"
ANAESTHETIC_LOTS = ("LDA-3650", "LDA-4012", "LDA-4471", "LDA-5102", "LDA-5838", "LDA-6240")
ANAESTHETIC_LOT_DAYS = 120

MEASUREMENT_SITES = {
    Region.FRONTAL: "2 cm behind the frontal hairline, midline",
    Region.MID_SCALP: "8 cm from the glabella, midline",
    Region.VERTEX: "Centre of the vertex whorl",
    Region.TEMPORAL_LEFT: "Left temple, 2 cm above the helix",
    Region.TEMPORAL_RIGHT: "Right temple, 2 cm above the helix",
    Region.OCCIPITAL: "2 cm above the occipital protuberance, midline",
}
_ZONE_REGION = {
    TreatedZone.FRONTAL: Region.FRONTAL,
    TreatedZone.MID_SCALP: Region.MID_SCALP,
    TreatedZone.VERTEX: Region.VERTEX,
    TreatedZone.TEMPORAL_LEFT: Region.TEMPORAL_LEFT,
    TreatedZone.TEMPORAL_RIGHT: Region.TEMPORAL_RIGHT,
}
# How far after the treatment each follow-up's measurements show the 6-month effect.
_EFFECT_AT = {
    FollowUpKind.MONTH_1: 0.1,
    FollowUpKind.MONTH_3: 0.55,
    FollowUpKind.MONTH_6: 1.0,
    FollowUpKind.MONTH_12: 0.85,
}

RISKS_ALWAYS = ("pain", "bleeding", "infection", "donor_scarring", "shedding", "failure_of_aim")
RISKS_SOMETIMES = ("bruising", "swelling", "headache", "anaesthetic_reaction")
QUESTIONS = (
    "Will it hurt? How long until I see a change?",
    "Can I keep using minoxidil? When can I wash my hair?",
    "Will the donor area scar? Can I go back to work the next day?",
    "How many sessions will I need, and what if it does not work?",
    "Is the result permanent? Can I exercise afterwards?",
)
PRIORITIES_MEN = (
    "Density at the crown",
    "Keep the frontal hairline",
    "Stop further loss before a wedding next year",
)
PRIORITIES_WOMEN = (
    "Less visible scalp along the parting",
    "More volume on top",
    "Stop further thinning",
)


class ResponderDeck:
    """Who responds, dealt from shuffled decks of three (two responders, one not): about two
    thirds respond even in a small demo, in no fixed order."""

    def __init__(self) -> None:
        self.cards: list[bool] = []

    def draw(self, rng: random.Random) -> bool:
        if not self.cards:
            self.cards = [True, True, False]
            rng.shuffle(self.cards)
        return self.cards.pop()


@dataclass(frozen=True)
class RegionBaseline:
    """One region's values at the baseline visit, and how it will change."""

    region: Region
    total: float
    vellus_share: float  # of the total
    diameter: float
    thin_pct: float
    hairs_per_fu: float
    anagen_pct: float
    yellow_dots: float | None
    effect_density: float  # hairs/cm² at 6 months
    effect_diameter: float  # µm at 6 months


@dataclass(frozen=True)
class DemoVisit:
    """One assessment: the baseline (``kind`` None) or a follow-up's."""

    kind: FollowUpKind | None
    visit_date: date
    raw: dict[str, str]
    regions: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class DemoFollowUp:
    kind: FollowUpKind
    status: FollowUpStatus  # BOOKED, ATTENDED, DID_NOT_ATTEND or (dropped out) CANCELLED
    booked_at: datetime
    notes: str = ""


@dataclass(frozen=True)
class DemoCourse:
    """A course of care for one patient, without ids (filled in when it is recorded)."""

    consultation: dict[str, RawValue]
    main_site: bool
    labs: tuple[LabResult, ...] | None = None  # replaces the history's labs when given
    treatment: dict[str, RawValue] | None = None
    override_reason: str = ""
    responder: bool | None = None
    visits: tuple[DemoVisit, ...] = ()
    follow_ups: tuple[DemoFollowUp, ...] = ()
    adverse_events: tuple[dict[str, RawValue], ...] = ()
    photo_scopes: dict[str, bool] | None = None  # the photo consent signed with the procedure's
    marketing_withdrawn_on: date | None = None


def plan_course(
    rng: random.Random,
    *,
    female: bool,
    scale: HairLossScale,
    grade: str,
    history: MedicalHistory,
    today: date,
    responders: ResponderDeck,
) -> DemoCourse | None:
    """A course of care for one demo patient, or ``None`` (no consultation yet)."""
    if rng.random() >= COURSE_SHARE:
        return None
    main_site = rng.random() < 0.75
    flags = [flag.code.label.lower() for flag in history.red_flags]
    treat = not flags and rng.random() >= CONSULT_ONLY_SHARE
    if not treat:
        consulted_on = today - timedelta(days=rng.randrange(5, 300))
        plan = (
            f"Micrografting deferred: {'; '.join(flags)}. Review once resolved; written "
            "information given."
            if flags
            else "Patient prefers to try topical minoxidil for 6 months first; review then. "
            "Micrografting information leaflet given."
        )
        return DemoCourse(
            _consultation(rng, female, scale, grade, history, consulted_on, None, plan),
            main_site,
        )
    treated_on = today - timedelta(days=rng.randrange(3, TREATED_WITHIN_DAYS))
    consulted_on = treated_on - timedelta(days=rng.randrange(21, 56))
    zones = _zones(rng, female, grade)
    consultation = _consultation(
        rng,
        female,
        scale,
        grade,
        history,
        consulted_on,
        treated_on,
        "One micrograft session to the "
        + ", ".join(z.label.lower() for z in zones)
        + "; trichoscopy at baseline and at 1, 3, 6 and 12 months. Continue current "
        "medical treatment.",
    )
    stale = rng.random() < STALE_LABS_SHARE
    labs_on = treated_on - timedelta(
        days=rng.randrange(200, 280) if stale else rng.randrange(14, 84)
    )
    labs = (
        LabResult(LabTest.FERRITIN, float(rng.randrange(35, 160)), labs_on),
        LabResult(LabTest.TSH, round(rng.uniform(0.6, 3.8), 1), labs_on),
        LabResult(LabTest.VITAMIN_D, float(rng.randrange(40, 110)), labs_on),
    )
    override = ""
    if stale:
        override = rng.choice(
            (
                f"Ferritin and TSH from {labs_on:%d/%m/%Y} were normal; patient well with no "
                "new symptoms or medication. Repeat bloods taken on the day; patient agreed "
                "to proceed.",
                f"Bloods of {labs_on:%d/%m/%Y} normal and GP confirms no change since. Repeat "
                "ferritin and TSH requested; proceeding after discussion with the patient.",
            )
        )
    treatment = _treatment(rng, treated_on, zones, today)
    responder = responders.draw(rng)
    baselines = _baselines(rng, female, grade, zones, responder)
    follow_ups = _dropped_out(_follow_ups(rng, treated_on, today), treated_on, today)
    visits = [
        _visit(
            rng,
            None,
            treated_on - timedelta(days=rng.choice((0, 0, 1, 2, 3))),
            baselines,
            responder,
            1.0,
        )
    ]
    for follow_up in follow_ups:
        if follow_up.status is FollowUpStatus.ATTENDED and follow_up.kind in _EFFECT_AT:
            visits.append(
                _visit(
                    rng,
                    follow_up.kind,
                    follow_up.booked_at.date(),
                    baselines,
                    responder,
                    _EFFECT_AT[follow_up.kind],
                )
            )
    photo_scopes, withdrawn_on = _photo_consent(consulted_on, treated_on, today)
    return DemoCourse(
        consultation,
        main_site,
        photo_scopes=photo_scopes,
        marketing_withdrawn_on=withdrawn_on,
        labs=labs,
        treatment=treatment,
        override_reason=override,
        responder=responder,
        visits=tuple(visits),
        follow_ups=tuple(follow_ups),
        adverse_events=_adverse_events(rng, treated_on, today, history),
    )


def with_course_labs(history: MedicalHistory, course: DemoCourse | None) -> MedicalHistory:
    """The history to save: a treated patient's labs are the pre-treatment bloods."""
    if course is None or course.labs is None:
        return history
    return replace(history, labs=course.labs)


def _photo_consent(
    consulted_on: date, treated_on: date, today: date
) -> tuple[dict[str, bool], date | None]:
    """The photo consent's scopes, and when marketing was withdrawn (if it was). Drawn from a
    generator of its own, seeded by the course's dates, so the rest of the demo is unchanged."""
    rng = random.Random(f"photo-consent-{consulted_on}-{treated_on}")
    marketing = rng.random() < 0.25
    scopes = {
        "clinical_record": True,
        "teaching": rng.random() < 0.6,
        "marketing": marketing,
    }
    withdrawn_on = None
    if marketing and rng.random() < 0.25:
        day = treated_on + timedelta(days=rng.randrange(30, 200))
        withdrawn_on = day if day <= today else None
    return scopes, withdrawn_on


# -- the parts of a course ----------------------------------------------------------------


def _consultation(
    rng: random.Random,
    female: bool,
    scale: HairLossScale,
    grade: str,
    history: MedicalHistory,
    consulted_on: date,
    treated_on: date | None,
    plan: str,
) -> dict[str, RawValue]:
    onset_years = rng.randrange(2, 12)
    if female:
        complaint = f"Gradual thinning over the crown and widening parting for {onset_years} years"
        examination = "Widened central parting, miniaturised hairs frontally; frontal hairline kept"
        alternatives = ["minoxidil", "anti_androgens", "prp", "laser", "camouflage"]
    else:
        complaint = f"Receding hairline and thinning at the crown for {onset_years} years"
        examination = "Miniaturisation in the thinning areas; occipital donor area dense"
        alternatives = ["minoxidil", "finasteride_dutasteride", "prp", "laser", "transplant"]
    tried = ", ".join(t.drug.label.lower() for t in history.treatments)
    risks = list(RISKS_ALWAYS) + rng.sample(RISKS_SOMETIMES, rng.randrange(2, 5))
    form: dict[str, RawValue] = {
        "consulted_on": consulted_on.isoformat(),
        "presenting_complaint": complaint,
        "history": f"Previously tried: {tried}." if tried else "No previous hair-loss treatment.",
        "examination": examination + ". Pull test negative; no scarring or scalp disease.",
        "classification_scale": scale.value,
        "classification_grade": grade,
        "plan": plan,
        "risks_discussed": risks,
        "alternatives_discussed": [*alternatives, "no_treatment"],
        "patient_questions": rng.choice(QUESTIONS),
        "patient_priorities": rng.choice(PRIORITIES_WOMEN if female else PRIORITIES_MEN),
        "discussed_on": consulted_on.isoformat(),
    }
    if treated_on is not None:
        # The decision comes after at least the 14-day cooling-off period.
        room = (treated_on - consulted_on).days
        form["decided_on"] = (
            consulted_on + timedelta(days=rng.randrange(14, room + 1))
        ).isoformat()
    return form


def _zones(rng: random.Random, female: bool, grade: str) -> tuple[TreatedZone, ...]:
    if female:
        zones = [TreatedZone.FRONTAL, TreatedZone.MID_SCALP]
        if grade in ("II", "III") and rng.random() < 0.6:
            zones.append(TreatedZone.VERTEX)
        return tuple(zones)
    temples = [TreatedZone.TEMPORAL_LEFT, TreatedZone.TEMPORAL_RIGHT]
    if grade in ("I", "II", "IIa", "III", "IIIa"):
        return (TreatedZone.FRONTAL, *temples)
    if grade == "III vertex":
        return (
            (TreatedZone.VERTEX,)
            if rng.random() < 0.5
            else (TreatedZone.FRONTAL, TreatedZone.VERTEX)
        )
    return (TreatedZone.FRONTAL, TreatedZone.MID_SCALP, TreatedZone.VERTEX)


def _lot(lots: tuple[str, ...], days: int, days_ago: int, rng: random.Random) -> str:
    index = len(lots) - 1 - min(days_ago // days, len(lots) - 1)
    if index > 0 and days_ago % days > days - 10 and rng.random() < 0.5:
        index -= 1  # the last boxes of the older lot, used up alongside the new one
    return lots[index]


def _treatment(
    rng: random.Random, treated_on: date, zones: tuple[TreatedZone, ...], today: date
) -> dict[str, RawValue]:
    punches = rng.randrange(2, 6)
    days_ago = (today - treated_on).days
    complications = rng.choices(
        (
            "",
            "Minor oozing at the donor site, settled with pressure",
            "Vasovagal, recovered lying flat",
        ),
        weights=(85, 12, 3),
    )[0]
    return {
        "treated_on": treated_on.isoformat(),
        "punches": str(punches),
        "punch_diameter_mm": "2.5",
        "donor_site": "Occipital scalp",
        "kit_name": KIT_NAME,
        "kit_lot": _lot(KIT_LOTS, KIT_LOT_DAYS, days_ago, rng),
        "anaesthetic_name": ANAESTHETIC,
        "anaesthetic_dose": f"{rng.choice((2.0, 2.5, 3.0, 3.5, 4.0, 5.0)):g}",
        "anaesthetic_dose_unit": "mL",
        "anaesthetic_lot": _lot(ANAESTHETIC_LOTS, ANAESTHETIC_LOT_DAYS, days_ago, rng),
        "suspension_volume_ml": f"{punches * rng.uniform(0.8, 1.2):.1f}",
        "treated_zones": [z.value for z in zones],
        "injection_points": str(len(zones) * rng.randrange(15, 35)),
        "duration_minutes": str(rng.randrange(35, 65, 5)),
        "haemostasis": rng.choice(
            ("Pressure; no sutures", "Pressure and one absorbable suture per punch")
        ),
        "aftercare_sheet_given": True,
        "immediate_complications": complications,
    }


def _baselines(
    rng: random.Random,
    female: bool,
    grade: str,
    zones: tuple[TreatedZone, ...],
    responder: bool,
) -> tuple[RegionBaseline, ...]:
    severe = grade in ("III", "IV", "IVa", "V", "Va", "VI")
    treated = {_ZONE_REGION[z] for z in zones}
    regions = [Region.FRONTAL, Region.MID_SCALP, Region.VERTEX]
    if not female:
        regions += [Region.TEMPORAL_LEFT, Region.TEMPORAL_RIGHT]
    regions.append(Region.OCCIPITAL)
    out = []
    # One response for the patient, shared (with some spread) by the treated regions.
    if responder:
        density, diameter = rng.uniform(6.0, 9.0), rng.uniform(0.6, 2.0)
    else:
        density, diameter = rng.uniform(-3.0, 1.0), rng.uniform(-0.6, 0.3)
    for region in regions:
        if region is Region.OCCIPITAL:
            total, diam = rng.uniform(180, 230), rng.uniform(68, 80)
            vellus, thin, per_fu = (
                rng.uniform(0.04, 0.09),
                rng.uniform(6, 14),
                rng.uniform(2.0, 2.4),
            )
            anagen, dots = rng.uniform(84, 90), None
            effect = (0.0, 0.0)
        else:
            low, high = (120, 150) if severe or region in treated else (140, 180)
            total, diam = rng.uniform(low, high), rng.uniform(55, 70)
            vellus = rng.uniform(0.14, 0.28)
            thin, per_fu = rng.uniform(18, 45), rng.uniform(1.4, 1.9)
            anagen = rng.uniform(70, 82)
            dots = round(rng.uniform(1, 12), 1) if not female and rng.random() < 0.5 else None
            if region in treated:
                effect = (density * rng.uniform(0.8, 1.15), diameter * rng.uniform(0.8, 1.15))
            else:
                effect = (rng.uniform(-2.0, 0.5), rng.uniform(-0.3, 0.1))
        out.append(
            RegionBaseline(
                region, total, vellus, diam, thin, per_fu, anagen, dots, effect[0], effect[1]
            )
        )
    return tuple(out)


def _visit(
    rng: random.Random,
    kind: FollowUpKind | None,
    visit_date: date,
    baselines: tuple[RegionBaseline, ...],
    responder: bool,
    effect: float,
) -> DemoVisit:
    rows = []
    for b in baselines:
        if kind is None:
            d_total, d_diam = 0.0, 0.0
        else:
            d_total = b.effect_density * effect + rng.uniform(-1.0, 1.0)
            d_diam = b.effect_diameter * effect + rng.uniform(-0.25, 0.25)
        total = b.total + d_total
        diameter = b.diameter + d_diam
        vellus = total * b.vellus_share * (1 - 0.01 * max(d_total, 0))
        terminal = (total - vellus) * 0.96  # the rest are intermediate hairs
        thin = min(max(b.thin_pct - 4 * d_diam, 2), 60)
        anagen = min(b.anagen_pct + 0.4 * d_total, 92)
        row = {
            "region": b.region.value,
            "measurement_site": MEASUREMENT_SITES[b.region],
            "total_density": f"{total:.1f}",
            "terminal_density": f"{terminal:.1f}",
            "vellus_density": f"{vellus:.1f}",
            "mean_diameter_um": f"{diameter:.1f}",
            "thin_hairs_pct": f"{thin:.1f}",
            "fu_density": f"{total / b.hairs_per_fu:.1f}",
            "hairs_per_fu": f"{b.hairs_per_fu:.2f}",
            "anagen_pct": f"{anagen:.1f}",
            "telogen_pct": f"{100 - anagen - rng.uniform(1, 4):.1f}",
            "yellow_dots": "" if b.yellow_dots is None else f"{b.yellow_dots:.1f}",
            "hair_mass": f"{total * diameter / 1000:.1f}",
        }
        rows.append(row)
    raw: dict[str, str] = {"visit_date": visit_date.isoformat()}
    if kind is None:
        raw |= {"pull_test_pulled": str(rng.randrange(1, 6)), "pull_test_of": "60"}
        raw["notes"] = "Baseline before micrografting; measurement sites marked on the diagram."
    else:
        good = responder and effect >= 0.5
        raw |= {
            "pull_test_pulled": str(rng.randrange(0, 4) if good else rng.randrange(2, 8)),
            "pull_test_of": "60",
            "satisfaction": str(rng.randrange(6, 10) if good else rng.randrange(2, 7)),
            "global_photo_score": str(rng.choice((1, 1, 2)) if good else rng.choice((-1, 0, 0))),
            "photo_score_blinded": "yes",
        }
        if kind is FollowUpKind.MONTH_6:
            raw["notes"] = (
                "Primary end point: visible gain in the treated areas."
                if responder
                else "Primary end point: no meaningful change; options discussed honestly."
            )
    return DemoVisit(kind, visit_date, raw, tuple(rows))


def _follow_ups(rng: random.Random, treated_on: date, today: date) -> list[DemoFollowUp]:
    planned = []
    for kind in FollowUpKind:
        due = kind.due_after(treated_on)
        spread = (-1, 2) if kind is FollowUpKind.DONOR_CHECK else (-3, 5)
        visit_on = due + timedelta(days=rng.randrange(*spread))
        at = datetime.combine(visit_on, time(rng.randrange(9, 17), rng.choice((0, 15, 30, 45))))
        if visit_on < today:
            if rng.random() < MISSED_SHARE:
                planned.append(
                    DemoFollowUp(kind, FollowUpStatus.DID_NOT_ATTEND, at, "No answer to two calls")
                )
            else:
                planned.append(DemoFollowUp(kind, FollowUpStatus.ATTENDED, at))
        elif visit_on < today + timedelta(days=28) and rng.random() < 0.6:
            planned.append(DemoFollowUp(kind, FollowUpStatus.BOOKED, at))
    return planned


def _dropped_out(planned: list[DemoFollowUp], treated_on: date, today: date) -> list[DemoFollowUp]:
    """About ``DROP_OUT_SHARE`` of treated patients stop coming after the 1- or 3-month
    visit (lost to follow-up: the outcomes audit counts them): the later follow-ups already
    due were missed or cancelled, and none is booked ahead. Drawn from a generator of its own,
    seeded by the treatment date, so the rest of the demo is unchanged."""
    rng = random.Random(f"drop-out-{treated_on}")
    if rng.random() >= DROP_OUT_SHARE:
        return planned
    last_kept = rng.choice((FollowUpKind.MONTH_1, FollowUpKind.MONTH_3))
    kinds = list(FollowUpKind)
    out = []
    for follow_up in planned:
        if kinds.index(follow_up.kind) <= kinds.index(last_kept):
            out.append(follow_up)
        elif follow_up.booked_at.date() < today:
            if rng.random() < 0.6:
                out.append(
                    replace(
                        follow_up,
                        status=FollowUpStatus.DID_NOT_ATTEND,
                        notes="No reply to two calls and a letter",
                    )
                )
            else:
                out.append(
                    replace(
                        follow_up,
                        status=FollowUpStatus.CANCELLED,
                        notes="Patient cancelled: not coming back for now",
                    )
                )
    return out


def _adverse_events(
    rng: random.Random, treated_on: date, today: date, history: MedicalHistory
) -> tuple[dict[str, RawValue], ...]:
    penicillin = any("penicillin" in a.substance.casefold() for a in history.allergies)
    antibiotic = (
        "Clarithromycin 500 mg twice daily for 7 days (penicillin allergy)"
        if penicillin
        else "Flucloxacillin 500 mg four times daily for 7 days"
    )
    candidates = (
        (
            0.08,
            "shedding",
            "mild",
            (14, 28),
            (45, 80),
            "Diffuse shedding in the treated area from week 3",
            "Reassured: temporary telogen shedding, explained at consent",
        ),
        (
            0.06,
            "headache",
            "mild",
            (0, 2),
            (1, 3),
            "Headache the evening after the procedure",
            "Paracetamol 1 g as needed",
        ),
        (
            0.04,
            "donor_site_infection",
            "moderate",
            (3, 7),
            (8, 15),
            "Redness, tenderness and discharge at two punch sites",
            f"Swab sent; {antibiotic}",
        ),
    )
    events: list[dict[str, RawValue]] = []
    for share, kind, severity, onset, lasts, description, action in candidates:
        if rng.random() >= share:
            continue
        onset_on = treated_on + timedelta(days=rng.randrange(*onset))
        if onset_on > today:
            continue
        ended = onset_on + timedelta(days=rng.randrange(*lasts))
        event: dict[str, RawValue] = {
            "onset_on": onset_on.isoformat(),
            "event_type": kind,
            "severity": severity,
            "description": description,
            "action_taken": action,
            "outcome": "ongoing",
        }
        if ended <= today:
            event |= {"outcome": "resolved", "outcome_on": ended.isoformat()}
        events.append(event)
    return tuple(events)
