"""Clinic > Conflicts: the changes sync parked instead of overwriting anything.

The list shows each one (patient, record, fields, both values, who and when on each side),
the values as the record's own tab shows them (dates the UK way, coded values by their labels,
clinicians and sites by name). For a patient's details, a consultation, a treatment, an
adverse event or an assessment, each field has both values to pick from (and, for a list, the
list's other choices), and can be typed over with a merged value; Save saves it as a normal,
audited edit and the conflict leaves the list. A value the record refuses is named under the
fields and the conflict stays. A delete (archive) that met an edit elsewhere kept the edit:
Keep the record, or Archive it. Any other record is changed in the tab the screen names, then
Mark resolved.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.errors import UserError, ValidationError
from clinicdesk.services.conflict_resolution import ConflictResolution, ConflictView
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.styles import ERROR_STYLE, INVALID_STYLE

HEADERS = ("Patient", "Record", "Field", "At the hub", "From the other site")


def _side(text: str, by: str, at: str) -> str:
    if not (by or at):
        return text
    when = f"{at[8:10]}/{at[5:7]}/{at[:4]} {at[11:16]}" if len(at) >= 16 else at
    return f"{text}   ({by}, {when})"


class ConflictsDialog(QDialog):
    def __init__(
        self, services: ClinicServices, user: CurrentUser, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conflicts_dialog")
        self.setWindowTitle("Sync conflicts")
        self.resolution = ConflictResolution(services)
        self.user = user
        self.views: list[ConflictView] = []
        self.choices: dict[str, QComboBox] = {}
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setObjectName("conflicts_summary")
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("conflicts_table")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)
        self.detail = QWidget()
        self.form = QFormLayout(self.detail)
        layout.addWidget(self.detail)
        self.error = QLabel()
        self.error.setObjectName("conflict_error")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("&Save the chosen values")
        self.save_button.setObjectName("save_resolution")
        self.save_button.clicked.connect(self.save)
        self.keep_button = QPushButton("&Keep the record")
        self.keep_button.setObjectName("keep_record")
        self.keep_button.clicked.connect(lambda: self.settle_delete(archive=False))
        self.archive_button = QPushButton("&Archive it")
        self.archive_button.setObjectName("archive_record")
        self.archive_button.clicked.connect(lambda: self.settle_delete(archive=True))
        self.resolved_button = QPushButton("&Mark resolved")
        self.resolved_button.setObjectName("mark_resolved")
        self.resolved_button.clicked.connect(self.mark_resolved)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        for button in (self.save_button, self.keep_button, self.archive_button):
            buttons.addWidget(button)
        buttons.addWidget(self.resolved_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.resize(900, 480)
        self.reload()

    # -- the list -------------------------------------------------------------------------

    def reload(self) -> None:
        self.views = self.resolution.open_conflicts(self.user)
        rows: list[tuple[int, int]] = []
        for index, view in enumerate(self.views):
            rows += [(index, field) for field in range(len(view.fields))]
        self.rows = rows
        self.table.setRowCount(len(rows))
        for row, (index, field) in enumerate(rows):
            view = self.views[index]
            c, choice = view.conflict, view.fields[field]
            record = view.record if c.kind == "edit" else f"{view.record} ({c.kind})"
            texts = (
                view.patient_name,
                record,
                choice.label,
                _side(choice.hub, view.hub_by, c.hub_updated_at),
                _side(choice.incoming, view.incoming_by, c.incoming_updated_at),
            )
            for col, text in enumerate(texts):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeRowsToContents()  # a value and who and when, wrapped
        count = len(self.views)
        self.summary.setText(
            "No conflicts: every change from every site was applied."
            if count == 0
            else f"{count} change{'s' if count != 1 else ''} could not be applied without "
            "overwriting another: choose what the record should say."
        )
        if rows:
            self.table.selectRow(0)
        self._selected()

    def current(self) -> ConflictView | None:
        row = self.table.currentRow()
        if row < 0 or row >= len(self.rows) or not self.table.selectedItems():
            return None
        return self.views[self.rows[row][0]]

    def _selected(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.choices = {}
        self.show_error("")
        view = self.current()
        is_delete = view is not None and view.conflict.kind == "delete"
        self.save_button.setVisible(view is not None and view.editable)
        self.keep_button.setVisible(is_delete)
        self.archive_button.setVisible(is_delete)
        self.resolved_button.setVisible(view is not None and not view.editable and not is_delete)
        if view is None:
            return
        if is_delete:
            self.form.addRow(
                QLabel(
                    "This record was archived at one site and changed at another. The change "
                    "was kept. Keep the record, or archive it now?"
                )
            )
            return
        if not view.editable:
            hint = QLabel(view.hint)
            hint.setObjectName("conflict_hint")
            hint.setWordWrap(True)
            self.form.addRow(hint)
            return
        for choice in view.fields:
            box = QComboBox()
            box.setObjectName(f"choice_{choice.column}")
            box.setEditable(True)  # pick one value, or type a merged one
            values = [choice.hub, choice.incoming, *choice.options]
            box.addItems(list(dict.fromkeys(values)))
            box.setCurrentIndex(0)
            self.choices[choice.column] = box
            self.form.addRow(choice.label, box)

    def show_error(self, message: str, fields: frozenset[str] = frozenset()) -> None:
        """``message`` under the fields (none: hidden), and a red border on ``fields``."""
        self.error.setText(message)
        self.error.setVisible(bool(message))
        for column, box in self.choices.items():
            box.setStyleSheet(INVALID_STYLE if column in fields else "")

    # -- resolving ------------------------------------------------------------------------

    def _act(self, work: object, view: ConflictView | None = None) -> None:
        """Run ``work``; on success list what is left, otherwise say why here and keep what
        was chosen or typed."""
        assert callable(work)
        try:
            work()
        except ValidationError as exc:
            labels = {c.label: c.column for c in view.fields} if view is not None else {}
            self.show_error(exc.message, frozenset(labels.get(k, "") for k in exc.errors))
            return
        except UserError as exc:
            self.show_error(exc.message)
            return
        self.reload()

    def save(self) -> None:
        view = self.current()
        if view is None:
            return
        values = {column: box.currentText() for column, box in self.choices.items()}
        self._act(lambda: self.resolution.save_values(self.user, view.conflict.id, values), view)

    def settle_delete(self, *, archive: bool) -> None:
        view = self.current()
        if view is not None:
            self._act(
                lambda: self.resolution.settle_delete(self.user, view.conflict.id, archive=archive)
            )

    def mark_resolved(self) -> None:
        view = self.current()
        if view is not None:
            self._act(lambda: self.resolution.mark_resolved(self.user, view.conflict.id))
