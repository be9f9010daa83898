"""Backup and restore of the 100k clinic with 500 photos, against SQLite + a plain copy.

Budget (DESIGN.md, issue 13 item 8): backup / restore <= 2x ``VACUUM INTO`` + a plain copy of
the same files.

The clinic: a copy of the cached bench clinic (``tests.bench.data``) with 500 photos imported
through ``PhotoService.import_photos`` (10 patients, 50 photos each): camera-like JPEGs of
2000 x 1500 (about 0.75 MB each, so about 380 MB of photos beside the 90 MB database). One
picture's pixels are shared and each file differs by a comment segment, so each is its own
photo in the content store. Importing 500 photos takes a while, so the clinic with its photos
is cached too, beside the bench clinic (``CACHE_ROOT``, rebuilt when the bench clinic changes or
``PHOTO_SET`` is bumped), and each run works on a copy.

Timed, alternating with the baseline, median of ``REPEAT`` runs (ratios taken per run), on the
same disk:

- backup: ``make_backup`` end to end (``VACUUM INTO`` while in use, counts, the audit chain,
  the archive sealed chunk by chunk and fsynced, then read back whole: every member's hash,
  ``integrity_check`` and the audit chain on the database copy, then the rename). Its parts
  are split by the progress callback (the first half of the bytes is the write, the second the
  read-back). Baseline: ``VACUUM INTO`` of the same database with its key (``backup_to``) +
  ``shutil.copyfile`` of every photo and consent file into a folder, each copy fsynced, and
  the folder.
- restore: ``restore_backup`` (with the admin's password) into a new folder. Baseline: the
  baseline backup's database and files copied with ``shutil.copyfile`` into a new folder, each
  fsynced (as restore fsyncs each file it writes).

    python -m tests.bench backup                   # in the runner, on the 100k clinic
    python -m tests.bench.bench_backup [PATIENTS]  # on its own (default 2,000 patients)
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from clinicdesk.domain.photos import View
from clinicdesk.domain.roles import Role
from clinicdesk.paths import DATABASE_NAME, Paths
from clinicdesk.services.backup import STORES, make_backup
from clinicdesk.services.context import unlock_clinic
from clinicdesk.services.restore import restore_backup
from clinicdesk.storage.database import backup_to
from clinicdesk.storage.sealed_files import ContentStore, fsync_directory
from tests.bench.common import Outcome, note, report
from tests.bench.data import BENCH_PASSWORD, CACHE_ROOT, BenchClinic, cache_dir, cached_clinic

RATIO_BUDGET = 2.0
REPEAT = 3
PHOTOS = 500
PATIENTS_WITH_PHOTOS = 10
WIDTH, HEIGHT = 2000, 1500
CLINICIAN = "benchbackup"
_DONE = "photo-clinic.json"
PHOTO_SET = 1  # bump when the photos made here change, so the cached clinic is made again


def _camera_jpeg() -> bytes:
    """A camera-like JPEG (texture, grain, gradients; no real photo) of WIDTH x HEIGHT."""
    from PIL import Image

    size = (WIDTH, HEIGHT)
    texture = Image.effect_noise((WIDTH // 4, HEIGHT // 4), 60).resize(
        size, Image.Resampling.BICUBIC
    )
    grain = Image.effect_noise(size, 12)
    across = Image.linear_gradient("L").rotate(90).resize(size)
    down = Image.linear_gradient("L").resize(size)
    red = Image.blend(Image.blend(across, texture, 0.5), grain, 0.2)
    green = Image.blend(down, texture, 0.4)
    blue = Image.blend(Image.blend(down, across, 0.5), texture, 0.3)
    out = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(out, "JPEG", quality=90)
    return out.getvalue()


def _with_comment(jpeg: bytes, number: int) -> bytes:
    text = f"bench backup photo {number}".encode()
    segment = b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text
    return jpeg[:2] + segment + jpeg[2:]


def _add_photos(data_dir: Path, temp: Path) -> None:
    """Import PHOTOS photos into the (closed) clinic in ``data_dir``, spread over patients."""
    signed = unlock_clinic(Paths(data_dir), "admin", BENCH_PASSWORD)
    services = signed.services
    try:
        clinician = services.clinic.add_user(
            signed.user, CLINICIAN, "Dr Bench Backup", Role.CLINICIAN, BENCH_PASSWORD, "GMC 7000003"
        )
        rows = services.patients.list_page(signed.user, None, PATIENTS_WITH_PHOTOS)
        picture = _camera_jpeg()
        folder = temp / "backup-bench-photos"
        folder.mkdir(exist_ok=True)
        views = tuple(View)
        for number in range(PHOTOS):
            path = folder / f"photo-{number}.jpg"
            path.write_bytes(_with_comment(picture, number))
            patient = rows[number % len(rows)]
            [outcome] = services.photos.import_photos(
                clinician, patient.id, [path], view=views[number % len(views)]
            )
            if outcome.status != "imported":
                raise RuntimeError(f"bench photo not imported: {outcome.reason}")
            path.unlink()
    finally:
        services.close()


def _photo_cache(patients: int) -> Path:
    # Keyed by the bench clinic's cache (its code) and by what shapes the photos here.
    shape = f"{PHOTOS}-{PATIENTS_WITH_PHOTOS}-{WIDTH}x{HEIGHT}-{PHOTO_SET}"
    return CACHE_ROOT / f"{cache_dir(patients).name}-photos-{shape}"


def photo_clinic(data_dir: Path, patients: int, temp: Path) -> tuple[BenchClinic, bool]:
    """A copy, in ``data_dir``, of the bench clinic with PHOTOS photos (built once into the
    cache); True when it came from the cache. Signed in as the admin."""
    cached = _photo_cache(patients)
    hit = (cached / _DONE).exists()
    if not hit:
        building = cached.with_name(cached.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        base, _ = cached_clinic(building / "data", patients)  # copies the bench clinic's cache
        base.services.close()
        _add_photos(building / "data", temp)
        (building / _DONE).write_text(json.dumps({"patients": base.patients, "photos": PHOTOS}))
        for stale in CACHE_ROOT.glob(f"{patients}-*-photos*"):
            if stale != building:
                shutil.rmtree(stale, ignore_errors=True)
        building.rename(cached)
    made = json.loads((cached / _DONE).read_text())["patients"]
    shutil.copytree(cached / "data", data_dir)
    paths = Paths(data_dir)
    signed = unlock_clinic(paths, "admin", BENCH_PASSWORD)
    return BenchClinic(paths, signed.services, signed.user, made), hit


def _store_files(paths: Paths) -> list[Path]:
    found: list[Path] = []
    for attribute in STORES.values():
        found.extend(ContentStore.scan(getattr(paths, attribute)).originals.values())
    return found


def _copy_synced(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    with target.open("rb") as synced:
        os.fsync(synced.fileno())


def _baseline_backup(clinic: BenchClinic, dest: Path) -> None:
    """VACUUM INTO + a plain copy of every photo and consent file, each fsynced."""
    dest.mkdir()
    snapshot = backup_to(clinic.services.db, dest / DATABASE_NAME)
    with snapshot.open("rb") as synced:
        os.fsync(synced.fileno())
    for number, path in enumerate(_store_files(clinic.paths)):
        _copy_synced(path, dest / f"{number:05d}")
    fsync_directory(dest)


def _baseline_restore(source: Path, target: Path) -> None:
    """A plain copy of the baseline backup's database and files into a new folder."""
    target.mkdir()
    for path in sorted(source.iterdir()):
        _copy_synced(path, target / path.name)
    fsync_directory(target)


