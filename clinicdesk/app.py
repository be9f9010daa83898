"""The composition root: arguments, paths, logging, database and services, then the GUI or a
command-line subcommand. Nothing else creates these; everything below receives them."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Sequence

from clinicdesk import APP_NAME, __version__, cli
from clinicdesk.errors import UserError
from clinicdesk.paths import Paths, resolve_paths

log = logging.getLogger("clinicdesk")

LOG_FILE_BYTES = 1_000_000
LOG_FILE_COUNT = 5


def setup_logging(paths: Paths) -> None:
    """A rotating log file in the data folder. Log records carry ids and counts, never names,
    dates of birth or other patient identifiers (messages of ``UserError`` are not logged)."""
    paths.logs_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        paths.logs_dir / "clinicdesk.log",
        maxBytes=LOG_FILE_BYTES,
        backupCount=LOG_FILE_COUNT,
        encoding="utf-8",
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("clinicdesk")
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    parser = cli.build_parser()
    args = parser.parse_args(argv)
    paths = resolve_paths(args.data_dir)
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
        from clinicdesk.ui.application import run_gui

        return run_gui(paths)
    try:
        return cli.run(args, paths)
    except UserError as exc:
        log.info("command ended with %s", type(exc).__name__)
        print(f"clinicdesk: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("clinicdesk: interrupted", file=sys.stderr)
        return 130
    except Exception:
        log.exception("unexpected error in %s", args.command)
        print(
            f"clinicdesk: an unexpected error happened (a bug); details are in "
            f"{paths.logs_dir / 'clinicdesk.log'}",
            file=sys.stderr,
        )
        return 1
