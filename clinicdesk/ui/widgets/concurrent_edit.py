"""Shown when someone else saved a record after it was opened here: both versions side by side.

Nothing has been overwritten when this appears. The user either takes the saved version, or
keeps their own text on screen and saves again, knowingly replacing the other version.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

DIFFERENT = QBrush(QColor("#fff3cd"))


class ConcurrentEditDialog(QDialog):
    USE_SAVED = 1
    KEEP_MINE = 2

    def __init__(
        self,
        message: str,
        rows: list[tuple[str, str, str]],
        who: str,
        parent: QWidget | None = None,
    ) -> None:
        """``rows`` are (field label, your version, saved version)."""
        super().__init__(parent)
        self.setObjectName("concurrent_edit_dialog")
        self.setWindowTitle("Someone else saved this record")
        self.choice = 0
        layout = QVBoxLayout(self)
        self.message = QLabel(f"{message}\nThe saved version is by {who}.")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.table = QTableWidget(len(rows), 3)
        self.table.setObjectName("versions_table")
        self.table.setHorizontalHeaderLabels(["Field", "Your version", "Saved version"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for row, (label, mine, theirs) in enumerate(rows):
            for col, text in enumerate((label, mine, theirs)):
                item = QTableWidgetItem(text)
                if mine != theirs:
                    item.setBackground(DIFFERENT)
                self.table.setItem(row, col, item)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox()
        self.use_saved = QPushButton("Use the saved version")
        self.keep_mine = QPushButton("Keep my changes on screen")
        self.use_saved.clicked.connect(lambda: self._choose(self.USE_SAVED))
        self.keep_mine.clicked.connect(lambda: self._choose(self.KEEP_MINE))
        buttons.addButton(self.use_saved, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.keep_mine, QDialogButtonBox.ButtonRole.RejectRole)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def _choose(self, choice: int) -> None:
        self.choice = choice
        self.accept()


def compare_rows(
    labels: Mapping[str, str], mine: Mapping[str, str], theirs: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """Rows for the dialog, fields that differ first."""
    rows = [(labels.get(k, k), mine.get(k, ""), theirs.get(k, "")) for k in labels]
    return sorted(rows, key=lambda r: r[1] == r[2])
