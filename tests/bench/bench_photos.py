"""Photo import of one 24-megapixel JPEG against Pillow alone, and memory with a photo gallery.

Budgets (DESIGN.md):

- import one 24-megapixel JPEG (hash, store, thumbnail) <= 1.5x Pillow draft-mode decode +
  thumbnail + sha256. One synthetic 6000x4000 JPEG (noise and gradients, no real photo) is made
  in the temporary folder; each timed run imports a fresh copy (a different JPEG comment
  segment, so it is never a duplicate) with ``PhotoService.import_photos`` as a clinician and
  then asks ``PhotoService.thumbnail`` for it (the thumbnail is derived lazily, on first view).
  The baseline reads the same bytes, hashes them with sha256 and makes a 256 px thumbnail with
  ``Image.open`` + ``draft("RGB", (256, 256))`` + ``thumbnail``.
- memory, 100k patients + 500 thumbnails on screen < 400 MB RSS. A fresh process (so its RSS
  is its own) opens the benchmark clinic, imports 500 small synthetic JPEGs for one patient,
  builds ``MainWindow`` offscreen, opens that patient, shows the Photos tab and scrolls the
  thumbnail grid to the end, turning the event loop as it goes. Peak RSS is
  ``getrusage(RUSAGE_SELF).ru_maxrss`` (the whole process, import included); the peak of the
  window and scrolling alone is printed beside it where Linux lets VmHWM be reset.
"""

from __future__ import annotations

import hashlib
import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from clinicdesk.domain.roles import Role
from clinicdesk.services.session import CurrentUser
from tests.bench.bench_startup import REPO, _env
from tests.bench.common import Outcome, note, report
from tests.bench.data import BENCH_PASSWORD, BenchClinic

RATIO_BUDGET = 1.5
RSS_BUDGET_MB = 400.0
REPEAT = 5
WIDTH, HEIGHT = 6000, 4000
GALLERY_PHOTOS = 500
CLINICIAN = "benchclinician"

# Run in a fresh process: argv = data dir, username, data key hex, patient id, photo count.
MEMORY = """
import json, resource, sys, tempfile, time
from pathlib import Path
from PIL import Image
from PySide6.QtWidgets import QApplication
from clinicdesk.paths import resolve_paths
from clinicdesk.services.context import open_clinic
from clinicdesk.ui.shell.main_window import MainWindow

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

out = {}
paths = resolve_paths(sys.argv[1])
app = QApplication(sys.argv[:1])
services = open_clinic(paths, data_key=bytes.fromhex(sys.argv[3]))
user = services.clinic.user(sys.argv[2])
patient_id, count = sys.argv[4], int(sys.argv[5])
out["opened"] = rss_mb()
start = time.perf_counter()
with tempfile.TemporaryDirectory(prefix="clinicdesk-gallery-") as temp:
    files = []
    gradient = Image.linear_gradient("L").resize((800, 600))
    for i in range(count):
        noise = Image.effect_noise((800, 600), 48)  # new noise each time: no duplicates
        shade = Image.new("L", (800, 600), (i * 37) % 256)
        image = Image.merge("RGB", (noise, gradient, shade))
        path = Path(temp) / f"gallery-{i:04d}.jpg"
        image.save(path, quality=85)
        files.append(path)
    outcomes = services.photos.import_photos(user, patient_id, files)
out["imported"] = sum(o.status == "imported" for o in outcomes)
out["import_s"] = time.perf_counter() - start
out["after_import"] = rss_mb()
out["peak_after_import"] = peak_mb()
try:  # reset VmHWM (Linux) so the gallery's own peak can be read apart from the import's
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    gallery_peak = True
except OSError:
    gallery_peak = False
window = MainWindow(services, user)
window.resize(1200, 760)
window.show()
app.processEvents()
window.open_patient(patient_id)
window.tabs.setCurrentWidget(window.photos)
for _ in range(20):
    app.processEvents()
tab = window.photos
bar = tab.grid.verticalScrollBar()
start = time.perf_counter()
steps = 0
while True:
    app.processEvents()
    if bar.value() >= bar.maximum():
        app.processEvents()
        if bar.value() >= bar.maximum():
            break
    bar.setValue(bar.value() + max(1, bar.pageStep() // 2))
    tab.grid.viewport().repaint()
    steps += 1
for _ in range(10):
    app.processEvents()
out["scroll_s"] = time.perf_counter() - start
out["steps"] = steps
out["rows"] = tab.model.rowCount()
out["decoded"] = tab.model.decoded
out["cached"] = len(tab.model.cache)
out["end"] = rss_mb()
out["peak"] = peak_mb()
out["gallery_peak"] = None
if gallery_peak:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                out["gallery_peak"] = int(line.split()[1]) / 1024
window.close()
services.close()
print(json.dumps(out))
"""


def _synthetic_jpeg() -> bytes:
    from PIL import Image

    noise = Image.effect_noise((WIDTH, HEIGHT), 40)
    across = Image.linear_gradient("L").rotate(90).resize((WIDTH, HEIGHT))
    down = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    image = Image.merge("RGB", (noise, across, down))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _with_comment(jpeg: bytes, n: int) -> bytes:
    """The same image with a JPEG comment (COM) segment after SOI: other bytes, same picture."""
    payload = f"clinicdesk bench copy {n}".encode()
    segment = b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + segment + jpeg[2:]


