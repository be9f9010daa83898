"""First start on an empty data folder: create the clinic, join the clinic's hub (a second
workstation or the satellite laptop: ``ui.sync.join.JoinHubDialog``), restore it from a backup
(a new PC: ``restore_backup.RestoreBackupDialog``), or open the demo clinic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk import APP_NAME
from clinicdesk.errors import UserError, ValidationError
from clinicdesk.paths import Paths
from clinicdesk.services.clinic import MIN_PASSWORD_LENGTH, NewClinic
from clinicdesk.services.context import SignedIn, create_clinic_storage
from clinicdesk.services.demo import DEMO_PASSWORD, DEMO_PATIENTS, create_demo_clinic
from clinicdesk.ui.shell.recovery_key import RecoveryKeyDialog
from clinicdesk.ui.shell.restore_backup import RestoreBackupDialog
from clinicdesk.ui.sync.join import JoinHubDialog
from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress
from clinicdesk.ui.widgets.errors import show_failure, show_user_error
from clinicdesk.ui.widgets.fields import FieldWithError

CREATE_FIELDS = (
    ("clinic_name", "Clinic name", "e.g. Harley Hair Clinic"),
    ("main_site", "Main site", "e.g. London"),
    ("satellite_site", "Satellite site", "optional, e.g. Guildford"),
    ("admin_username", "Administrator user name", "e.g. pmanager"),
    ("admin_display_name", "Administrator full name", ""),
    ("admin_password", "Password", f"at least {MIN_PASSWORD_LENGTH} characters"),
    ("confirm_password", "Password again", ""),
)


class FirstRunDialog(QDialog):
    """``signed`` is set when a clinic was created (its admin is signed in, and the recovery
    key has been shown) or restored from a backup (``restored``; ``signed`` is None if the
    administrator did not finish choosing a new password); after the demo clinic is made,
    ``demo_created`` is True; after joining the clinic's hub, ``joined_as`` names the site
    joined. With no ``signed`` the caller asks for a sign-in."""

    def __init__(
        self,
        paths: Paths,
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self.today = today
        self.signed: SignedIn | None = None
        self.demo_created = False
        self.restored = False
        self.joined_as = ""
        self.restore_dialog: RestoreBackupDialog | None = None
        self.join_dialog: JoinHubDialog | None = None
        self.setObjectName("first_run_dialog")
        self.setWindowTitle(f"Welcome to {APP_NAME}")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"<h2>Welcome to {APP_NAME}</h2>"
            "<p>This computer holds no clinic yet. Create your clinic, join your clinic's hub "
            "(another computer of the clinic), restore it from a backup, or open a demo clinic "
            "with made-up patients to try things out.</p>"
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        create_box = QGroupBox("Create a new clinic")
        form = QFormLayout(create_box)
        self.fields: dict[str, FieldWithError] = {}
        for key, label, placeholder in CREATE_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(key)
            edit.setPlaceholderText(placeholder)
            edit.setMaxLength(80)
            if "password" in key:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            field = FieldWithError(edit)
            self.fields[key] = field
            form.addRow(label, field)
        self.create_button = QPushButton("Create clinic")
        self.create_button.setObjectName("create_clinic")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.create_clinic)
        form.addRow(self.create_button)
        layout.addWidget(create_box)

        join_box = QGroupBox("Or join the clinic's hub")
        join_layout = QHBoxLayout(join_box)
        join_text = QLabel(
            "A second computer at the main clinic, or the satellite's laptop: copy the clinic "
            "from its hub's folder and sync with it (an administrator of the clinic)."
        )
        join_text.setWordWrap(True)
        self.join_button = QPushButton("Join the clinic's hub…")
        self.join_button.setObjectName("join_hub")
        self.join_button.clicked.connect(self.open_join)
        join_layout.addWidget(join_text, 1)
        join_layout.addWidget(self.join_button)
        layout.addWidget(join_box)

        restore_box = QGroupBox("Or restore your clinic from a backup")
        restore_layout = QHBoxLayout(restore_box)
        restore_text = QLabel(
            "On a new computer, or after a disk failed: restore the clinic from its backup file "
            "with an administrator's password or the recovery key."
        )
        restore_text.setWordWrap(True)
        self.restore_button = QPushButton("Restore from a backup…")
        self.restore_button.setObjectName("restore_backup")
        self.restore_button.clicked.connect(self.open_restore)
        restore_layout.addWidget(restore_text, 1)
        restore_layout.addWidget(self.restore_button)
        layout.addWidget(restore_box)

        demo_box = QGroupBox("Or try it out")
        demo_layout = QHBoxLayout(demo_box)
        self.demo_text = demo_text = QLabel(
            f"A demo clinic with {DEMO_PATIENTS} synthetic patients. Sign in as admin, "
            f"clinician or reception; the password is {DEMO_PASSWORD!r}."
        )
        demo_text.setTextFormat(Qt.TextFormat.PlainText)
        demo_text.setWordWrap(True)
        self.demo_button = QPushButton("Open demo clinic")
        self.demo_button.setObjectName("open_demo")
        self.demo_button.clicked.connect(self.open_demo)
        demo_layout.addWidget(demo_text, 1)
        demo_layout.addWidget(self.demo_button)
        layout.addWidget(demo_box)
        self.setMinimumWidth(560)

    def create_clinic(self) -> None:
        for field in self.fields.values():
            field.set_error(None)
        if self.fields["admin_password"].text() != self.fields["confirm_password"].text():
            self.fields["confirm_password"].set_error("does not match the password")
            return
        satellite = self.fields["satellite_site"].text()
        clinic = NewClinic(
            self.fields["clinic_name"].text(),
            self.fields["main_site"].text(),
            [satellite] if satellite.strip() else [],
            self.fields["admin_username"].text(),
            self.fields["admin_display_name"].text(),
            self.fields["admin_password"].text(),
        )
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.signed = create_clinic_storage(self.paths, clinic, self.today)
        except ValidationError as exc:
            for key, message in exc.errors.items():
                target = "satellite_site" if key.startswith("satellite_sites") else key
                if target in self.fields:
                    self.fields[target].set_error(message)
            return
        except UserError as exc:
            show_user_error(self, exc)
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        assert self.signed.recovery_key is not None
        RecoveryKeyDialog(
            self.signed.recovery_key,
            self.signed.services.clinic.clinic_name(),
            self.today(),
            self,
        ).exec()
        self.accept()

    def open_restore(self) -> None:
        """The restore dialog (modal); once a backup is restored the app opens on it."""
        self.restore_dialog = dialog = RestoreBackupDialog(self.paths, self.today, self)
        try:
            dialog.exec()
            if not dialog.restored:
                return
            self.restored = True
            self.signed = dialog.signed
            self.accept()
        finally:
            self.restore_dialog = None
            dialog.deleteLater()

    def open_join(self) -> None:
        """The join dialog (modal); once joined, the caller asks for a sign-in."""
        self.join_dialog = dialog = JoinHubDialog(self.paths, self)
        try:
            dialog.exec()
            if dialog.joined is None:
                return
            self.joined_as = dialog.joined_as
            self.accept()
        finally:
            self.join_dialog = None
            dialog.deleteLater()

    def open_demo(self) -> None:
        """Make the demo clinic in the background (about a second), with progress if slow."""
        self.demo_button.setEnabled(False)
        self.create_button.setEnabled(False)
        self.restore_button.setEnabled(False)
        self.join_button.setEnabled(False)
        paths, today = self.paths, self.today

        def work(progress: Progress, cancelled: Cancelled) -> int:
            return create_demo_clinic(
                paths,
                patients=DEMO_PATIENTS,
                seed=1,
                progress=progress,
                cancelled=cancelled,
                today=today,
            )

        self.task = BackgroundTask(
            self, "Making the demo clinic…", work, self._demo_made, self._demo_failed
        )
        self.task.start()

    def _demo_made(self, _count: object) -> None:
        self.demo_created = True
        self.accept()

    def _demo_failed(self, exc: BaseException) -> None:
        self.demo_button.setEnabled(True)
        self.create_button.setEnabled(True)
        self.restore_button.setEnabled(True)
        self.join_button.setEnabled(True)
        show_failure(self, exc)
