"""A signature drawn on screen with a pen (graphics tablet, touch screen) or the mouse.

The pad keeps the strokes as points, not pixels: each stroke is drawn as quadratic curves
through the midpoints between the points it sampled (the usual smoothing for ink, so a quick
mouse stroke is not a polygon), its width following the pen's pressure when there is one.
``to_png`` draws the same strokes again, at twice the screen scale, into an image cut to the
ink with a small margin on white: what is stored and printed on the consent form is the
signature alone, not the pad's baseline or hint. ``SignatureDialog`` asks for one signature
and returns the PNG bytes; storing it (and auditing that) is the caller's business.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QImageWriter,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QTabletEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.ui.widgets.guarded_dialog import GuardedDialog

INK = QColor("#14213d")  # dark blue-black, as a pen on paper
PAPER = QColor("white")
BASELINE = QColor("#b8c0cc")
HINT = QColor("#8a94a3")
BORDER = QColor("#9aa5b1")
FOCUS_BORDER = QColor("#2f6fde")
PEN_WIDTH = 2.6  # pixels at the pad's scale, for the mouse and for average pen pressure
MIN_STEP = 1.0  # samples closer than this to the previous one are jitter, not ink
EXPORT_SCALE = 2.0  # the PNG is drawn at twice the pad's scale, for a crisp print
MAX_PNG_SIZE = QSize(1200, 400)  # a signature box on an A4 form at 300 dpi is smaller
EXPORT_MARGIN = 8.0  # pixels of white around the ink, at the pad's scale
MOUSE_PRESSURE = 0.5

Stroke = list[tuple[QPointF, float]]  # points with the pen's pressure (0-1)


def _width(pressure: float) -> float:
    return PEN_WIDTH * (0.4 + 1.2 * min(max(pressure, 0.0), 1.0))


def _midpoint(a: QPointF, b: QPointF) -> QPointF:
    return QPointF((a.x() + b.x()) / 2, (a.y() + b.y()) / 2)


def draw_strokes(painter: QPainter, strokes: list[Stroke]) -> None:
    """Ink ``strokes`` with ``painter`` (antialiased, round ends)."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for stroke in strokes:
        if len(stroke) == 1:  # a dot, as over an i
            point, pressure = stroke[0]
            radius = _width(pressure) * 0.75  # a dot as wide as a line looks like dust
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(INK)
            painter.drawEllipse(point, radius, radius)
            continue
        painter.setBrush(Qt.BrushStyle.NoBrush)
        points = [p for p, _ in stroke]
        start = points[0]
        # Each piece runs from one midpoint to the next, bent by the sample between them,
        # and is drawn with that sample's pressure; round caps join the pieces smoothly.
        for index in range(1, len(points)):
            end = (
                _midpoint(points[index], points[index + 1])
                if index + 1 < len(points)
                else points[index]
            )
            path = QPainterPath(start)
            if index + 1 < len(points):
                path.quadTo(points[index], end)
            else:
                path.lineTo(end)
            pressure = stroke[index][1]
            pen = QPen(INK, _width(pressure))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.drawPath(path)
            start = end


def ink_bounds(strokes: list[Stroke]) -> QRectF:
    """The rectangle the ink covers, pen width included (empty when there is none)."""
    bounds = QRectF()
    for stroke in strokes:
        for point, pressure in stroke:
            half = _width(pressure)  # covers a dot, which is wider than a line
            bounds = bounds.united(QRectF(point.x() - half, point.y() - half, 2 * half, 2 * half))
    return bounds


