"""A demo clinic with synthetic patients: realistic UK names (non-ASCII ones included) and
hair-loss histories for men and women, and for most of them a course of care (consultation,
micrograft treatment, trichoscopy, follow-ups, adverse events: ``demo_care``), and for a few
treated patients generated photos of every standard view at each visit (``demo_photos``).
Deterministic for a given seed and day. No real person's data, no real person's photo.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta

from clinicdesk.domain.classification import HairLossScale
from clinicdesk.domain.identifiers import nhs_check_digit_ok
from clinicdesk.domain.medical import (
    Allergy,
    HairTreatment,
    HairTreatmentDrug,
    LabResult,
    LabTest,
    MedicalHistory,
    Medication,
    RedFlag,
    RedFlagCode,
    TreatmentResponse,
)
from clinicdesk.domain.roles import Role
from clinicdesk.paths import Paths
from clinicdesk.services.clinic import NewClinic, hash_password
from clinicdesk.services.context import ClinicServices, create_clinic_storage
from clinicdesk.services.demo_care import (
    DemoCourse,
    ResponderDeck,
    plan_course,
    with_course_labs,
)
from clinicdesk.services.demo_grading import add_demo_graders
from clinicdesk.services.demo_photos import PHOTO_PATIENTS, add_demo_photos
from clinicdesk.services.demo_record import record_course
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage.database import write_transaction

DEMO_PASSWORD = "demo"
# Printed on the demo's documents: a made-up address (the 01632 numbers are Ofcom's drama range).
DEMO_CLINIC_DETAILS = {
    "address": "12 Example Row\nHarrogate HG1 2XX",
    "phone": "01632 960 123",
    "out_of_hours_phone": "01632 960 999",
    "data_protection_contact": "The practice manager, at the address above",
    "cost": "£1,850 for one session, including the follow-up visits for a year",
}
DEMO_CLINIC = "Demo Hair Clinic"

FEMALE_NAMES = (
    "Siobhán",
    "Zoë",
    "Aoife",
    "Chloé",
    "Niamh",
    "Priya",
    "Amélie",
    "Sarah",
    "Emma",
    "Olivia",
    "Fatima",
    "Gráinne",
    "Hannah",
    "Isla",
    "Jessica",
    "Katarzyna",
    "Leah",
    "Mairéad",
    "Nadia",
    "Rebecca",
    "Sinéad",
    "Thea",
    "Yasmin",
    "Anne-Marie",
    "Bethan",
    "Ffion",
    "Agnieszka",
)
MALE_NAMES = (
    "Łukasz",
    "José",
    "Seán",
    "Oisín",
    "Rhys",
    "Mohammed",
    "James",
    "Oliver",
    "Harry",
    "Jack",
    "Daniel",
    "Tomás",
    "Callum",
    "Dylan",
    "Ewan",
    "Gareth",
    "Hamish",
    "Ifan",
    "Kieran",
    "Liam",
    "Marek",
    "Nathaniel",
    "Rajesh",
    "Stefan",
    "Wojciech",
    "Dáithí",
    "Ciarán",
    "Björn",
)
LAST_NAMES = (
    "O'Brien",
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Ó Súilleabháin",
    "MacDonald",
    "Nowak",
    "Kowalski",
    "Khan",
    "Ahmed",
    "Singh",
    "Müller",
    "Ní Bhriain",
    "Fernández",
    "Lefèvre",
    "Zieliński",
    "Ap Rhys",
    "Smith-Jones",
    "McKenzie",
)
TOWNS = (
    ("Manchester", "M"),
    ("Leeds", "LS"),
    ("Bristol", "BS"),
    ("London", "SW"),
    ("Cardiff", "CF"),
    ("Glasgow", "G"),
    ("Belfast", "BT"),
    ("Liverpool", "L"),
    ("Sheffield", "S"),
    ("York", "YO"),
)
STREETS = ("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane", "The Green")
GP_PRACTICES = (
    "Riverside Medical Practice",
    "Park View Surgery",
    "The Health Centre",
    "Castle Street Surgery",
)


def _nhs_number(rng: random.Random) -> str:
    while True:
        # 999 prefixes are reserved for testing and never issued to real patients.
        digits = "999" + "".join(str(rng.randrange(10)) for _ in range(7))
        if nhs_check_digit_ok(digits):
            return digits


def demo_patient_form(rng: random.Random, today: date) -> dict[str, str]:
    female = rng.random() < 0.45
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    last = rng.choice(LAST_NAMES)
    age_days = rng.randrange(22 * 365, 70 * 365)
    town, area = rng.choice(TOWNS)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    inward = f"{rng.randrange(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    postcode = f"{area}{rng.randrange(1, 20)} {inward}"
    phone = _drama_phone(rng)
    return {
        "title": rng.choice(("Ms", "Mrs", "Miss", "Dr")) if female else rng.choice(("Mr", "Dr")),
        "first_name": first,
        "last_name": last,
        "date_of_birth": (today - timedelta(days=age_days)).isoformat(),
        "sex": "F" if female else "M",
        "phone": phone,
        "email": f"{_ascii(first)}.{_ascii(last)}{rng.randrange(100)}@example.com".lower(),
        "address_line1": f"{rng.randrange(1, 200)} {rng.choice(STREETS)}",
        "town": town,
        "postcode": postcode,
        "gp_practice": rng.choice(GP_PRACTICES),
        "nhs_number": _nhs_number(rng) if rng.random() < 0.85 else "",
        "emergency_contact_name": rng.choice(FEMALE_NAMES + MALE_NAMES) + " " + last,
        "emergency_contact_phone": _drama_phone(rng),
    }


# Ofcom's numbers reserved for drama: never a real subscriber. Each block has 1,000 numbers.
DRAMA_PHONE_BLOCKS = (
    "07700 900",
    "020 7946 0",
    "0113 496 0",
    "0114 496 0",
    "0115 496 0",
    "0116 496 0",
    "0117 496 0",
    "0118 496 0",
    "0121 496 0",
    "0131 496 0",
    "0141 496 0",
    "0151 496 0",
    "0161 496 0",
    "0191 498 0",
    "029 2018 0",
    "028 9649 6",
    "01632 960",
)


def _drama_phone(rng: random.Random) -> str:
    return f"{rng.choice(DRAMA_PHONE_BLOCKS)}{rng.randrange(1000):03d}"


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def demo_history(rng: random.Random, female: bool, today: date) -> MedicalHistory:
    treatments = []
    drugs = [
        HairTreatmentDrug.TOPICAL_MINOXIDIL,
        HairTreatmentDrug.PRP,
        HairTreatmentDrug.LOW_LEVEL_LASER,
    ]
    drugs += (
        [HairTreatmentDrug.ANTI_ANDROGEN, HairTreatmentDrug.ORAL_MINOXIDIL]
        if female
        else [
            HairTreatmentDrug.FINASTERIDE,
            HairTreatmentDrug.DUTASTERIDE,
            HairTreatmentDrug.TRANSPLANT,
        ]
    )
    for drug in rng.sample(drugs, rng.randrange(0, 3)):
        start = today - timedelta(days=rng.randrange(200, 2500))
        stopped = start + timedelta(days=rng.randrange(90, 700)) if rng.random() < 0.5 else None
        side = ""
        if drug == HairTreatmentDrug.TOPICAL_MINOXIDIL and rng.random() < 0.3:
            side = "Scalp irritation"
        elif drug == HairTreatmentDrug.FINASTERIDE and rng.random() < 0.2:
            side = "Reduced libido"
        dose = {
            "topical_minoxidil": "5% foam twice daily",
            "finasteride": "1 mg daily",
            "oral_minoxidil": "1.25 mg daily",
            "dutasteride": "0.5 mg daily",
            "anti_androgen": "Spironolactone 100 mg daily",
        }.get(drug.value, "")
        treatments.append(
            HairTreatment(
                drug,
                dose,
                start,
                stopped if stopped and stopped < today else None,
                rng.choice(list(TreatmentResponse)),
                side,
            )
        )
    flags = []
    if rng.random() < 0.08:
        flags.append(RedFlag(RedFlagCode.ANTICOAGULANT, "Apixaban 5 mg twice daily"))
    if female and rng.random() < 0.05:
        flags.append(RedFlag(RedFlagCode.PREGNANCY, "Breastfeeding"))
    if rng.random() < 0.04:
        flags.append(RedFlag(RedFlagCode.KELOID))
    allergies = [Allergy("Penicillin", "Rash")] if rng.random() < 0.1 else []
    if rng.random() < 0.03:
        allergies.append(Allergy("Latex", "Contact dermatitis"))
    medications = [Medication("Levothyroxine", "50 micrograms daily")] if rng.random() < 0.1 else []
    labs = []
    taken = today - timedelta(days=rng.randrange(10, 300))
    labs.append(LabResult(LabTest.FERRITIN, float(rng.randrange(15, 150)), taken))
    labs.append(LabResult(LabTest.TSH, round(rng.uniform(0.5, 4.5), 1), taken))
    labs.append(LabResult(LabTest.VITAMIN_D, float(rng.randrange(25, 120)), taken))
    return MedicalHistory(
        treatments=tuple(treatments),
        red_flags=tuple(flags),
        allergies=tuple(allergies),
        medications=tuple(medications),
        labs=tuple(labs),
        pcos=female and rng.random() < 0.1,
        iron_deficiency=female and rng.random() < 0.15,
        family_history=rng.choice(
            ("", "Father with male pattern baldness", "Mother and maternal aunt with thinning")
        ),
        age_at_onset=rng.randrange(18, 45),
        expectations=rng.choice(
            ("Realistic; understands gains are modest", "Hopes to stop further loss")
        ),
    )


# The demo clinic's size, the same from the first-run screen and ``clinicdesk demo``, and as
# the README says.
DEMO_PATIENTS = 40


def create_demo_clinic(
    paths: Paths,
    *,
    patients: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    today: Callable[[], date] = date.today,
) -> int:
    """Create the (encrypted) demo clinic in an empty data folder; returns how many patients
    it made. ``progress(done, total)`` is called before each patient; when ``cancelled()``
    turns true the clinic keeps the patients made so far."""
    signed = create_clinic_storage(
        paths,
        NewClinic(
            DEMO_CLINIC,
            "Main clinic",
            ["Satellite clinic"],
            "admin",
            "Practice Manager",
            DEMO_PASSWORD.ljust(8, "!"),
        ),
        today,
    )
    services = signed.services
    try:
        return _fill_demo_clinic(services, signed.user, patients, seed, progress, cancelled)
    finally:
        services.close()


def _fill_demo_clinic(
    services: ClinicServices,
    admin: CurrentUser,
    patients: int,
    seed: int,
    progress: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> int:
    rng = random.Random(seed)
    today = services.patients.today()
    # The demo password is short on purpose (DESIGN.md); the length rule is for real accounts.
    admin_row = services.clinic.repo.user_by_name("admin")
    assert admin_row is not None
    with write_transaction(services.db):
        services.clinic.repo.set_password_hash(admin_row, hash_password(DEMO_PASSWORD), admin.actor)
        for username, display, role, registration in (
            ("clinician", "Dr Alex Morgan", Role.CLINICIAN, "GMC 7654321"),
            ("reception", "Sam Reception", Role.RECEPTION, ""),
        ):
            services.clinic.repo.add_user(
                username,
                display,
                role,
                hash_password(DEMO_PASSWORD),
                admin.actor,
                registration_number=registration,
            )
    for username in ("admin", "clinician", "reception"):
        services.clinic.password_set(username, DEMO_PASSWORD)
    services.clinic_details.update(admin, DEMO_CLINIC_DETAILS)
    clinician = services.clinic.user("clinician")
    # Courses of care draw from their own generator, so the patients stay the same for a seed
    # whatever the courses draw.
    care_rng = random.Random(f"care-{seed}")
    responders = ResponderDeck()
    photo_rng = random.Random(f"photos-{seed}")
    photographed = 0
    for made in range(patients):
        if cancelled is not None and cancelled():
            return made
        if progress is not None:
            progress(made, patients)
        # One transaction per patient (the services' own transactions nest as savepoints):
        # a commit per record would make the demo several times slower.
        with write_transaction(services.db):
            patient_id, course = _demo_patient(
                services, clinician, rng, care_rng, responders, today
            )
        if course is not None and len(course.visits) > 1 and photographed < PHOTO_PATIENTS:
            add_demo_photos(services, clinician, patient_id, course.visits, photo_rng)
            photographed += 1
    add_demo_graders(services, admin, DEMO_PASSWORD, random.Random(f"grades-{seed}"))
    return patients


def _demo_patient(
    services: ClinicServices,
    clinician: CurrentUser,
    rng: random.Random,
    care_rng: random.Random,
    responders: ResponderDeck,
    today: date,
) -> tuple[str, DemoCourse | None]:
    form = demo_patient_form(rng, today)
    patient = services.patients.register(clinician, form)
    female = form["sex"] == "F"
    history = demo_history(rng, female, today)
    scale = HairLossScale.LUDWIG if female else HairLossScale.NORWOOD_HAMILTON
    assessed = today - timedelta(days=rng.randrange(0, 400))
    grade = rng.choice(scale.grades[:-1] if not female else scale.grades)
    course = plan_course(
        care_rng,
        female=female,
        scale=scale,
        grade=grade,
        history=history,
        today=today,
        responders=responders,
    )
    services.patients.save_medical_history(clinician, patient.id, with_course_labs(history, course))
    if course is not None:
        assessed = date.fromisoformat(str(course.consultation["consulted_on"]))
    services.patients.add_classification(
        clinician, patient.id, scale.value, grade, assessed.isoformat()
    )
    if female and rng.random() < 0.5:
        services.patients.add_classification(
            clinician,
            patient.id,
            HairLossScale.SINCLAIR.value,
            rng.choice(HairLossScale.SINCLAIR.grades[:4]),
            assessed.isoformat(),
        )
    if course is not None:
        record_course(services, clinician, patient.id, course)
    return patient.id, course
