"""The banner across the top of the main window when the clinic is open for reading only
(read-only storage, or a database the start-up check found damaged): what happened and what
to do, before anyone tries to save."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget


def add_read_only_banner(window: QMainWindow, reason: str | None) -> QLabel | None:
    """Put ``reason`` in a banner above the window's contents; nothing when it is None."""
    if reason is None:
        return None
    banner = QLabel(reason)
    banner.setObjectName("read_only_banner")
    banner.setWordWrap(True)
    banner.setStyleSheet(
        "QLabel { background: #fdecea; color: #611a15; border: 1px solid #f5c2c0; "
        "padding: 6px; font-weight: bold; }"
    )
    contents = window.takeCentralWidget()
    frame = QWidget()
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(banner)
    if contents is not None:
        layout.addWidget(contents, 1)
    window.setCentralWidget(frame)
    return banner
