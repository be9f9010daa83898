"""The clinical forms' pickers: a combo box of coded choices and a list of tick boxes."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QSizePolicy,
    QWidget,
)

# -- inputs ---------------------------------------------------------------------------------------


class CodeCombo(QComboBox):
    """A single coded choice: shows labels, holds codes. ``blank`` adds an empty first entry."""

    def __init__(
        self,
        choices: Sequence[tuple[str, str]],
        blank: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``choices`` are (code, label)."""
        super().__init__(parent)
        # Always as wide as the form allows: a style sheet (the red error border) would
        # otherwise change a combo's width between one save and the next.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.set_choices(choices, blank)

    def set_choices(self, choices: Sequence[tuple[str, str]], blank: str | None = None) -> None:
        self.clear()
        if blank is not None:
            self.addItem(blank, "")
        for code, label in choices:
            self.addItem(label, code)

    def code(self) -> str:
        return str(self.currentData() or "")

    def set_code(self, code: str, missing_label: str = "") -> None:
        """Select ``code``; a code not in the list (a disabled clinician on an old record) is
        added with ``missing_label`` so the record shows what it holds."""
        index = self.findData(code)
        if index < 0 and code:
            self.addItem(missing_label or code, code)
            index = self.count() - 1
        self.setCurrentIndex(max(index, 0))

    def label_of(self, code: str) -> str:
        index = self.findData(code)
        return self.itemText(index) if index >= 0 and code else ""


def enum_choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(member.value, str(getattr(member, "label"))) for member in enum]  # noqa: B009


class CheckList(QFrame):
    """A coded multiple choice as a grid of tick boxes; the value keeps the list's order."""

    changed = Signal()

    def __init__(
        self,
        name: str,
        choices: Sequence[tuple[str, str]],
        columns: int = 2,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setVerticalSpacing(2)
        self.boxes: dict[str, QCheckBox] = {}
        for position, (code, label) in enumerate(choices):
            box = QCheckBox(label)
            box.setObjectName(f"{name}_{code}")
            box.toggled.connect(self._toggled)
            grid.addWidget(box, position // columns, position % columns)
            self.boxes[code] = box

    def _toggled(self, _checked: bool) -> None:
        self.changed.emit()

    def codes(self) -> list[str]:
        return [code for code, box in self.boxes.items() if box.isChecked()]

    def set_codes(self, codes: Sequence[str]) -> None:
        for code, box in self.boxes.items():
            box.setChecked(code in codes)

    def labels(self, codes: Sequence[str]) -> str:
        return ", ".join(box.text() for code, box in self.boxes.items() if code in codes)

    def set_enabled_boxes(self, enabled: bool) -> None:
        for box in self.boxes.values():
            box.setEnabled(enabled)
