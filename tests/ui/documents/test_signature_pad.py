"""The signature pad: drawn with the mouse or a pen, cleared, exported as a trimmed PNG, and
the dialog that asks for one signature."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.ui.documents.signature_pad import MAX_PNG_SIZE, SignatureDialog, SignaturePad
from tests.ui.conftest import close_dialog, when_modal


def dark_pixels(image: QImage, threshold: int = 110) -> int:
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    row_bytes = gray.bytesPerLine()
    data = bytes(gray.constBits())
    width = gray.width()
    return sum(
        1
        for y in range(gray.height())
        for v in data[y * row_bytes : y * row_bytes + width]
        if v < threshold
    )


def drag(pad: SignaturePad, points: Sequence[QPoint]) -> None:
    """Press, move through ``points`` and release with the left button, as a hand would."""
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(pad, left, none, points[0])
    for point in points[1:]:
        QTest.mouseMove(pad, point)
    QTest.mouseRelease(pad, left, none, points[-1])


def wave(x0: int, y0: int, length: int = 60, step: int = 4) -> list[QPoint]:
    return [QPoint(x0 + i * step, round(y0 - 25 * math.sin(i / 4))) for i in range(length)]


@pytest.fixture
def pad(qtbot: QtBot) -> SignaturePad:
    widget = SignaturePad()
    qtbot.addWidget(widget)
    widget.resize(560, 200)
    widget.show()
    return widget


@pytest.fixture
def dialog(qtbot: QtBot) -> SignatureDialog:
    made = SignatureDialog("Patient: Siobhán O'Brien <b>sign</b> here.", title="Patient signs")
    qtbot.addWidget(made)
    with qtbot.waitActive(made):
        made.show()
        made.activateWindow()
    return made


def test_a_mouse_drag_leaves_ink_and_the_png_is_the_signature_trimmed_on_white(
    qtbot: QtBot, pad: SignaturePad
) -> None:
    assert pad.is_empty()
    with qtbot.waitSignal(pad.changed):
        drag(pad, wave(80, 100))
    assert not pad.is_empty() and pad.stroke_count == 1

    png = pad.to_png()
    assert png.startswith(b"\x89PNG")
    image = QImage.fromData(png)
    assert not image.isNull()
    assert dark_pixels(image) > 300
    # White paper: the corners (inside the margin) carry no ink and no transparency.
    for x, y in ((0, 0), (image.width() - 1, 0), (0, image.height() - 1)):
        assert image.pixelColor(x, y).name() == "#ffffff"
    assert not image.hasAlphaChannel()
    # Cut to the ink: the wave spans 236 x 50 pad pixels, drawn at twice the scale with a
    # small margin, not the 560 x 200 pad.
    assert 472 <= image.width() <= 540
    assert 100 <= image.height() <= 150


def test_the_pad_on_screen_shows_the_ink_the_baseline_and_the_hint_only_while_empty(
    qtbot: QtBot, pad: SignaturePad
) -> None:
    blank = pad.grab().toImage()
    assert pad.hint == "Sign here"
    baseline = round(pad.baseline_y())
    assert blank.pixelColor(pad.width() // 2, baseline).name() != "#ffffff"  # the line
    assert dark_pixels(blank) == 0  # hint and baseline are light, never mistaken for ink
    drag(pad, wave(80, 100))
    drawn = pad.grab().toImage()
    assert dark_pixels(drawn) > 150


def test_clear_button_and_delete_key_empty_the_pad(qtbot: QtBot, pad: SignaturePad) -> None:
    assert not pad.clear_button.isEnabled()
    drag(pad, wave(60, 100))
    assert pad.clear_button.isEnabled()
    with qtbot.waitSignal(pad.changed):
        qtbot.mouseClick(pad.clear_button, Qt.MouseButton.LeftButton)
    assert pad.is_empty() and not pad.clear_button.isEnabled()
    assert dark_pixels(pad.grab().toImage()) == 0
    with pytest.raises(ValueError):
        pad.to_png()

    drag(pad, wave(60, 100))
    pad.setFocus()
    qtbot.keyClick(pad, Qt.Key.Key_Delete)
    assert pad.is_empty()
    drag(pad, wave(60, 100))
    qtbot.keyClick(pad, Qt.Key.Key_Backspace)
    assert pad.is_empty()


def test_a_click_is_a_dot_and_strokes_add_up(pad: SignaturePad) -> None:
    QTest.mouseClick(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(50, 50))
    assert pad.stroke_count == 1
    assert dark_pixels(QImage.fromData(pad.to_png())) > 10
    drag(pad, wave(80, 120))
    drag(pad, [QPoint(100, 60), QPoint(300, 60)])
    assert pad.stroke_count == 3
    # Right-button drags draw nothing.
    QTest.mousePress(pad, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5))
    QTest.mouseRelease(
        pad, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(9, 9)
    )
    assert pad.stroke_count == 3


def test_a_large_signature_is_scaled_down_to_the_maximum_png_size(qtbot: QtBot) -> None:
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(1900, 900)
    pad.show()
    drag(pad, [QPoint(10 + i * 20, 20 + i * 9) for i in range(93)])
    image = QImage.fromData(pad.to_png())
    assert image.width() <= MAX_PNG_SIZE.width() and image.height() <= MAX_PNG_SIZE.height()
    assert image.width() == MAX_PNG_SIZE.width() or image.height() == MAX_PNG_SIZE.height()
    assert dark_pixels(image) > 500


def _pen_stroke(pad: SignaturePad, pressure: float, y: int) -> None:
    pen = QPointingDevice(
        "test pen",
        4242,
        QInputDevice.DeviceType.Stylus,
        QPointingDevice.PointerType.Pen,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        2,
        parent=pad,
    )
    points = [QPointF(60 + i * 8, y) for i in range(40)]
    for kind, point in (
        (QEvent.Type.TabletPress, points[0]),
        *((QEvent.Type.TabletMove, p) for p in points[1:-1]),
        (QEvent.Type.TabletRelease, points[-1]),
    ):
        held = (
            Qt.MouseButton.NoButton
            if kind == QEvent.Type.TabletRelease
            else Qt.MouseButton.LeftButton
        )
        event = QTabletEvent(
            kind,
            pen,
            point,
            pad.mapToGlobal(point),
            pressure,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            Qt.KeyboardModifier.NoModifier,
            Qt.MouseButton.LeftButton,
            held,
        )
        QApplication.sendEvent(pad, event)
        assert event.isAccepted()


def test_a_pen_draws_with_its_pressure(qtbot: QtBot) -> None:
    light, firm = SignaturePad(), SignaturePad()
    for pad in (light, firm):
        qtbot.addWidget(pad)
        pad.resize(560, 200)
        pad.show()
    _pen_stroke(light, 0.1, 100)
    _pen_stroke(firm, 1.0, 100)
    assert light.stroke_count == firm.stroke_count == 1
    thin = dark_pixels(QImage.fromData(light.to_png()), threshold=200)
    thick = dark_pixels(QImage.fromData(firm.to_png()), threshold=200)
    assert thick > 2 * thin > 0


def test_dialog_ok_only_with_ink_and_returns_the_png(qtbot: QtBot, dialog: SignatureDialog) -> None:
    assert dialog.windowTitle() == "Patient signs"
    assert dialog.prompt.text() == "Patient: Siobhán O'Brien <b>sign</b> here."  # not markup
    assert dialog.prompt.textFormat() == Qt.TextFormat.PlainText
    assert not dialog.ok_button.isEnabled()
    assert dialog.pad.hasFocus()
    qtbot.keyClick(dialog.pad, Qt.Key.Key_Return)  # nothing to accept yet
    assert dialog.isVisible() and dialog.png is None

    drag(dialog.pad, wave(80, 100))
    assert dialog.ok_button.isEnabled()
    # Keyboard only: Tab from the pad reaches Clear, Space presses it.
    qtbot.keyClick(dialog.pad, Qt.Key.Key_Tab)
    assert dialog.pad.clear_button.hasFocus()
    qtbot.keyClick(dialog.pad.clear_button, Qt.Key.Key_Space)
    assert dialog.pad.is_empty() and not dialog.ok_button.isEnabled()

    drag(dialog.pad, wave(80, 100))
    with qtbot.waitSignal(dialog.signed) as signal:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == SignatureDialog.DialogCode.Accepted
    assert dialog.png is not None and signal.args == [dialog.png]
    assert dark_pixels(QImage.fromData(dialog.png)) > 300


def test_get_signature_waits_for_the_signature_or_none_when_cancelled(qtbot: QtBot) -> None:
    def sign(modal: QWidget) -> None:
        assert isinstance(modal, SignatureDialog)
        drag(modal.pad, wave(80, 100))
        modal.ok_button.click()

    when_modal(sign)
    png = SignatureDialog.get_signature(None, "Sign, please")
    assert png is not None and dark_pixels(QImage.fromData(png)) > 300

    when_modal(close_dialog)
    assert SignatureDialog.get_signature(None, "Sign, please") is None
