"""RELIABILITY.md row 30: destroying a record leaves no trace of it.

A unique token is put in the patient's names, medical history notes and treatment notes, and
in an earlier version of those notes (a name edited before destruction leaves its old bytes in
a page's free space unless something overwrites them). After the destruction (which checkpoints)
every page of the encrypted database file (free pages included) and of its write-ahead log is
decrypted here with the clinic's key, and the token must appear in none of them; the plain
``sqlcipher_export`` copy RELIABILITY.md names is checked too. The photo, its cached copies and
the consent signatures are gone from the disk.

SQLCipher 4's page format, as used with a raw 256-bit key: AES-256-CBC over each page but its
last 80 reserved bytes (a 16-byte IV, then a 64-byte HMAC); page 1's first 16 bytes are the
file's salt and are not encrypted.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from clinicdesk.paths import DATABASE_NAME
from tests.conftest import Clinic
from tests.services.retention_setup import frozen, treated_patient

PAGE = 4096
RESERVED = 80  # IV (16) + HMAC-SHA512 (64)
WAL_HEADER, FRAME_HEADER = 32, 24
TOKEN = "qzxtokenvw"
OLD_TOKEN = "qzxoldnotevw"


def _decrypt_page(page: bytes, key: bytes, first: bool) -> bytes:
    start = 16 if first else 0
    iv = page[PAGE - RESERVED : PAGE - RESERVED + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[start : PAGE - RESERVED]) + decryptor.finalize()


def plaintext_pages(path: Path, key: bytes) -> bytes:
    """Every page of the database file and its write-ahead log, decrypted, free ones too."""
    raw = path.read_bytes()
    pages = [_decrypt_page(raw[at : at + PAGE], key, at == 0) for at in range(0, len(raw), PAGE)]
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        log = wal.read_bytes()
        at = WAL_HEADER
        while at + FRAME_HEADER + PAGE <= len(log):
            number = int.from_bytes(log[at : at + 4], "big")
            frame = log[at + FRAME_HEADER : at + FRAME_HEADER + PAGE]
            pages.append(_decrypt_page(frame, key, number == 1))
            at += FRAME_HEADER + PAGE
    return b"".join(pages)


def token_count(clinic: Clinic, token: str) -> int:
    plain = plaintext_pages(clinic.paths.database, clinic.key).lower()
    return plain.count(token.encode())


def exported_count(clinic: Clinic, tmp_path: Path, token: str) -> int:
    copy = tmp_path / "plain.db"
    db = clinic.services.db
    db.execute(f"ATTACH DATABASE '{copy}' AS plaintext KEY ''")
    try:
        db.execute("SELECT sqlcipher_export('plaintext')")
    finally:
        db.execute("DETACH DATABASE plaintext")
    return copy.read_bytes().lower().count(token.encode())


def test_destroying_a_record_leaves_no_trace_in_pages_wal_index_or_files(
    clinic: Clinic, tmp_path: Path
) -> None:
    assert clinic.paths.database.name == DATABASE_NAME
    patient = treated_patient(clinic, tmp_path, TOKEN)
    patients = clinic.services.patients
    # An earlier version of the notes, replaced before destruction.
    for notes in (OLD_TOKEN, f"Notes {TOKEN}"):
        history = patients.medical_history(clinic.clinician, patient.id)
        patients.save_medical_history(clinic.clinician, patient.id, replace(history, notes=notes))
    other = treated_patient(clinic, tmp_path, "keepmevw")
    retention = frozen(clinic, date(2034, 1, 1))
    retention.request_erasure(clinic.admin, patient.id, "Patient asked for erasure by letter")
    files = [p for p in clinic.paths.data_dir.rglob("*") if p.is_file()]
    # The check can see the token: it is there, in pages and in the plain copy, before.
    assert token_count(clinic, TOKEN) > 0
    assert token_count(clinic, OLD_TOKEN) > 0
    assert exported_count(clinic, tmp_path, TOKEN) > 0

    outcome = retention.destroy(clinic.admin, patient.id)

    assert outcome.compacted
    assert token_count(clinic, TOKEN) == 0
    assert token_count(clinic, OLD_TOKEN) == 0
    (tmp_path / "plain.db").unlink()
    assert exported_count(clinic, tmp_path, TOKEN) == 0
    assert token_count(clinic, "keepmevw") > 0  # the other patient is still there
    assert patients.search(clinic.admin, "Annkeepmevw")[0].id == other.id
    assert not patients.search(clinic.admin, f"Ann{TOKEN}")
    remaining = {p for p in clinic.paths.data_dir.rglob("*") if p.is_file()}
    gone = [p for p in files if p not in remaining]
    # The photo original, its thumbnail, two signatures (procedure and photo consent).
    assert len(gone) == 4, gone
    assert {p.parts[-3] for p in gone} >= {"photos", "thumbnail", "consents"}
