"""Reference pictures for the hair-loss scales, drawn at run time (original schematic drawings
by ClinicDesk, no image files and nobody else's artwork).

Each picture is the scalp seen from above, the face at the top (a nose and two ears show which
way round it is): hair dark, bald scalp in skin colour, thinning as hair showing scalp through.
Norwood-Hamilton grades move the frontal hairline back (deeper at the temples, or evenly for the
"a" variants) and open a bald crown (vertex) that at VI joins the front, leaving at VII only the
horseshoe at the sides and back. Ludwig, Sinclair and Savin (women) keep the frontal hairline
and thin the top of the scalp about a widening midline part; Savin "Frontal" is frontal
recession. The drawings are descriptors like the scales themselves, not a grading tool.

``ScalePicture`` shows one grade beside the grade picker; ``ScaleChartDialog`` shows every
grade of a scale, labelled, and a click on one chooses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.classification import HairLossScale

HAIR = QColor("#3b2a20")
SKIN = QColor("#f2cfae")
OUTLINE = QColor("#8a6a55")
CHOSEN = QColor("#1a73e8")
VERTEX_CENTRE = (0.5, 0.66)
SIDE = 0.12  # where a full hairline meets the sides of the forehead


@dataclass(frozen=True)
class Pattern:
    """One grade's drawing, in fractions of the head (x across, y from the front)."""

    temples: float = 0.13  # how far back the hairline is at the temples
    centre: float = 0.12  # ... and in the middle of the forehead
    vertex: float = 0.0  # radius of the bald crown
    bridge: int = 0  # 0-255: how bare the band between front and crown is
    horseshoe: bool = False  # only the sides and back keep hair
    thinning: tuple[float, float, int] = (0.0, 0.0, 0)  # top of the scalp: rx, ry, 0-255
    part: float = 0.0  # width of the midline part (women's scales); 0: none drawn


NORWOOD = {
    "I": Pattern(),
    "II": Pattern(temples=0.22, centre=0.14),
    "IIa": Pattern(temples=0.22, centre=0.21),
    "III": Pattern(temples=0.31, centre=0.17),
    "IIIa": Pattern(temples=0.31, centre=0.30),
    "III vertex": Pattern(temples=0.28, centre=0.16, vertex=0.09),
    "IV": Pattern(temples=0.37, centre=0.25, vertex=0.13),
    "IVa": Pattern(temples=0.44, centre=0.43),
    "V": Pattern(temples=0.43, centre=0.34, vertex=0.18, bridge=120),
    "Va": Pattern(temples=0.56, centre=0.56, vertex=0.10),
    "VI": Pattern(temples=0.47, centre=0.42, vertex=0.25, bridge=255),
    "VII": Pattern(temples=0.47, centre=0.42, vertex=0.25, bridge=255, horseshoe=True),
}
LUDWIG = {
    "I": Pattern(thinning=(0.16, 0.22, 100), part=0.02),
    "II": Pattern(thinning=(0.24, 0.30, 175), part=0.04),
    "III": Pattern(thinning=(0.31, 0.36, 235), part=0.06),
}
SINCLAIR = {
    str(n): Pattern(thinning=(0.04 + 0.06 * n, 0.30, 50 * (n - 1)), part=0.008 + 0.014 * n)
    for n in range(1, 6)
}
SAVIN = {
    **{
        str(n): Pattern(thinning=(0.03 + 0.035 * n, 0.30, 30 * (n - 1)), part=0.008 + 0.009 * n)
        for n in range(1, 9)
    },
    "Frontal": Pattern(temples=0.27, centre=0.27, part=0.01),
}
PATTERNS: dict[HairLossScale, dict[str, Pattern]] = {
    HairLossScale.NORWOOD_HAMILTON: NORWOOD,
    HairLossScale.LUDWIG: LUDWIG,
    HairLossScale.SINCLAIR: SINCLAIR,
    HairLossScale.SAVIN: SAVIN,
}


def grade_title(scale: HairLossScale, grade: str) -> str:
    return f"{scale.label} {grade}"


def _smooth(path: QPainterPath, points: list[QPointF]) -> None:
    """Continue ``path`` through ``points`` with a smooth curve (Catmull-Rom as Béziers)."""
    for i in range(len(points) - 1):
        p0 = points[max(i - 1, 0)]
        p1, p2 = points[i], points[i + 1]
        p3 = points[min(i + 2, len(points) - 1)]
        path.cubicTo(p1 + (p2 - p0) / 6, p2 - (p3 - p1) / 6, p2)


