"""``clinicdesk verify``: the clinic's data checked end to end (issue 13 item 4; RELIABILITY
rows 3, 11 and 15 as an administrator meets them).

One small demo clinic (photos, drawn consent signatures, an audit trail) is made per module and
copied for each test; each test breaks one thing the way it happens (a file deleted, a byte
flipped, a file left behind, the trail or a row changed with a SQLite shell) and runs the
command as an administrator through ``clinicdesk.app.main``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from clinicdesk.app import main
from clinicdesk.cli.verify import PROBLEMS_EXIT
from clinicdesk.paths import Paths
from clinicdesk.services import clinic as clinic_service
from clinicdesk.services.context import ClinicServices, unlock_clinic
from clinicdesk.services.demo import DEMO_PASSWORD, create_demo_clinic
from clinicdesk.storage import audit, keys

DEMO_PATIENTS = 8


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("verify-demo") / "data"
    with pytest.MonkeyPatch.context() as mp:  # cheap hashing, as tests/conftest.py does
        mp.setattr(
            clinic_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        mp.setattr(keys, "KDF", keys.KdfParameters(time_cost=1, memory_cost=8, parallelism=1))
        create_demo_clinic(Paths(data_dir), patients=DEMO_PATIENTS, seed=3)
    return data_dir


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    data_dir = tmp_path / "clinic"
    shutil.copytree(demo_template, data_dir)
    monkeypatch.setenv("CLINICDESK_PASSWORD", DEMO_PASSWORD)
    return Paths(data_dir)


def run_verify(
    paths: Paths, capsys: pytest.CaptureFixture[str], *extra: str, user: str = "admin"
) -> tuple[int, str, str]:
    code = main(["--data-dir", str(paths.data_dir), "--user", user, "verify", *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


@pytest.fixture
def opened(demo: Paths) -> Iterator[ClinicServices]:
    services = unlock_clinic(demo, "admin", DEMO_PASSWORD).services
    yield services
    services.close()


def rows(services: ClinicServices, sql: str) -> list[tuple[str, ...]]:
    return [tuple(row) for row in services.db.execute(sql).fetchall()]


def problem_lines(out: str) -> list[str]:
    lines = out.splitlines()
    assert lines[0].startswith("The clinic's data has "), out
    return [line.strip() for line in lines[1:] if line.startswith("  ")]


def test_a_clean_demo_clinic_is_all_well(
    demo: Paths, opened: ClinicServices, capsys: pytest.CaptureFixture[str]
) -> None:
    (photos,) = rows(opened, "SELECT count(DISTINCT sha256) FROM photos")[0]
    opened.close()
    code, out, err = run_verify(demo, capsys)
    assert (code, err) == (0, "")
    assert out.startswith(f"All is well: {DEMO_PATIENTS} patients, {photos} photos, ")
    assert "consent scans and signatures, audit chain of " in out
    assert out.rstrip().endswith("entries intact.")
    # The run is audited with its counts, naming nobody.
    services = unlock_clinic(demo, "admin", DEMO_PASSWORD).services
    try:
        entry = [e for e in audit.entries(services.db) if e.entity == "clinic_data"][-1]
    finally:
        services.close()
    assert entry.action == "verify"
    assert entry.detail["problems"] == 0 and entry.detail["photos"] == photos


def test_only_an_administrator_may_check(demo: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_verify(demo, capsys, user="clinician")
    assert (code, out) == (3, "")
    assert "does not allow this" in err


def test_a_deleted_photo_file_is_named_with_what_to_do(
    demo: Paths, opened: ClinicServices, capsys: pytest.CaptureFixture[str]
) -> None:
    photo_id, patient_id, sha256 = rows(
        opened, "SELECT id, patient_id, sha256 FROM photos ORDER BY id LIMIT 1"
    )[0]
    opened.close()
    (demo.photos_dir / sha256[:2] / sha256).unlink()
    code, out, err = run_verify(demo, capsys)
    assert (code, err) == (PROBLEMS_EXIT, "")
    assert problem_lines(out) == [
        f"The photo file is missing: photo {photo_id} of patient {patient_id} "
        f"(photos/{sha256[:2]}/{sha256}). Restore this file from your most recent backup."
    ]
    # No patient or photo id reaches the log file.
    log_text = "".join(p.read_text() for p in demo.logs_dir.glob("*.log*"))
    assert "clinic data check: 1 problem(s)" in log_text
    assert photo_id not in log_text and patient_id not in log_text


def test_a_flipped_byte_in_a_photo_is_named(
    demo: Paths, opened: ClinicServices, capsys: pytest.CaptureFixture[str]
) -> None:
    photo_id, sha256 = rows(opened, "SELECT id, sha256 FROM photos ORDER BY id DESC LIMIT 1")[0]
    opened.close()
    path = demo.photos_dir / sha256[:2] / sha256
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, out, _ = run_verify(demo, capsys)
    assert code == PROBLEMS_EXIT
    [line] = problem_lines(out)
    assert line.startswith("The photo file is damaged (its content no longer matches, ")
    assert f"photo {photo_id} of patient " in line and f"photos/{sha256[:2]}/{sha256}" in line


def test_a_missing_consent_file_is_named(
    demo: Paths, opened: ClinicServices, capsys: pytest.CaptureFixture[str]
) -> None:
    consent_id, sha256 = rows(
        opened,
        "SELECT id, signature_sha256 FROM consents WHERE signature_sha256 IS NOT NULL LIMIT 1",
    )[0]
    opened.close()
    (demo.consent_files_dir / sha256[:2] / sha256).unlink()
    code, out, _ = run_verify(demo, capsys)
    assert code == PROBLEMS_EXIT
    lines = problem_lines(out)
    assert lines, out
    assert all(line.startswith("The consent signature file is missing: consent ") for line in lines)
    assert any(f"consent {consent_id} of patient " in line for line in lines)
    assert all(f"consents/{sha256[:2]}/{sha256}" in line for line in lines)


def _stray(folder: Path, name: str, minutes_old: float) -> Path:
    path = folder / name[:2] / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(200))
    moment = time.time() - minutes_old * 60
    os.utime(path, (moment, moment))
    return path


def test_files_no_record_names_are_named_and_where_they_go(
    demo: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = _stray(demo.photos_dir, "ab" + "1" * 62, minutes_old=20)
    consent = _stray(demo.consent_files_dir, "cd" + "2" * 62, minutes_old=20)
    _stray(demo.photos_dir, "ef" + "3" * 62, minutes_old=0)  # an import may be writing it
    code, out, _ = run_verify(demo, capsys)
    assert code == PROBLEMS_EXIT
    lines = problem_lines(out)
    assert lines == [
        f"A photo file that no photo record names: photos/ab/{photo.name}. Nothing is lost: "
        "it is left over from an import stopped by a crash, or from a database restored from "
        "an older backup. At the first sign-in after it is 1 hour old, ClinicDesk moves it to "
        "the photos-unreferenced folder in the data folder, where it is kept.",
        f"A consent file that no consent record names: consents/cd/{consent.name}. Nothing is "
        "lost: it is left over from a signing that was not saved, or from a database restored "
        "from an older backup. It is kept where it is; if a consent is missing its signed "
        "form, this may be it (restore the backup that holds both).",
    ]
    # What the advice says happens does happen, once the file is old enough.
    old = time.time() - 2 * 3600
    os.utime(photo, (old, old))
    services = unlock_clinic(demo, "admin", DEMO_PASSWORD).services
    services.close()
    assert not photo.exists()
    assert (demo.unreferenced_photos_dir / photo.name).exists()


def test_a_broken_audit_chain_is_named(
    demo: Paths, opened: ClinicServices, capsys: pytest.CaptureFixture[str]
) -> None:
    db = opened.db
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("""UPDATE audit_log SET detail = '{"fields": []}' WHERE seq = 7""")
    opened.close()
    code, out, _ = run_verify(demo, capsys)
    assert code == PROBLEMS_EXIT
    lines = problem_lines(out)
    assert lines[0].startswith("The audit trail does not check out: entry 7 was altered. ")
    assert "restore the latest backup made before it" in lines[0]


def test_a_foreign_key_violation_is_named(
    demo: Paths, opened: ClinicServices, capsys: pytest.CaptureFixture[str]
) -> None:
    (classification_id,) = rows(opened, "SELECT id FROM classifications ORDER BY id LIMIT 1")[0]
    opened.db.execute("PRAGMA foreign_keys = OFF")
    opened.db.execute(
        "UPDATE classifications SET patient_id = 'no-such-patient' WHERE id = ?",
        [classification_id],
    )
    opened.close()
    code, out, _ = run_verify(demo, capsys)
    assert code == PROBLEMS_EXIT
    assert problem_lines(out) == [
        "A classifications record names a patients record that is not there: "
        f"classifications record {classification_id}, column patient_id. Part of the record "
        "is missing (changed outside ClinicDesk, or a partial restore). Restore the latest "
        "backup (Admin > Backups), or contact support; until then save nothing you cannot "
        "enter again."
    ]


def test_a_damaged_cache_entry_is_rebuilt_not_a_problem(
    demo: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    thumbnails = sorted((demo.cache_dir / "thumbnail").glob("*/*"))
    assert thumbnails
    damaged = thumbnails[0]
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))
    code, out, _ = run_verify(demo, capsys, "--json")
    assert code == 0
    result = json.loads(out)
    assert result["all_well"] is True and result["problems"] == []
    assert result["cache_entries_rebuilt"] == 1
    assert not damaged.exists()  # made again from the original when next shown


def test_json_lists_each_problem_with_its_ids(
    demo: Paths, opened: ClinicServices, capsys: pytest.CaptureFixture[str]
) -> None:
    photo_id, patient_id, sha256 = rows(
        opened, "SELECT id, patient_id, sha256 FROM photos ORDER BY id LIMIT 1"
    )[0]
    opened.close()
    (demo.photos_dir / sha256[:2] / sha256).unlink()
    code, out, _ = run_verify(demo, capsys, "--json")
    assert code == PROBLEMS_EXIT
    result = json.loads(out)
    assert result["all_well"] is False
    [problem] = result["problems"]
    assert problem["kind"] == "photo_missing"
    assert (problem["record_id"], problem["patient_id"]) == (photo_id, patient_id)
    assert problem["file"] == f"photos/{sha256[:2]}/{sha256}"
    assert problem["action"] == "Restore this file from your most recent backup."


def test_restore_files_puts_lost_photos_back_from_the_backup_that_holds_them(
    demo: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    backups = demo.data_dir.parent / "usb"
    backups.mkdir()
    assert main(["--data-dir", str(demo.data_dir), "--user", "admin", "backup", str(backups)]) == 0
    archive = next(backups.glob("*.cdbackup"))
    photo = next(p for p in demo.photos_dir.rglob("*") if p.is_file())
    original = photo.read_bytes()
    photo.unlink()
    capsys.readouterr()
    # The backup is in neither known folder yet: the advice is the general one.
    code, out, _err = run_verify(demo, capsys)
    assert code == PROBLEMS_EXIT and "your most recent backup" in out
    shutil.move(str(archive), demo.backups_dir / archive.name)
    code, out, _err = run_verify(demo, capsys)
    assert code == PROBLEMS_EXIT and f"from the backup {demo.backups_dir / archive.name}" in out
    code, out, _err = run_verify(demo, capsys, "--restore-files")
    assert code == 0, out
    assert f"Put back 1 file(s) from the backup {demo.backups_dir / archive.name}." in out
    assert "All is well" in out
    assert photo.read_bytes() == original
