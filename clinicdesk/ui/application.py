"""Starting the GUI: the QApplication, the first-run screen or sign-in, then the main window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from clinicdesk import APP_NAME, __version__
from clinicdesk.errors import UserError
from clinicdesk.paths import Paths
from clinicdesk.services.context import ClinicServices, open_clinic
from clinicdesk.services.demo import DEMO_PASSWORD
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.errors import install_excepthook
from clinicdesk.ui.first_run import FirstRunDialog
from clinicdesk.ui.login import LoginDialog
from clinicdesk.ui.main_window import MainWindow


def sign_in(services: ClinicServices) -> CurrentUser | None:
    """First-run screen on an empty data folder, else the sign-in dialog; None if cancelled."""
    hint = ""
    if not services.clinic.is_initialised():
        first_run = FirstRunDialog(services)
        if first_run.exec() != QDialog.DialogCode.Accepted:
            return None
        if first_run.user is not None:
            return first_run.user
        hint = f"Demo clinic ready. Users: admin, clinician, reception; password {DEMO_PASSWORD!r}."
    login = LoginDialog(services.clinic, hint)
    if login.exec() != QDialog.DialogCode.Accepted:
        return None
    return login.user


def run_gui(paths: Paths) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    install_excepthook()
    try:
        services = open_clinic(paths)
    except UserError as exc:
        QMessageBox.critical(None, APP_NAME, exc.message)
        return exc.exit_code
    try:
        user = sign_in(services)
        if user is None:
            return 0
        window = MainWindow(services, user)
        window.show()
        return app.exec()
    finally:
        services.close()