class _Phases:
    """When the backup's progress crossed each part: the write, then the read-back."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first: float | None = None  # first bytes written: the snapshot is done
        self.half: float | None = None  # first bytes read back: the write and fsync are done
        self.full: float | None = None  # every byte read back
        self.end = self.start

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        if self.half is None and done > total // 2:
            self.half = now
        if self.full is None and done >= total:
            self.full = now

    def parts(self) -> tuple[float, float, float, float]:
        first, half = self.first or self.start, self.half or self.end
        full = self.full or self.end
        return (
            (first - self.start) * 1000,
            (half - first) * 1000,
            (full - half) * 1000,
            (self.end - full) * 1000,
        )


def _timed(work: object) -> float:
    assert callable(work)
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def run(clinic: BenchClinic, results: list[Outcome], temp: Path) -> None:
    print(f"\n== Backup and restore, {clinic.patients:,} patients + {PHOTOS} photos ==")
    start = time.perf_counter()
    own, hit = photo_clinic(temp / "backup-clinic", clinic.patients, temp)
    how = "copied from the cache" if hit else "made (and cached)"
    note(f"the clinic with {PHOTOS} photos {how} in {time.perf_counter() - start:.1f} s")
    try:
        _run(own, results, temp / "backup-bench")
    finally:
        own.services.close()


def _run(clinic: BenchClinic, results: list[Outcome], work: Path) -> None:
    work.mkdir()
    files = _store_files(clinic.paths)
    photo_bytes = sum(p.stat().st_size for p in files)
    db_bytes = clinic.paths.database.stat().st_size
    note(
        f"database {db_bytes / 1e6:.0f} MB, {len(files)} photo and consent files "
        f"{photo_bytes / 1e6:.0f} MB"
    )
    backups, base_backups, restores, base_restores = [], [], [], []
    phases: list[tuple[float, float, float, float]] = []
    archive_size = 0
    for number in range(REPEAT):  # copying the clinic in warmed the disk cache
        dest = work / f"backup-{number}"
        dest.mkdir()
        phase = _Phases()
        result = make_backup(clinic.services, clinic.user, dest, progress=phase)
        phase.end = time.perf_counter()
        backup_ms = (phase.end - phase.start) * 1000
        archive_size = result.size
        copy = work / f"copy-{number}"
        base_backup_ms = _timed(lambda copy=copy: _baseline_backup(clinic, copy))
        restored = Paths(work / f"restored-{number}")
        restore_ms = _timed(
            lambda result=result, restored=restored: restore_backup(
                result.path, restored, "admin", password=BENCH_PASSWORD
            )
        )
        plain = work / f"plain-{number}"
        base_restore_ms = _timed(lambda copy=copy, plain=plain: _baseline_restore(copy, plain))
        for folder in (dest, copy, restored.data_dir, plain):
            shutil.rmtree(folder)
        backups.append(backup_ms)
        base_backups.append(base_backup_ms)
        restores.append(restore_ms)
        base_restores.append(base_restore_ms)
        phases.append(phase.parts())
    what = f"{clinic.patients:,} patients + {PHOTOS} photos"
    budget = f"<= {RATIO_BUDGET:g}x VACUUM INTO + copy"
    for name, runs, base_runs in (
        (f"backup: {what}", backups, base_backups),
        (f"restore: {what}", restores, base_restores),
    ):
        ratios = [m / b for m, b in zip(runs, base_runs, strict=True)]
        measured, base = statistics.median(runs), statistics.median(base_runs)
        ratio = statistics.median(ratios)
        report(
            Outcome(
                name,
                budget,
                f"{measured / 1000:.1f} s",
                f"{base / 1000:.1f} s",
                ratio,
                ratio <= RATIO_BUDGET,
            ),
            results,
        )
        note(f"ratio per run {', '.join(f'{r:.2f}x' for r in ratios)} (median above)")
    snap, write, verify, check = (statistics.median(p[i] for p in phases) for i in range(4))
    note(
        f"backup parts: snapshot (VACUUM INTO, counts, audit chain) {snap / 1000:.1f} s, "
        f"archive write + fsync {write / 1000:.1f} s, read-back and hashes {verify / 1000:.1f} s, "
        f"integrity_check + audit chain of the copy + rename {check / 1000:.1f} s "
        f"(archive {archive_size / 1e6:.0f} MB)"
    )


def main(argv: list[str]) -> int:
    patients = int(argv[0]) if argv else 2000
    results: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="clinicdesk-bench-backup-") as temp:
        clinic, _ = cached_clinic(Path(temp) / "data", patients)
        try:
            run(clinic, results, Path(temp))
        finally:
            clinic.services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
