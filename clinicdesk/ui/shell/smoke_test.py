"""``clinicdesk --smoke-test``: does this installation work? (Also run in the frozen build.)

In a temporary data folder, step by step: create an encrypted clinic (SQLCipher, argon2,
cryptography), sign in, register a patient, import a generated photo as JPEG and as HEIC
(Pillow, pillow-heif), render a consent form and a progress report (reportlab, the bundled
fonts and templates), verify the data and the audit trail, then show the main window offscreen,
open every record tab (QtCharts, QtPdf, print support, image formats) and quit. Each step prints
one line; the first failure ends the run with exit code 1 and its reason on one line of stderr,
naming what failed (a missing library names the library).

Every native library the program loads at run time is touched here, so a frozen build that
lacks one fails this test instead of failing a user.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from clinicdesk import APP_NAME, __version__

if TYPE_CHECKING:
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser

PASSWORD = "smoke-test-Passw0rd!"

# The modules whose native code the program loads, by what a person would call them.
NATIVE_MODULES = (
    ("SQLCipher (sqlcipher3)", "sqlcipher3"),
    ("cryptography", "cryptography.hazmat.bindings._rust"),
    ("argon2-cffi", "_argon2_cffi_bindings._ffi"),
    ("cffi", "_cffi_backend"),
    ("Pillow", "PIL._imaging"),
    ("pillow-heif", "pillow_heif"),
    ("Qt widgets (PySide6)", "PySide6.QtWidgets"),
    ("Qt PDF (PySide6.QtPdf)", "PySide6.QtPdf"),
    ("Qt print support (PySide6.QtPrintSupport)", "PySide6.QtPrintSupport"),
    ("Qt Charts (PySide6.QtCharts)", "PySide6.QtCharts"),
)

# The Qt platform plugin each system's windows need (checked present, not started: a
# machine without a screen can still run the test; the test itself uses "offscreen").
PLATFORM_PLUGINS = {"linux": "xcb", "win32": "windows", "darwin": "cocoa"}


class SmokeFailure(Exception):
    """A step failed; the message is the one line printed."""


def _print(line: str) -> None:
    # A windowed frozen build on Windows has no stdout: say nothing rather than fail.
    if sys.stdout is not None:
        print(line, flush=True)


def run_smoke_test() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _print(f"{APP_NAME} {__version__} smoke test ({'frozen' if _frozen() else 'checkout'})")
    with tempfile.TemporaryDirectory(prefix="clinicdesk-smoke-") as folder:
        try:
            _run(Path(folder))
        except SmokeFailure as failure:
            _fail(str(failure))
            return 1
        except Exception as exc:  # a bug or a broken build: name it in one line
            _fail(f"unexpected {type(exc).__name__}: {_one_line(str(exc))}")
            if os.environ.get("CLINICDESK_SMOKE_TRACEBACK"):
                traceback.print_exc()
            return 1
    _print("smoke test passed")
    return 0


def _fail(reason: str) -> None:
    if sys.stderr is not None:
        print(f"clinicdesk: smoke test failed: {reason}", file=sys.stderr, flush=True)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def _step(name: str, action: Callable[[], str | None]) -> None:
    try:
        detail = action()
    except SmokeFailure:
        raise
    except ImportError as exc:
        raise SmokeFailure(f"{name}: a library is missing: {_one_line(str(exc))}") from exc
    except Exception as exc:
        raise SmokeFailure(f"{name}: {type(exc).__name__}: {_one_line(str(exc))}") from exc
    _print(f"ok  {name}{f' ({detail})' if detail else ''}")


def _run(folder: Path) -> None:
    _step("native libraries", _native_libraries)
    _step("resources", _resources)
    from clinicdesk.paths import Paths

    paths = Paths(folder / "clinic")
    paths.ensure()
    state: dict[str, object] = {}
    _step("create an encrypted clinic", lambda: _create(paths))
    _step("sign in", lambda: _sign_in(paths, state))
    services: ClinicServices = state["services"]  # type: ignore[assignment]
    user: CurrentUser = state["user"]  # type: ignore[assignment]
    try:
        _step("register a patient", lambda: _register(services, user, state))
        patient_id = str(state["patient"])
        _step("import a JPEG and a HEIC photo", lambda: _photos(services, user, patient_id, folder))
        _step("render a consent form", lambda: _consent_form(services, user, patient_id))
        _step("render a progress report", lambda: _report(services, user, patient_id))
        _step("verify", lambda: _verify(services, state))
        _step("audit verify", lambda: _audit_verify(services, state))
        _step("main window and every record tab", lambda: _window(services, user, patient_id))
    finally:
        services.close()


def _native_libraries() -> str:
    missing = []
    for label, module in NATIVE_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            missing.append(f"{label} ({module}: {_one_line(str(exc))})")
    if missing:
        raise SmokeFailure("missing native libraries: " + "; ".join(missing))
    from PySide6.QtCore import QLibraryInfo

    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    needed = PLATFORM_PLUGINS.get(sys.platform)
    found = [p.name for p in (plugins / "platforms").glob("*")] if plugins.is_dir() else []
    for plugin in filter(None, (needed, "offscreen")):
        if not any(plugin in name for name in found):
            raise SmokeFailure(
                f"native libraries: the Qt platform plugin {plugin!r} is missing from "
                f"{plugins / 'platforms'}"
            )
    return f"{len(NATIVE_MODULES)} modules, Qt platform plugins {needed} and offscreen"


def _resources() -> str:
    from clinicdesk.paths import resources_dir

    root = resources_dir()
    needed = [root / "templates", root / "fonts"]
    absent = [str(p) for p in needed if not p.is_dir() or not any(p.iterdir())]
    if absent:
        raise SmokeFailure(f"resources: missing {', '.join(absent)}")
    return str(root)


def _create(paths: Paths) -> str:
    from clinicdesk.services.clinic import NewClinic
    from clinicdesk.services.context import create_clinic_storage

    created = create_clinic_storage(
        paths,
        NewClinic("Smoke Test Clinic", "Main clinic", [], "admin", "Smoke Admin", PASSWORD),
    )
    try:
        created.services.clinic.add_user(
            created.user, "clinician", "Dr Smoke", _clinician_role(), PASSWORD, "GMC 7654321"
        )
    finally:
        created.services.close()
    header = paths.database.read_bytes()[:16]
    if header.startswith(b"SQLite format 3"):
        raise SmokeFailure("create an encrypted clinic: the database file is not encrypted")
    return "database encrypted"


def _clinician_role() -> Role:
    from clinicdesk.domain.roles import Role

    return Role.CLINICIAN


def _sign_in(paths: Paths, state: dict[str, object]) -> str:
    from clinicdesk.services.context import unlock_clinic

    signed = unlock_clinic(paths, "clinician", PASSWORD)
    state["services"], state["user"] = signed.services, signed.user
    admin = unlock_clinic(paths, "admin", PASSWORD)
    state["admin"] = admin.user
    admin.services.close()
    return "as a clinician"


def _register(services: ClinicServices, user: CurrentUser, state: dict[str, object]) -> None:
    patient = services.patients.register(
        user,
        {
            "title": "Ms",
            "first_name": "Sample",
            "last_name": "Smoke-Test",
            "date_of_birth": "03/07/1985",
            "sex": "F",
            "phone": "07700 900123",
            "email": "sample@example.com",
            "postcode": "SW1A 1AA",
            "nhs_number": "943 476 5919",
        },
    )
    state["patient"] = patient.id
    if [p.id for p in services.patients.search(user, "smoke-test")] != [patient.id]:
        raise SmokeFailure("register a patient: the new patient is not found by name")


def _photos(services: ClinicServices, user: CurrentUser, patient_id: str, folder: Path) -> str:
    import io

    import pillow_heif
    from PIL import Image

    from clinicdesk.domain.photos import View
    from clinicdesk.media.synthetic import scalp_photo

    jpeg = folder / "frontal.jpg"
    jpeg.write_bytes(scalp_photo(View.FRONTAL.value, density=120.0, seed=1, size=(320, 240)))
    heic = folder / "vertex.heic"
    image = Image.open(io.BytesIO(scalp_photo(View.VERTEX.value, density=110.0, seed=2)))
    pillow_heif.from_pillow(image.convert("RGB")).save(str(heic), quality=60)
    outcomes = services.photos.import_photos(
        user, patient_id, [jpeg, heic], visit_date=date.today()
    )
    failed = [f"{o.file.name}: {o.reason or o.status}" for o in outcomes if o.photo_id is None]
    if failed or len(outcomes) != 2:
        raise SmokeFailure(f"import photos: {'; '.join(failed) or 'not every file was taken'}")
    for photo in services.photos.list_photos(user, patient_id):
        services.photos.thumbnail(user, photo.id)
        services.photos.display(user, photo.id)
    return "2 imported, thumbnails made"


def _pdf_pages(pdf: bytes, what: str) -> int:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtPdf import QPdfDocument

    if not pdf.startswith(b"%PDF"):
        raise SmokeFailure(f"{what}: not a PDF")
    data = QByteArray(pdf)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    pages = document.pageCount()
    if pages < 1:
        raise SmokeFailure(f"{what}: Qt PDF could not read it ({document.error()})")
    image = document.render(0, document.pagePointSize(0).toSize())
    if image.isNull():
        raise SmokeFailure(f"{what}: Qt PDF could not draw its first page")
    document.close()
    return pages


def _consent_form(services: ClinicServices, user: CurrentUser, patient_id: str) -> str:
    _application()
    template = services.documents.templates()[0]
    document = services.documents.form(user, patient_id, template.id)
    return f"{template.title}, {_pdf_pages(document.pdf, 'consent form')} page(s)"


def _report(services: ClinicServices, user: CurrentUser, patient_id: str) -> str:
    _application()
    document = services.documents.progress_report(user, patient_id, flavour="clinical")
    return f"{_pdf_pages(document.pdf, 'progress report')} page(s)"


def _verify(services: ClinicServices, state: dict[str, object]) -> str:
    from clinicdesk.services.verify import VerifyService

    admin: CurrentUser = state["admin"]  # type: ignore[assignment]
    report = VerifyService(services.db, services.paths, services.data_key).verify(admin)
    if not report.all_well:
        raise SmokeFailure(f"verify: {_one_line(report.summary())}")
    return f"{report.patients} patient(s), {report.photos} photo file(s)"


def _audit_verify(services: ClinicServices, state: dict[str, object]) -> str:
    from clinicdesk.services.audit import AuditService

    admin: CurrentUser = state["admin"]  # type: ignore[assignment]
    check = AuditService(services.db).verify(admin)
    if not check.intact:
        raise SmokeFailure(f"audit verify: {_one_line(check.summary())}")
    return f"{check.entries} entries"


def _application() -> object:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([APP_NAME, "-platform", "offscreen"])
    return app


def _window(services: ClinicServices, user: CurrentUser, patient_id: str) -> str:
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QApplication

    from clinicdesk.ui.shell.main_window import MainWindow

    _application()
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    window = MainWindow(services, user, idle_timeout_ms=3_600_000)
    try:
        window.resize(1366, 768)
        window.show()
        window.open_patient(patient_id)
        QApplication.processEvents()
        tabs = window.tabs
        names = []
        for index in range(tabs.count()):
            tabs.setCurrentIndex(index)
            for _ in range(5):
                QApplication.processEvents()
            if tabs.currentIndex() != index:
                raise SmokeFailure(f"record tab {tabs.tabText(index)!r} did not open")
            if tabs.currentWidget().grab().isNull():
                raise SmokeFailure(f"record tab {tabs.tabText(index)!r} could not be drawn")
            names.append(tabs.tabText(index).replace("&", ""))
    finally:
        window._demographics_dirty = False
        window._medical_dirty = False
        window.close()
        window.deleteLater()
        QApplication.processEvents()
    return ", ".join(names)


if TYPE_CHECKING:
    from clinicdesk.domain.roles import Role
    from clinicdesk.paths import Paths
