"""Join the clinic's hub from the first-run screen: a new workstation or the satellite laptop
becomes an installation of the clinic (``clinicdesk join DIR --site NAME``, run as a child
process: the window never loads the sync engine). An administrator of the clinic gives the
hub's folder, this computer's site and their password; the password goes to the child on its
stdin (``--password-from-stdin``), never on a command line, and is not kept. Joining a site
that already has an installation makes a further workstation ("Main clinic (workstation 2)")
whose records are the site's and whose audit entries form a chain of their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.paths import Paths
from clinicdesk.ui.sync.runner import SyncRunner
from clinicdesk.ui.widgets.fields import FieldWithError


class JoinHubDialog(QDialog):
    """``joined`` holds the child's result (``site``, ``workstation``...) once it joined."""

    def __init__(self, paths: Paths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.joined: dict[str, Any] | None = None
        self.setObjectName("join_hub_dialog")
        self.setWindowTitle("Join the clinic's hub")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Make this computer one of the clinic's installations: it takes a copy of the "
            "clinic's records and files from the hub's folder, and syncs with it from then on. "
            "An administrator of the clinic joins, with their password. A second computer at a "
            "site joins with that site's name."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.fields: dict[str, FieldWithError] = {}
        self.edits: dict[str, QLineEdit] = {}
        for key, label, placeholder in (
            ("hub", "The hub's folder", r"e.g. \\server\clinic-hub"),
            ("site", "This computer's site", "e.g. Main clinic"),
            ("username", "Administrator user name", ""),
            ("password", "Password", ""),
        ):
            edit = QLineEdit()
            edit.setObjectName(f"join_{key}")
            edit.setPlaceholderText(placeholder)
            if key == "password":
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            field = FieldWithError(edit)
            self.fields[key] = field
            self.edits[key] = edit
            if key == "hub":
                row = QHBoxLayout()
                row.addWidget(field, 1)
                choose = QPushButton("Choose…")
                choose.clicked.connect(self.choose_hub)
                row.addWidget(choose)
                form.addRow(label, row)
            else:
                form.addRow(label, field)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setObjectName("join_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.join_button = self.buttons.addButton("Join", QDialogButtonBox.ButtonRole.AcceptRole)
        self.join_button.setObjectName("join")
        self.join_button.setDefault(True)
        self.buttons.accepted.connect(self.join)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.runner = SyncRunner(self)
        self.runner.succeeded.connect(self._joined)
        self.runner.failed.connect(self._failed)
        self.setMinimumWidth(520)

    def choose_hub(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "The hub's folder")
        if folder:
            self.edits["hub"].setText(folder)

    def join(self) -> None:
        if self.runner.running:
            return
        values = {key: edit.text().strip() for key, edit in self.edits.items()}
        values["password"] = self.edits["password"].text()
        missing = False
        for key, field in self.fields.items():
            field.set_error("required" if not values[key] else None)
            missing = missing or not values[key]
        if missing:
            return
        hub = Path(values["hub"])
        if not (hub / "hub.db").is_file():
            self.fields["hub"].set_error(
                "no hub here (it has no hub.db): check the folder and that the network share "
                "is connected"
            )
            return
        self._busy(True)
        self.message.setText("Joining: copying the clinic's records and files from the hub…")
        self.runner.run(
            self.paths.data_dir,
            values["username"],
            ["join", str(hub), "--site", values["site"], "--json", "--password-from-stdin"],
            values["password"],
        )
        self.edits["password"].clear()

    def _busy(self, busy: bool) -> None:
        self.join_button.setEnabled(not busy)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setEnabled(not busy)
        for edit in self.edits.values():
            edit.setEnabled(not busy)

    def _joined(self, result: dict[str, Any]) -> None:
        self.joined = result
        self.accept()

    def _failed(self, message: str) -> None:
        self._busy(False)
        self.message.setText(message)

    def reject(self) -> None:
        if self.runner.running:
            return  # a join half done is not stopped: it finishes in a moment
        super().reject()

    @property
    def joined_as(self) -> str:
        """The site (and workstation) joined, as the sign-in screen names it."""
        if self.joined is None:
            return ""
        workstation = str(self.joined.get("workstation") or "")
        site = str(self.joined.get("site", ""))
        return f"{site} ({workstation})" if workstation else site
