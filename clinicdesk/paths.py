"""Every location ClinicDesk uses, computed once.

The data directory is, in order: ``--data-dir``, the ``CLINICDESK_DATA_DIR`` environment
variable, or the platform's user data directory (platformdirs). Tests always pass their own.
``resources_dir`` works both in a checkout and in the PyInstaller build (``sys._MEIPASS``).
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import NamedTuple

import platformdirs

from clinicdesk import APP_NAME

ENV_DATA_DIR = "CLINICDESK_DATA_DIR"
DATABASE_NAME = "clinicdesk.db"


class Paths(NamedTuple):
    """The data folder's locations. A named tuple rather than a dataclass: this module is read
    before the sign-in dialog, and the dataclass machinery is some milliseconds of every start."""

    data_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / DATABASE_NAME

    @property
    def keyring(self) -> Path:
        """The wrapped data keys (see storage.keys); useless without a password."""
        return self.data_dir / "keyring.json"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def photos_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def unreferenced_photos_dir(self) -> Path:
        """Sealed photo files found in ``photos_dir`` with no row (an import stopped by a
        crash, or a database restored from an older backup), moved out of the store."""
        return self.data_dir / "photos-unreferenced"

    @property
    def consent_files_dir(self) -> Path:
        """Scanned signed consent forms and signatures drawn on screen (sealed, by sha256)."""
        return self.data_dir / "consents"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def login_attempts(self) -> Path:
        """Failed sign-in counts per user name; outside the database so that the wait after
        repeated failures holds before the (encrypted) database can be opened."""
        return self.data_dir / "login_attempts.json"

    @property
    def unfinished_restore(self) -> Path:
        """Present while a restore moves a backup's files into a folder that already held a
        fresh start's files (services.restore); with no database beside it, the folder holds
        no clinic yet."""
        return self.data_dir / "restore-unfinished.json"

    def holds_clinic(self) -> bool:
        """A database, or a key ring (whose database is missing: sign-in says so). A key ring
        that a restore stopped midway (``unfinished_restore``) had moved in before the
        database is not a clinic: the first-run screen is shown, and the restore can be run
        again."""
        if self.database.exists():
            return True
        return self.keyring.exists() and not self.unfinished_restore.exists()

    def ensure(self) -> None:
        """Create the data folder and its backups and logs folders. On read-only storage an
        existing data folder is used as it is (the clinic opens for reading only)."""
        for directory in (self.data_dir, self.backups_dir, self.logs_dir):
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) and self.data_dir.is_dir():
                    continue
                raise


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_paths(data_dir: str | os.PathLike[str] | None = None) -> Paths:
    if data_dir:
        return Paths(Path(data_dir).expanduser().resolve())
    if env := os.environ.get(ENV_DATA_DIR):
        return Paths(Path(env).expanduser().resolve())
    return Paths(default_data_dir())


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