def _baseline(path: Path) -> None:
    from PIL import Image

    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (256, 256))
        image.thumbnail((256, 256))


def _clinician(clinic: BenchClinic) -> CurrentUser:
    return clinic.services.clinic.add_user(
        clinic.user, CLINICIAN, "Dr Bench Clinician", Role.CLINICIAN, BENCH_PASSWORD, "GMC 7654321"
    )


def run(clinic: BenchClinic, results: list[Outcome], temp: Path) -> None:
    clinician = _clinician(clinic)
    rows = clinic.services.patients.list_page(clinic.user, None, 2)
    _run_import(clinic, clinician, rows[0].id, temp, results)
    _run_memory(clinic, clinician.username, rows[1].id, results)


def _run_import(
    clinic: BenchClinic, clinician: CurrentUser, patient_id: str, temp: Path, results: list[Outcome]
) -> None:
    print(f"\n== Photo import, one {WIDTH}x{HEIGHT} JPEG (median of {REPEAT}) ==")
    folder = temp / "photo-bench"
    folder.mkdir(exist_ok=True)
    jpeg = _synthetic_jpeg()
    note(f"synthetic JPEG: {WIDTH * HEIGHT / 1e6:.0f} megapixels, {len(jpeg) / 1e6:.1f} MB")
    copies: list[Path] = []
    for n in range(REPEAT + 1):  # one warm-up
        path = folder / f"photo-{n}.jpg"
        path.write_bytes(_with_comment(jpeg, n))
        copies.append(path)
    photos = clinic.services.photos
    imports: list[float] = []
    thumbs: list[float] = []
    for path in copies:
        start = time.perf_counter()
        outcomes = photos.import_photos(clinician, patient_id, [path])
        middle = time.perf_counter()
        outcome = outcomes[0]
        if outcome.status != "imported" or outcome.photo_id is None:
            note(f"import did not import the copy ({outcome.status}: {outcome.reason}); stopping")
            return
        photos.thumbnail(clinician, outcome.photo_id)
        end = time.perf_counter()
        imports.append((middle - start) * 1000)
        thumbs.append((end - middle) * 1000)
    imports, thumbs = imports[1:], thumbs[1:]
    totals = [a + b for a, b in zip(imports, thumbs, strict=True)]
    base_runs = []
    _baseline(copies[0])  # warm-up
    for path in copies[1:]:
        start = time.perf_counter()
        _baseline(path)
        base_runs.append((time.perf_counter() - start) * 1000)
    measured = statistics.median(totals)
    base = statistics.median(base_runs)
    ratio = measured / base
    report(
        Outcome(
            "photo import: 24 MP JPEG (hash, store, thumbnail)",
            f"<= {RATIO_BUDGET:g}x Pillow alone",
            f"{measured:.0f} ms",
            f"{base:.0f} ms",
            ratio,
            ratio <= RATIO_BUDGET,
        ),
        results,
    )
    note(
        f"import_photos {statistics.median(imports):.0f} ms + first thumbnail() "
        f"{statistics.median(thumbs):.0f} ms; baseline = read + sha256 + draft decode + thumbnail"
    )


def _run_memory(
    clinic: BenchClinic, username: str, patient_id: str, results: list[Outcome]
) -> None:
    print(f"\n== Memory: {clinic.patients:,} patients + a gallery of {GALLERY_PHOTOS} photos ==")
    assert clinic.services.data_key is not None
    command = [
        sys.executable,
        "-c",
        MEMORY,
        str(clinic.paths.data_dir),
        username,
        clinic.services.data_key.hex(),
        patient_id,
        str(GALLERY_PHOTOS),
    ]
    done = subprocess.run(
        command, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        note(f"the gallery process failed: {lines[-1] if lines else done.returncode}")
        return
    out = json.loads(done.stdout.strip().splitlines()[-1])
    peak = out["peak"]
    report(
        Outcome(
            f"memory: MainWindow + {out['rows']} photos scrolled (peak RSS)",
            f"< {RSS_BUDGET_MB:g} MB RSS",
            f"{peak:.0f} MB",
            "-",
            None,
            peak < RSS_BUDGET_MB,
        ),
        results,
    )
    note(
        f"{out['imported']} synthetic 800x600 JPEGs imported in the process in "
        f"{out['import_s']:.1f} s; RSS {out['opened']:.0f} MB after open_clinic, "
        f"{out['after_import']:.0f} MB after import (peak so far {out['peak_after_import']:.0f})"
    )
    note(
        f"scrolled to the end in {out['steps']} steps ({out['scroll_s']:.1f} s): "
        f"{out['decoded']} thumbnails decoded, {out['cached']} in the cache; "
        f"RSS at the end {out['end']:.0f} MB"
    )
    if out["gallery_peak"] is not None:
        note(f"peak RSS from MainWindow to the end of scrolling: {out['gallery_peak']:.0f} MB")
