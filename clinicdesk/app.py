"""The composition root: arguments, paths, logging, database and services, then the GUI or a
command-line subcommand. Nothing else creates these; everything below receives them."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from clinicdesk import APP_NAME, __version__
from clinicdesk.cli import gui_arguments
from clinicdesk.errors import UserError, missing_library
from clinicdesk.paths import Paths, resolve_paths

log = logging.getLogger("clinicdesk")

LOG_FILE_BYTES = 1_000_000
LOG_FILE_COUNT = 5


def setup_logging(paths: Paths) -> None:
    """A rotating log file in the data folder. Log records carry ids and counts, never names,
    dates of birth or other patient identifiers (messages of ``UserError`` are not logged).

    When the file cannot be opened (a read-only data folder) or later written (a full disk),
    errors go to stderr instead, and the program carries on."""
    root = logging.getLogger("clinicdesk")
    for old in list(root.handlers):
        root.removeHandler(old)
        with contextlib.suppress(OSError):  # a full disk cannot take the last lines
            old.close()
    root.setLevel(logging.INFO)
    try:
        paths.logs_dir.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = _LogFile(paths.logs_dir / "clinicdesk.log")
    except OSError:
        handler = _stderr_handler()
    root.addHandler(handler)


_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _stderr_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    # Errors only (a bug's traceback): the routine lines and warnings a log file gets would
    # bury a command's own one-line messages (a full disk's warnings among them).
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter(_FORMAT))
    return handler


class _LogFile(logging.FileHandler):
    """The log file, rotated at ``LOG_FILE_BYTES`` into ``clinicdesk.log.1`` ... ``.5`` (the
    oldest dropped). Once a record cannot be written (disk full, the file gone read-only), this
    and every later error go to stderr instead, with no "--- Logging error ---" traceback per
    record.

    Not ``logging.handlers.RotatingFileHandler``: that module brings in sockets, pickle and queues
    for its other handlers, a tenth of the start-up budget, for a rename loop."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8")
        self.setFormatter(logging.Formatter(_FORMAT))
        self._fallback: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._fallback is None:
            if self.stream is not None and self.stream.tell() >= LOG_FILE_BYTES:
                try:
                    self._rotate()
                except OSError:
                    self.handleError(record)
            if self._fallback is None:
                super().emit(record)
        if self._fallback is not None and record.levelno >= self._fallback.level:
            self._fallback.handle(record)

    def _rotate(self) -> None:
        if self.stream is not None:
            self.stream.close()
        self.stream = None  # FileHandler reopens it on the next emit
        path = Path(self.baseFilename)
        path.with_name(f"{path.name}.{LOG_FILE_COUNT}").unlink(missing_ok=True)
        for number in range(LOG_FILE_COUNT - 1, 0, -1):
            older = path.with_name(f"{path.name}.{number}")
            if older.exists():
                os.replace(older, path.with_name(f"{path.name}.{number + 1}"))
        os.replace(path, path.with_name(f"{path.name}.1"))

    def handleError(self, record: logging.LogRecord) -> None:
        if self._fallback is None:
            self._fallback = _stderr_handler()
            with contextlib.suppress(Exception):
                self.close()


def pause_garbage_collection() -> None:
    """Starting the GUI makes a few hundred thousand objects that live as long as the program
    (modules, classes, Qt wrappers and enums, services). CPython's cyclic collector walks every
    one of them in each full collection, which the allocations while starting trigger several
    times and the exit once more, and finds nothing to free: about a quarter of the start-up
    bench's time. So it is paused from here until ``start_up_finished``."""
    gc.disable()


def start_up_finished() -> None:
    """The main window is up: what start-up made is frozen (``gc.freeze``: kept out of every
    later collection, the one at exit included) and collection resumes for what comes after."""
    gc.freeze()
    gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # A plain start of the GUI reads its few options without the subcommands' parsers and the
    # modules behind them (imported here, not at the top, for the same reason).
    args = gui_arguments(argv)
    if args is None:
        from clinicdesk.cli.commands import build_parser, dash_safe

        parser = build_parser()
        args = parser.parse_args(dash_safe(parser, argv))
    if args.smoke_test:
        from clinicdesk.ui.shell.smoke_test import run_smoke_test

        return run_smoke_test()
    paths = resolve_paths(args.data_dir)
    if args.command == "restore":
        # The target folder must be new or empty: nothing (not even the log) is made in it
        # before the restore has been checked and put in place; errors go to stderr.
        logging.getLogger("clinicdesk").addHandler(_stderr_handler())
    else:
        try:
            paths.ensure()
        except OSError as exc:
            print(
                f"clinicdesk: cannot use the data folder {paths.data_dir}: {exc.strerror}",
                file=sys.stderr,
            )
            return 2
        setup_logging(paths)
    log.info("%s %s starting (%s)", APP_NAME, __version__, args.command or "gui")
    if args.command is None:
        pause_garbage_collection()
        try:
            try:
                from clinicdesk.ui.shell.application import run_gui
            except ImportError as exc:
                return _cannot_start(exc)
            return run_gui(paths, started=start_up_finished)
        finally:
            gc.enable()  # if the window never came up (sign-in cancelled, an error)
    # Here, not at the top: a plain start of the GUI shows its sign-in dialog before the
    # storage modules are imported (they come while the password is typed).
    try:
        from clinicdesk.cli.commands import run
        from clinicdesk.storage.database import describe_sqlite_error, is_expected_sqlite_error
        from clinicdesk.storage.driver import sqlite3
    except ImportError as exc:
        return _cannot_start(exc)

    try:
        return run(args, paths)
    except UserError as exc:
        log.info("command ended with %s", type(exc).__name__)
        print(f"clinicdesk: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("clinicdesk: interrupted", file=sys.stderr)
        return 130
    except sqlite3.DatabaseError as exc:
        if not is_expected_sqlite_error(exc):
            return _bug(args.command, paths)
        # A damaged file (or a lock, a full disk) met by a read outside write_transaction: the
        # person gets the plain message; the log gets the class only (the text may quote SQL).
        log.error("command ended with %s from the database", type(exc).__name__)
        print(f"clinicdesk: {describe_sqlite_error(exc, paths.database)}", file=sys.stderr)
        return 2
    except Exception:
        return _bug(args.command, paths)


def _cannot_start(exc: ImportError) -> int:
    """A library the command (or the GUI) needs is missing: one line, exit 1."""
    log.error("a library is missing: %s", exc.name)
    print(f"clinicdesk: cannot start: {missing_library(exc)}", file=sys.stderr)
    return 1


def _bug(command: str, paths: Paths) -> int:
    """Log the exception being handled, with its traceback, and say where the details are."""
    log.exception("unexpected error in %s", command)
    print(
        f"clinicdesk: an unexpected error happened (a bug); details are in "
        f"{paths.logs_dir / 'clinicdesk.log'}",
        file=sys.stderr,
    )
    return 1