class SignaturePad(QWidget):
    """Draw with the left mouse button or a pen; Clear (or Delete, Backspace) wipes it."""

    changed = Signal()  # ink was added or cleared

    def __init__(self, parent: QWidget | None = None, *, hint: str = "Sign here") -> None:
        super().__init__(parent)
        self.setObjectName("signature_pad")
        self.hint = hint
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMinimumSize(360, 140)
        self.setAccessibleName("Signature")
        self.setAccessibleDescription(
            "Draw the signature with the mouse or a pen. Delete or the Clear button wipes it."
        )
        self._strokes: list[Stroke] = []
        self._drawing = False
        self.clear_button = QPushButton("&Clear", self)
        self.clear_button.setObjectName("signature_clear")
        self.clear_button.setToolTip("Wipe the signature and start again (Delete)")
        self.clear_button.setCursor(Qt.CursorShape.ArrowCursor)
        self.clear_button.setEnabled(False)
        self.clear_button.clicked.connect(self._clear_clicked)

    def typed_value(self) -> int:
        """How much ink is on the pad (``GuardedDialog`` asks before throwing it away)."""
        return sum(len(stroke) for stroke in self._strokes)

    def sizeHint(self) -> QSize:
        return QSize(560, 200)

    # -- state ----------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return not self._strokes

    @property
    def stroke_count(self) -> int:
        return len(self._strokes)

    def clear(self) -> None:
        had_ink = bool(self._strokes)
        self._strokes = []
        self._drawing = False
        self.clear_button.setEnabled(False)
        self.update()
        if had_ink:
            self.changed.emit()

    def _clear_clicked(self) -> None:
        self.clear()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- drawing --------------------------------------------------------------------------

    def _begin(self, point: QPointF, pressure: float) -> None:
        self._drawing = True
        self._strokes.append([(QPointF(point), pressure)])
        self.clear_button.setEnabled(True)
        self.update()
        self.changed.emit()

    def _extend(self, point: QPointF, pressure: float) -> None:
        if not self._drawing:
            return
        stroke = self._strokes[-1]
        last = stroke[-1][0]
        if math.hypot(point.x() - last.x(), point.y() - last.y()) < MIN_STEP:
            return
        stroke.append((QPointF(point), pressure))
        self.update()

    def _end(self, point: QPointF, pressure: float) -> None:
        if self._drawing:
            self._extend(point, pressure)
            self._drawing = False

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position(), MOUSE_PRESSURE)
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drawing:
            self._extend(event.position(), MOUSE_PRESSURE)
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._drawing:
            self._end(event.position(), MOUSE_PRESSURE)
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        # Accepted, so Qt does not also send the mouse events it would make from the pen.
        kind = event.type()
        pressure = float(event.pressure())
        if kind == QTabletEvent.Type.TabletPress:
            self._begin(event.position(), pressure)
        elif kind == QTabletEvent.Type.TabletMove:
            self._extend(event.position(), pressure)
        elif kind == QTabletEvent.Type.TabletRelease:
            self._end(event.position(), pressure)
        else:
            super().tabletEvent(event)
            return
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- painting -------------------------------------------------------------------------

    def baseline_y(self) -> float:
        return round(self.height() * 0.72) + 0.5

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.fillRect(frame, PAPER)
        painter.setPen(QPen(FOCUS_BORDER if self.hasFocus() else BORDER, 1))
        painter.drawRect(frame)
        left, right = 24.0, self.width() - 24.0
        y = self.baseline_y()
        painter.setPen(QPen(BASELINE, 1))
        painter.drawLine(QPointF(left, y), QPointF(right, y))
        # The cross that marks where to sign on paper forms.
        painter.setPen(QPen(HINT, 1.5))
        size = 5.0
        cross_x = left + size
        cross_y = y - size - 6
        painter.drawLine(
            QPointF(cross_x - size, cross_y - size), QPointF(cross_x + size, cross_y + size)
        )
        painter.drawLine(
            QPointF(cross_x - size, cross_y + size), QPointF(cross_x + size, cross_y - size)
        )
        if self.is_empty() and self.hint:
            painter.setPen(HINT)
            metrics = painter.fontMetrics()
            painter.drawText(
                QPointF(cross_x + size + 10, cross_y + metrics.ascent() / 2 - 1), self.hint
            )
        draw_strokes(painter, self._strokes)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        hint = self.clear_button.sizeHint()
        self.clear_button.setGeometry(
            self.width() - hint.width() - 6, 6, hint.width(), hint.height()
        )

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    # -- export ---------------------------------------------------------------------------

    def to_image(self) -> QImage:
        """The ink alone on white, cut to its bounds plus a margin, at ``EXPORT_SCALE``
        (smaller if that would exceed ``MAX_PNG_SIZE``). ``ValueError`` when empty."""
        if self.is_empty():
            raise ValueError("the signature pad is empty")
        bounds = ink_bounds(self._strokes).adjusted(
            -EXPORT_MARGIN, -EXPORT_MARGIN, EXPORT_MARGIN, EXPORT_MARGIN
        )
        scale = min(
            EXPORT_SCALE,
            MAX_PNG_SIZE.width() / bounds.width(),
            MAX_PNG_SIZE.height() / bounds.height(),
        )
        size = QSize(
            min(MAX_PNG_SIZE.width(), math.ceil(bounds.width() * scale)),
            min(MAX_PNG_SIZE.height(), math.ceil(bounds.height() * scale)),
        )
        image = QImage(size, QImage.Format.Format_RGB32)
        image.fill(PAPER)
        painter = QPainter(image)
        painter.scale(scale, scale)
        painter.translate(-bounds.topLeft())
        draw_strokes(painter, self._strokes)
        painter.end()
        return image

    def to_png(self) -> bytes:
        """The signature as PNG bytes (see ``to_image``)."""
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        writer = QImageWriter(buffer, QByteArray(b"png"))
        if not writer.write(self.to_image()):
            raise RuntimeError(f"Qt could not encode the signature as PNG: {writer.errorString()}")
        buffer.close()
        return bytes(data.data())


class SignatureDialog(GuardedDialog):
    """Asks for one signature. OK stays disabled until there is ink; after ``accept`` the
    PNG is in ``png`` and ``signed`` carries it (for callers that use ``open()``)."""

    signed = Signal(bytes)

    def __init__(
        self,
        prompt: str = "Sign in the box with the pen or the mouse.",
        *,
        title: str = "Signature",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("signature_dialog")
        self.setWindowTitle(title)
        self.png: bytes | None = None
        layout = QVBoxLayout(self)
        self.prompt = QLabel(prompt)
        self.prompt.setTextFormat(Qt.TextFormat.PlainText)  # names are shown as typed
        self.prompt.setWordWrap(True)
        layout.addWidget(self.prompt)
        self.pad = SignaturePad(self)
        layout.addWidget(self.pad, 1)
        self.prompt.setBuddy(self.pad)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Use this signature")
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.cancel)
        layout.addWidget(self.buttons)
        self.pad.changed.connect(self._pad_changed)
        self.pad.setFocus(Qt.FocusReason.OtherFocusReason)
        self.resize(620, 330)

    def _pad_changed(self) -> None:
        self.ok_button.setEnabled(not self.pad.is_empty())

    def accept(self) -> None:
        if self.pad.is_empty():
            return
        self.png = self.pad.to_png()
        super().accept()
        self.signed.emit(self.png)

    @classmethod
    def get_signature(
        cls,
        parent: QWidget | None,
        prompt: str = "Sign in the box with the pen or the mouse.",
        *,
        title: str = "Signature",
    ) -> bytes | None:
        """Ask and wait: the PNG bytes, or None when cancelled."""
        dialog = cls(prompt, title=title, parent=parent)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.png
        finally:
            dialog.deleteLater()
