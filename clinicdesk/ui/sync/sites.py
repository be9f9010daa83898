"""Admin > Sites and sync: this installation's site, the hub's folder (choose it, or make this
installation the hub), when this installation last synced, the clinic's installations and when
each last synced (as the hub knew at this installation's last sync), and how often the window
syncs in the background. A new workstation or the satellite laptop joins a hub from the
first-run screen ("Join the clinic's hub", ``join.JoinHubDialog``) or with ``clinicdesk join``
(README, "Setting up the satellite laptop")."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.errors import UserError
from clinicdesk.services.sync_settings import MAX_EVERY_MINUTES
from clinicdesk.ui.widgets.errors import show_user_error

if TYPE_CHECKING:
    from collections.abc import Callable

    from clinicdesk.services.sync_settings import SyncSettings


class SyncControls(Protocol):
    """What this dialog needs of the window's sync control (``control.SyncControl``, which
    opens it: this module does not import it back)."""

    settings: SyncSettings

    @property
    def window(self) -> Any: ...

    def reload_hub(self) -> None: ...

    def show_state(self, text: str | None = None) -> None: ...

    def reschedule(self) -> None: ...

    def make_hub(self, folder: Path, done: Callable[[str], None]) -> None: ...


class SitesDialog(QDialog):
    def __init__(self, control: SyncControls, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sites_dialog")
        self.setWindowTitle("Sites and sync")
        self.control = control
        window = control.window
        self.user = window.user
        settings = control.settings
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("This installation's site", QLabel(window.services.clinic.this_site().name))
        hub = settings.hub_dir()
        self.hub_label = QLabel(str(hub) if hub else "none yet")
        self.hub_label.setObjectName("hub_folder")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose_hub)
        make = QPushButton("Make this installation the hub…")
        make.setObjectName("make_hub")
        make.clicked.connect(self.make_hub)
        row = QHBoxLayout()
        row.addWidget(self.hub_label, 1)
        row.addWidget(choose)
        row.addWidget(make)
        form.addRow("Hub folder", row)
        last = settings.last_sync_at()
        when = last.astimezone().strftime("%d/%m/%Y %H:%M") if last else "never"
        form.addRow("Last successful sync here", QLabel(when))
        self.installations = self._installations_table(settings)
        form.addRow("The clinic's installations", self.installations)
        form.setRowVisible(self.installations, self.installations.rowCount() > 0)
        self.every = QSpinBox()
        self.every.setObjectName("sync_every")
        self.every.setRange(0, MAX_EVERY_MINUTES)
        self.every.setSuffix(" minutes")
        self.every.setSpecialValueText("only when asked")
        self.every.setValue(settings.every_minutes())
        form.addRow("Sync in the background every", self.every)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _installations_table(self, settings: SyncSettings) -> QTableWidget:
        listed = settings.installations()
        table = QTableWidget(len(listed), 2)
        table.setObjectName("installations")
        table.setHorizontalHeaderLabels(["Installation", "Last successful sync"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, item in enumerate(listed):
            name = f"{item.name} (this computer)" if item.this_one else item.name
            when = (
                item.last_sync_at.astimezone().strftime("%d/%m/%Y %H:%M")
                if item.last_sync_at
                else "never"
            )
            table.setItem(row, 0, QTableWidgetItem(name))
            table.setItem(row, 1, QTableWidgetItem(when))
        table.resizeColumnsToContents()
        return table

    def choose_hub(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "The hub's folder")
        if folder:
            self.set_hub(Path(folder))

    def set_hub(self, folder: Path) -> None:
        try:
            self.control.settings.set_hub_dir(self.user, folder)
            self.control.reload_hub()
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.hub_label.setText(str(folder))
        self.control.show_state()

    def make_hub(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "An empty folder for the clinic's hub")
        if folder:
            self.message.setText("Making the hub…")

            def done(problem: str) -> None:
                self.message.setText(
                    problem or f"This installation's data is now the hub at {folder}."
                )
                if not problem:
                    self.hub_label.setText(folder)

            self.control.make_hub(Path(folder), done)

    def save(self) -> None:
        try:
            self.control.settings.set_every_minutes(self.user, self.every.value())
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.control.reschedule()
        self.accept()
