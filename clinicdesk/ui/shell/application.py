"""Starting the GUI: the QApplication, the first-run screen or sign-in, then the main window.

No database is opened before someone signs in: the data key that decrypts it comes from the
user's password (or, on first run, is made when the clinic is created).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from clinicdesk import APP_NAME, __version__
from clinicdesk.paths import Paths, resources_dir
from clinicdesk.ui.shell.sign_in import LoginDialog, Today, todays_date
from clinicdesk.ui.shell.start_up import (
    AFTER_WINDOW_UP_MS,
    EVENT_FILTERS_AFTER_MS,
    SIGNED_IN_MODULES,
    IdleSteps,
    import_in_idle_time,
)
from clinicdesk.ui.widgets.errors import install_excepthook

if TYPE_CHECKING:
    from clinicdesk.services.context import SignedIn
    from clinicdesk.ui.shell.main_window import MainWindow
    from clinicdesk.ui.shell.window_layout import WindowLayout


def sign_in(paths: Paths, today: Today = todays_date) -> tuple[SignedIn, MainWindow | None] | None:
    """First-run screen on an empty data folder, else the sign-in dialog; None if cancelled.
    Who signed in, and the main window's widgets if they were made while the password was
    typed (``prepare_main_window``)."""
    hint = ""
    if not paths.holds_clinic():
        # Imported only on an empty data folder: the demo clinic brings the clinical records,
        # consents and synthetic photos with it.
        from clinicdesk.services.demo import DEMO_PASSWORD
        from clinicdesk.ui.shell.first_run import FirstRunDialog

        first_run = FirstRunDialog(paths, today)
        if first_run.exec() != QDialog.DialogCode.Accepted:
            return None
        if first_run.signed is not None:
            return first_run.signed, None
        if first_run.joined_as:
            hint = (
                f"This computer joined the clinic's hub as {first_run.joined_as}: sign in as usual."
            )
        elif first_run.restored:
            hint = (
                "The clinic was restored from the backup: sign in. An administrator who has "
                "only the recovery key: Forgotten password?"
            )
        else:
            hint = (
                "Demo clinic ready. Users: admin, clinician, reception, grader; "
                f"password {DEMO_PASSWORD!r}."
            )
    login = sign_in_dialog(paths, hint, today)
    accepted = login.exec() == QDialog.DialogCode.Accepted
    prepared, login.prepared = login.prepared, None
    if not accepted or login.signed is None:
        if prepared is not None:
            prepared.deleteLater()
        return None
    return login.signed, prepared


def sign_in_dialog(paths: Paths, hint: str = "", today: Today = todays_date) -> LoginDialog:
    """The sign-in dialog, which imports the main window's modules while it waits for the
    password (``start_up.SIGNED_IN_MODULES``), then makes the window's widgets
    (``prepare_main_window``)."""
    login = LoginDialog(paths, hint, today)
    # A child of the dialog: it lives as long.
    import_in_idle_time(SIGNED_IN_MODULES, login, then=lambda: prepare_main_window(login))
    return login


def prepare_main_window(login: LoginDialog) -> None:
    """Make the main window's widgets, menus and actions, which need no clinic, while the
    password is typed (``login.prepared``): after it the window needs only the clinic's part
    (``MainWindow.bind``: the title, the list's first page, what the role may do), and is on
    screen some 15 ms sooner."""
    from clinicdesk.ui.shell.main_window import MainWindow

    if login.prepared is None and login.signed is None:
        login.prepared = MainWindow()


def open_main_window(signed: SignedIn, prepared: MainWindow | None = None) -> MainWindow:
    """The main window for who signed in (given the clinic, if it was ``prepared``), with a
    banner when nothing can be saved."""
    # Imported once someone has signed in, so the sign-in dialog comes up sooner.
    from clinicdesk.ui.shell.main_window import MainWindow
    from clinicdesk.ui.shell.storage_banner import add_read_only_banner

    if prepared is not None:
        window = prepared
        window.bind(signed.services, signed.user)
    else:
        window = MainWindow(signed.services, signed.user)
    add_read_only_banner(window, signed.services.read_only)
    return window


def check_database_later(window: MainWindow, signed: SignedIn) -> None:
    """The start-up check deferred at sign-in, on a worker now that the window is up; a
    damaged file gets the read-only banner when it is found."""
    from clinicdesk.ui.shell.database_check import check_in_background
    from clinicdesk.ui.shell.storage_banner import add_read_only_banner

    check_in_background(
        window, signed.services, lambda reason: add_read_only_banner(window, reason)
    )


def attach_auto_backup(window: MainWindow, signed: SignedIn) -> None:
    """The day's backups for every role, and the banner when they are not in order."""
    if signed.services.closed:  # the window was closed before it came
        return
    from clinicdesk.ui.shell.auto_backup import AutoBackup

    window.auto_backup = AutoBackup(window, signed.services, lambda: window.user)


def _install_form_rules(app: QApplication) -> None:
    from clinicdesk.ui.widgets.guarded_dialog import install_form_rules

    install_form_rules(app)


def start_application() -> QApplication:
    """The QApplication with the program's name, icon, exception hook and form rules."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("clinicdesk")  # the Linux archive's .desktop file names its icon
    from PySide6.QtGui import QIcon

    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "clinicdesk-256.png")))  # lazy
    install_excepthook()
    # The form rules (e.g. the mouse wheel never changes a field without focus) come once the
    # first window is up: see EVENT_FILTERS_AFTER_MS.
    IdleSteps([lambda: _install_form_rules(app)], app, after_ms=EVENT_FILTERS_AFTER_MS)
    return app


def show_main_window(
    signed: SignedIn,
    paths: Paths,
    started: Callable[[], None] = lambda: None,
    prepared: MainWindow | None = None,
) -> tuple[MainWindow, WindowLayout]:
    """The main window (the ``prepared`` one, if its widgets were made while the password was
    typed) on screen where the user left it, then (``started`` called) the database check,
    the record tabs' warm-up in idle time and, once it is up, the day's backups. The start-up
    bench times this, as it times everything ``run_gui`` does but the sign-in."""
    from clinicdesk.ui.shell.window_layout import WindowLayout

    window = open_main_window(signed, prepared)
    layout = WindowLayout(window, window.splitter, paths.data_dir)
    window.show()
    layout.restore()  # where the user left it; shown, so its frame is known and fitted
    started()
    check_database_later(window, signed)
    window.warm_up()  # the record's tabs, in idle time
    # Once the window is up (its first check is minutes away): its modules, the backup
    # schedule and sealed files, are not needed to put the window up.
    QTimer.singleShot(AFTER_WINDOW_UP_MS, window, lambda: attach_auto_backup(window, signed))
    return window, layout


def run_gui(paths: Paths, started: Callable[[], None] = lambda: None) -> int:
    """Sign in, then the main window until it is closed; ``started`` is called once the main
    window is on screen (the composition root ends its start-up arrangements there)."""
    app = start_application()
    paths.ensure()
    signed_in = sign_in(paths)
    if signed_in is None:
        return 0
    signed, prepared = signed_in
    try:
        _window, layout = show_main_window(signed, paths, started, prepared)
        code = app.exec()
        layout.save()
        return code
    finally:
        signed.services.close()
