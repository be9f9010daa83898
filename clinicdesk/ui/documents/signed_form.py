"""Looking at a signed form afterwards: a scanned picture or the signature drawn on screen
(a scanned PDF opens in the PDF preview)."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.errors import UserError
from clinicdesk.ui.widgets.fields import plain_label


def read_image(data: bytes) -> QImage:
    """A scanned JPEG or PNG, turned upright as the camera recorded it (EXIF orientation)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    image = reader.read()
    buffer.close()
    if image.isNull():
        raise UserError(f"The signed form could not be shown: {reader.errorString()}.")
    return image


class AttachmentImageDialog(QDialog):
    """A scanned form (JPEG, PNG) or a signature drawn on screen, fitted to the window."""

    MAX_SIZE = QSize(900, 700)

    def __init__(self, image: QImage, title: str, caption: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("attachment_image_dialog")
        self.setWindowTitle(title)
        self.image = image
        layout = QVBoxLayout(self)
        self.caption = plain_label("attachment_caption", caption)
        layout.addWidget(self.caption)
        self.picture = QLabel()
        self.picture.setObjectName("attachment_picture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("background: white;")
        fitted = image
        if image.width() > self.MAX_SIZE.width() or image.height() > self.MAX_SIZE.height():
            fitted = image.scaled(
                self.MAX_SIZE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self.picture.setPixmap(QPixmap.fromImage(fitted))
        scroll = QScrollArea()
        scroll.setWidget(self.picture)
        scroll.setWidgetResizable(True)
        scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumSize(360, 220)
        self.resize(fitted.width() + 60, fitted.height() + 120)
