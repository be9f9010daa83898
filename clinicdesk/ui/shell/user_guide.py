"""Help > User guide (F1): the short guide shipped in ``resources/guide/user-guide.md``.

The guide is our own Markdown, shown as rich text in a read-only browser; it holds no patient
data, so nothing in it needs escaping. A missing file (a damaged installation) is said plainly
in the dialog instead of failing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QVBoxLayout, QWidget

from clinicdesk.paths import resources_dir


def guide_path() -> Path:
    return resources_dir() / "guide" / "user-guide.md"


class UserGuideDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, path: Path | None = None) -> None:
        from PySide6.QtWidgets import QDialogButtonBox, QTextBrowser  # not at start-up

        super().__init__(parent)
        self.setObjectName("user_guide_dialog")
        self.setWindowTitle("ClinicDesk user guide")
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setObjectName("user_guide_text")
        self.browser.setOpenExternalLinks(False)
        source = path or guide_path()
        try:
            self.browser.setMarkdown(source.read_text(encoding="utf-8"))
        except OSError:
            self.browser.setPlainText(
                f"The user guide ({source}) is missing from this installation. "
                "Reinstall ClinicDesk to get it back; your data is not affected."
            )
        layout.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(720, 640)


def add_user_guide_action(window: QWidget, menu: QMenu) -> QAction:
    """Help > User guide with F1; one dialog, raised again if already open."""
    action = QAction(window)  # with its text here, QIcon's enums would load (~3 ms)
    action.setText("&User guide")
    action.setObjectName("user_guide_action")
    action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
    action.setStatusTip("How to use ClinicDesk: a short guide")
    dialogs: list[UserGuideDialog] = []

    def show_guide() -> None:
        if not dialogs:
            dialogs.append(UserGuideDialog(window))
        dialogs[0].show()
        dialogs[0].activateWindow()

    action.triggered.connect(show_guide)
    window.addAction(action)
    menu.addAction(action)
    return action