def draw_grade(painter: QPainter, area: QRectF, scale: HairLossScale, grade: str) -> None:
    """Draw ``grade`` of ``scale`` fitted in ``area`` (nothing for an unknown grade)."""
    pattern = PATTERNS[scale].get(grade)
    if pattern is None:
        return
    size = min(area.width() / 0.86, area.height() / 1.04)
    head = QRectF(0, 0, 0.74 * size, 0.92 * size)
    head.moveCenter(area.center() + QPointF(0, 0.04 * size))

    def at(x: float, y: float) -> QPointF:
        return QPointF(head.left() + x * head.width(), head.top() + y * head.height())

    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    outline = QPen(OUTLINE, max(1.0, size / 90))
    painter.setPen(outline)
    painter.setBrush(SKIN)
    # Ears at the sides and the nose at the front, so the view's direction is plain.
    for x in (-0.04, 1.04):
        ear = QRectF(0, 0, 0.10 * head.width(), 0.16 * head.height())
        ear.moveCenter(at(x, 0.46))
        painter.drawEllipse(ear)
    nose = QPainterPath(at(0.44, 0.02))
    nose.lineTo(at(0.5, -0.07))
    nose.lineTo(at(0.56, 0.02))
    painter.drawPath(nose)
    scalp = QPainterPath()
    scalp.addEllipse(head)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(HAIR)
    painter.drawPath(scalp)

    painter.setClipPath(scalp)
    bald = QPainterPath()
    side = max(SIDE, pattern.temples - 0.15)
    temples, centre = pattern.temples, pattern.centre
    bald.moveTo(at(-0.05, -0.05))
    bald.lineTo(at(-0.05, side))
    _smooth(
        bald,
        [at(-0.05, side), at(0.28, temples), at(0.5, centre), at(0.72, temples), at(1.05, side)],
    )
    bald.lineTo(at(1.05, -0.05))
    bald.closeSubpath()
    if pattern.vertex:
        crown = QPainterPath()
        diameter = 2 * pattern.vertex * head.width()
        box = QRectF(0, 0, diameter, diameter)
        box.moveCenter(at(*VERTEX_CENTRE))
        crown.addEllipse(box)
        bald = bald.united(crown)
    if pattern.bridge == 255:
        band = QPainterPath()
        half = pattern.vertex
        band.addRoundedRect(
            QRectF(at(0.5 - half, centre - 0.05), at(0.5 + half, VERTEX_CENTRE[1])),
            0.2 * head.width(),
            0.2 * head.width(),
        )
        bald = bald.united(band)
    if pattern.horseshoe:
        top = QPainterPath()
        top.addEllipse(QRectF(at(0.1, -0.12), at(0.9, 0.84)))
        bald = bald.united(top)
    painter.setBrush(SKIN)
    painter.drawPath(bald)
    if 0 < pattern.bridge < 255:
        thin = QColor(SKIN)
        thin.setAlpha(pattern.bridge)
        painter.setBrush(thin)
        painter.drawRect(
            QRectF(at(0.5 - pattern.vertex, centre), at(0.5 + pattern.vertex, VERTEX_CENTRE[1]))
        )
    rx, ry, alpha = pattern.thinning
    if alpha:
        thin = QColor(SKIN)
        thin.setAlpha(alpha)
        painter.setBrush(thin)
        spread = QRectF(0, 0, 2 * rx * head.width(), 2 * ry * head.height())
        spread.moveCenter(at(0.5, 0.2 + ry))
        painter.drawEllipse(spread)
    if pattern.part:
        painter.setBrush(SKIN)
        part = QRectF(at(0.5 - pattern.part / 2, centre + 0.02), at(0.5 + pattern.part / 2, 0.72))
        painter.drawRoundedRect(part, part.width() / 2, part.width() / 2)
    painter.setClipping(False)
    painter.setPen(outline)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawEllipse(head)
    painter.restore()


class ScalePicture(QWidget):
    """One grade's picture; ``clicked`` when clicked (the chart uses it to choose a grade)."""

    clicked = Signal(str)

    def __init__(
        self,
        scale: HairLossScale = HairLossScale.NORWOOD_HAMILTON,
        grade: str = "",
        parent: QWidget | None = None,
        *,
        size: QSize = QSize(120, 130),  # noqa: B008 (an immutable default)
    ) -> None:
        super().__init__(parent)
        self.setObjectName("scale_picture")
        self._size = size
        self.highlighted = False
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.set_grade(scale, grade)

    def sizeHint(self) -> QSize:
        return self._size

    def set_grade(self, scale: HairLossScale, grade: str) -> None:
        self.scale = scale
        self.grade = grade
        title = grade_title(scale, grade)
        self.setToolTip(f"{title}: schematic view from above, face at the top")
        self.setAccessibleName(f"Picture of {title}")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if self.highlighted:
            painter.setPen(QPen(CHOSEN, 3))
            painter.drawRect(QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5))
        draw_grade(painter, QRectF(self.rect()).adjusted(6, 6, -6, -6), self.scale, self.grade)
        painter.end()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit(self.grade)
        super().mouseReleaseEvent(event)


class ScaleChartDialog(QDialog):
    """Every grade of ``scale``, labelled; ``current`` is outlined, and clicking a grade emits
    ``chosen`` with it and closes the chart."""

    chosen = Signal(str)
    COLUMNS = 6

    def __init__(self, scale: HairLossScale, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scale_chart_dialog")
        self.setWindowTitle(f"{scale.label} scale")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"The {scale.label} grades, seen from above with the face at the top "
            "(schematic drawings). Click a grade to choose it."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        grid = QGridLayout()
        self.tiles: dict[str, ScalePicture] = {}
        self.labels: dict[str, QLabel] = {}
        for n, grade in enumerate(scale.grades):
            frame = QFrame()
            frame.setFrameShape(QFrame.Shape.StyledPanel)
            box = QVBoxLayout(frame)
            picture = ScalePicture(scale, grade, frame)
            picture.highlighted = grade == current
            picture.setCursor(Qt.CursorShape.PointingHandCursor)
            picture.clicked.connect(self._choose)
            label = QLabel(grade if grade == "Frontal" else f"Grade {grade}")
            label.setObjectName("scale_grade_label")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            if grade == current:
                label.setText(f"{label.text()} (chosen)")
                font = label.font()
                font.setBold(True)
                label.setFont(font)
            box.addWidget(picture, 0, Qt.AlignmentFlag.AlignHCenter)
            box.addWidget(label)
            grid.addWidget(frame, n // self.COLUMNS, n % self.COLUMNS)
            self.tiles[grade] = picture
            self.labels[grade] = label
        layout.addLayout(grid)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _choose(self, grade: str) -> None:
        self.chosen.emit(grade)
        self.accept()


__all__ = ["PATTERNS", "ScaleChartDialog", "ScalePicture", "draw_grade"]
