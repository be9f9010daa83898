"""Clinic > Grade photos (blinded): a clinician grades before/after pairs one at a time.

The two photos of a pair are shown side by side as "Left" and "Right", nothing more: no name,
no date, no visit label, no file name (the display copies carry no EXIF). The question is how
the right-hand photo compares with the left on the assessments' 7-point scale; the grader picks
a grade (keys 1-7, or the arrow keys; or a click) and submits it with Enter. Only then is the
pair unblinded: which side was before and after, their dates, the patient, the grade as after
against before and what it did to the end-point assessment's blinded photo score. Enter again
moves to the next pair. "Pair 3 of 12" says how far the session is; the agreement between
graders (weighted kappa) is shown underneath and refreshed after each grade.

Every widget but the dialog itself is kept out of keyboard focus, so the keys always grade.
"""

from __future__ import annotations

import random
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.grading import (
    HIGHEST,
    LOWEST,
    SCALE,
    BlindPair,
    Side,
    format_kappa,
    score_label,
)
from clinicdesk.domain.words import plural
from clinicdesk.errors import UserError
from clinicdesk.services.photo_grading import PhotoGradingService, Unblinded
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.photos.compare import PhotoViewer
from clinicdesk.ui.widgets.errors import show_user_error

TITLE = "Grade photos (blinded)"
QUESTION = "How does the RIGHT photo compare with the LEFT one?"
KEYS_HINT = "Keys 1-7 or the arrow keys choose a grade; Enter submits it."
CHECKED_STYLE = "QPushButton:checked { background: #1a5fb4; color: white; font-weight: bold }"
# Keys 1 to 7 pick -3 to +3 (the order the scale is shown in, left to right).
SCORE_KEYS = {int(Qt.Key.Key_1) + n: score for n, score in enumerate(range(LOWEST, HIGHEST + 1))}


W = TypeVar("W", bound=QWidget)


def _named(widget: W, name: str) -> W:
    widget.setObjectName(name)
    return widget


def session_notice(already: int, skipped: int, skipped_patients: int) -> str:
    parts = []
    if skipped:
        parts.append(
            f"{plural(skipped, 'pair')} of {plural(skipped_patients, 'patient')} you treated "
            "are left out: another clinician grades them."
        )
    if already:
        parts.append(f"You graded {plural(already, 'pair')} before.")
    return " ".join(parts)


