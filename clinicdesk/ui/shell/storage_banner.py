"""Banners across the top of the main window, in plain words: what happened and what to do.
The read-only one when the clinic is open for reading only (read-only storage, or a database
the start-up check found damaged), before anyone tries to save; the backups one
(``auto_backup``) when backups are not in order."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget


def add_read_only_banner(window: QMainWindow, reason: str | None) -> QLabel | None:
    """Put ``reason`` in a banner above the window's contents; nothing when it is None."""
    if reason is None:
        return None
    return add_banner(
        window,
        reason,
        "read_only_banner",
        "QLabel { background: #fdecea; color: #611a15; border: 1px solid #f5c2c0; "
        "padding: 6px; font-weight: bold; }",
    )


def add_banner(window: QMainWindow, text: str, name: str, style: str) -> QLabel:
    """A line of plain text across the top of the window, above what was there (and above any
    banner added before it)."""
    from PySide6.QtCore import Qt  # (not at start-up: see sign_in.MessageLabel)

    banner = QLabel(text)
    banner.setObjectName(name)
    banner.setTextFormat(Qt.TextFormat.PlainText)
    banner.setWordWrap(True)
    banner.setStyleSheet(style)
    # Taking the contents out takes the keyboard focus from them: it goes back where it was
    # (a banner may come while someone types in the search box).
    focused = QApplication.focusWidget()
    contents = window.takeCentralWidget()
    frame = QWidget()
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(banner)
    if contents is not None:
        layout.addWidget(contents, 1)
        contents.show()  # taken out of a shown window, it was hidden on the way
    window.setCentralWidget(frame)
    if window.isVisible():
        frame.show()  # at once, not at the next layout pass
    if focused is not None and contents is not None and contents.isAncestorOf(focused):
        focused.setFocus(Qt.FocusReason.OtherFocusReason)
    return banner