class GradingDialog(QDialog):
    def __init__(
        self,
        service: PhotoGradingService,
        user: CurrentUser,
        parent: QWidget | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.user = user
        session = service.session(user, rng)  # raises for anyone who may not grade
        self.skipped_own = session.skipped_own
        self.pairs = list(session.pairs)
        self.position = 0
        self.unblinded: Unblinded | None = None
        self.setWindowTitle(TITLE)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.progress = _named(QLabel(), "progress")
        self.progress.setStyleSheet("font-weight: bold; font-size: 14pt")
        self.notice = _named(
            QLabel(
                session_notice(
                    session.already_graded, session.skipped_own, session.skipped_own_patients
                )
            ),
            "notice",
        )
        self.notice.setWordWrap(True)
        self.question = _named(QLabel(), "question")
        self.sides: dict[Side, tuple[QLabel, PhotoViewer]] = {}
        # The photos and the scale, hidden once there is no pair to show.
        self.grading_area = _named(QWidget(), "grading_area")
        area = QVBoxLayout(self.grading_area)
        area.setContentsMargins(0, 0, 0, 0)
        images = QHBoxLayout()
        for side in Side:
            caption = _named(QLabel(side.label), f"{side.value}_caption")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setStyleSheet("font-size: 13pt")
            viewer = PhotoViewer(self)
            viewer.setObjectName(f"{side.value}_photo")
            viewer.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            column = QVBoxLayout()
            column.addWidget(caption)
            column.addWidget(viewer, 1)
            images.addLayout(column, 1)
            self.sides[side] = (caption, viewer)

        self.scale = QButtonGroup(self)
        self.scale.setExclusive(True)
        scale_row = QHBoxLayout()
        for key, score in enumerate(range(LOWEST, HIGHEST + 1), start=1):
            button = QPushButton(
                f"{key}\n{score:+d}\n{SCALE[score]}" if score else f"{key}\n0\n{SCALE[0]}"
            )
            button.setObjectName(f"grade_{score}")
            button.setCheckable(True)
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setMinimumHeight(64)
            button.setStyleSheet(CHECKED_STYLE)
            # Button ids are places on the scale, 0 to 6: QButtonGroup takes an id of -1 to
            # mean "choose one for me", so a score cannot be an id.
            self.scale.addButton(button, score - LOWEST)
            scale_row.addWidget(button)
        self.scale.idToggled.connect(lambda _score, _on: self._update_buttons())

        self.reveal = _named(QLabel(), "unblinded")
        self.reveal.setWordWrap(True)
        self.reveal.setTextFormat(Qt.TextFormat.PlainText)
        self.reveal.setStyleSheet("background: #fff8e1; padding: 6px")
        self.agreement = _named(QLabel(), "agreement")
        self.agreement.setWordWrap(True)

        self.submit = _named(QPushButton("&Submit grade (Enter)"), "submit")
        self.next_button = _named(QPushButton("&Next pair (Enter)"), "next")
        close = _named(QPushButton("Close"), "close")
        for button in (self.submit, self.next_button, close):
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.submit.clicked.connect(self.submit_grade)
        self.next_button.clicked.connect(self.next_pair)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.agreement, 1)
        buttons.addWidget(self.submit)
        buttons.addWidget(self.next_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.progress)
        top.addWidget(self.notice, 1)
        layout.addLayout(top)
        layout.addWidget(self.question)
        area.addLayout(images, 1)
        area.addLayout(scale_row)
        layout.addWidget(self.grading_area, 1)
        layout.addWidget(self.reveal)
        layout.addStretch()  # takes the room of the photos once they are hidden
        layout.addLayout(buttons)
        self.resize(1366, 768)
        self._show_agreement()
        self._show_pair()

    # -- what is shown ------------------------------------------------------------------

    @property
    def current(self) -> BlindPair | None:
        return self.pairs[self.position] if self.position < len(self.pairs) else None

    def _show_pair(self) -> None:
        self.unblinded = None
        self.reveal.hide()
        self.reveal.clear()
        checked = self.scale.checkedButton()
        if checked is not None:
            self.scale.setExclusive(False)
            checked.setChecked(False)
            self.scale.setExclusive(True)
        item = self.current
        for side, (caption, viewer) in self.sides.items():
            caption.setText(side.label)
            viewer.set_image(QImage())
        if item is None:
            total = len(self.pairs)
            self.progress.setText(
                f"All {plural(total, 'pair')} graded" if total else "No pairs to grade"
            )
            if total:
                done = "Thank you: you have graded every pair there is for you."
            elif self.skipped_own:
                done = "There is nothing for you to grade: every pair is of a patient you treated."
            else:
                done = (
                    "There is nothing to grade yet: a pair needs photos of the same view at "
                    "the baseline and at a follow-up of a treated patient."
                )
            self.question.setText(done)
            self.grading_area.hide()
            self._update_buttons()
            return
        self.progress.setText(f"Pair {item.number} of {len(self.pairs)}")
        self.question.setText(f"{QUESTION}   ({item.pair.view.label} view.)   {KEYS_HINT}")
        try:
            left, right = self.service.images(self.user, item)
        except UserError as exc:
            show_user_error(self, exc, TITLE)
            left = right = b""
        self.sides[Side.LEFT][1].set_image(QImage.fromData(left))
        self.sides[Side.RIGHT][1].set_image(QImage.fromData(right))
        self._update_buttons()

    def _update_buttons(self) -> None:
        grading = self.current is not None and self.unblinded is None
        self.submit.setVisible(grading)
        self.submit.setEnabled(grading and self.chosen is not None)
        self.next_button.setVisible(self.unblinded is not None)
        for button in self.scale.buttons():
            button.setEnabled(grading)

    def _show_unblinded(self, shown: Unblinded) -> None:
        grade = shown.grade
        after_side = Side.RIGHT if grade.before_side is Side.LEFT else Side.LEFT
        self.sides[grade.before_side][0].setText(
            f"{grade.before_side.label}: BEFORE, {format_uk(shown.before_date)}"
        )
        self.sides[after_side][0].setText(
            f"{after_side.label}: AFTER, {format_uk(shown.after_date)}"
        )
        self.reveal.setText(
            f"{shown.patient_name}, treated on {format_uk(shown.treated_on)}. "
            f"Your grade, after against before: {score_label(grade.score)} "
            f"(you answered {score_label(grade.shown_score)} for right against left). "
            f"{shown.note}"
        )
        self.reveal.show()

    def _show_agreement(self) -> None:
        try:
            found = self.service.agreement(self.user)
        except UserError:
            found = []
        if not found:
            self.agreement.setText(
                "Agreement between graders appears once two clinicians have graded the same pairs."
            )
            return
        lines = []
        for row in found:
            kappas = row.agreement
            who = f"{row.first_name} and {row.second_name}, {plural(kappas.pairs, 'pair')}"
            if kappas.linear is None:
                lines.append(f"{who}: too few pairs, or all graded alike, for a kappa")
                continue
            lines.append(
                f"{who}: weighted kappa {format_kappa(kappas.linear)} (linear weights), "
                f"{format_kappa(kappas.quadratic)} (quadratic); "
                f"{kappas.identical} graded the same"
            )
        self.agreement.setText("Agreement: " + "\n".join(lines))

    # -- actions --------------------------------------------------------------------------

    @property
    def chosen(self) -> int | None:
        """The grade picked, if any."""
        return None if self.scale.checkedButton() is None else self.scale.checkedId() + LOWEST

    def choose(self, score: int) -> None:
        button = self.scale.button(score - LOWEST)
        if button is not None and button.isEnabled():
            button.setChecked(True)

    def step(self, by: int) -> None:
        """Move the chosen grade along the scale (from "No change" when none is chosen)."""
        current = self.chosen
        start = 0 if current is None else current + by
        self.choose(min(max(start, LOWEST), HIGHEST))

    def submit_grade(self) -> None:
        item, score = self.current, self.chosen
        if item is None or self.unblinded is not None or score is None:
            return
        try:
            self.unblinded = self.service.grade(self.user, item, score)
        except UserError as exc:
            show_user_error(self, exc, TITLE)
            return
        self._show_unblinded(self.unblinded)
        self._show_agreement()
        self._update_buttons()

    def next_pair(self) -> None:
        if self.unblinded is None:
            return
        self.position += 1
        self._show_pair()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = int(event.key())
        if key in SCORE_KEYS:
            self.choose(SCORE_KEYS[key])
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Down):
            self.step(-1)
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Up):
            self.step(+1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.unblinded is None:
                self.submit_grade()
            else:
                self.next_pair()
        else:
            super().keyPressEvent(event)
            return
        event.accept()
