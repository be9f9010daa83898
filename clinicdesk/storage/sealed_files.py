"""Encrypted files: photos, the display/thumbnail cache, backup archives (DESIGN.md, "Security
model"; RELIABILITY.md rows 11 and 26).

A sealed blob is AES-256-GCM with a random 96-bit nonce::

    b"CDS" | format byte (1) | nonce (12 bytes) | ciphertext | tag (16 bytes)

The four header bytes are authenticated with the caller's associated data, so a file cannot be
passed off as another format. The associated data says what the file *is* (for a photo: its
sha256 and its record id), so a file copied over another one, or moved to another record, fails
to open instead of showing the wrong patient's picture. Any failure to open, whether a flipped
bit, a truncated file, the wrong key or the wrong associated data, is one ``SealBroken`` error
with one plain message: a receptionist cannot act on the difference, and the log gets ``reason``.

Files are written to a temp name in the same folder, fsynced, renamed over the target and the
folder fsynced (the same steps as ``keys.KeyRing.save``), so ``path`` holds either the old
content or the whole new content, never a 0-byte or partial file, even when the disk fills up.

Keys: callers pass a purpose-specific subkey, never the data key itself. Photos use
``derive_subkey(data_key, "photos")`` (``keys.derive_subkey``); the thumbnail cache and backup
archives take their own purposes, so one key never serves two kinds of file.

One blob is sealed in one piece, in memory: right for photos and thumbnails. ``cryptography``'s
AES-GCM takes at most 2**31 - 1 bytes at a time, so anything that may be larger (a backup
archive with every photo) needs a chunked format, which is what the format byte is for.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from clinicdesk.errors import UserError

if TYPE_CHECKING:  # imported where a file is first sealed or opened, not at start-up
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CDS"
FORMAT = 1
HEADER = MAGIC + bytes([FORMAT])
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
OVERHEAD = len(HEADER) + NONCE_BYTES + TAG_BYTES

TEMP_SUFFIX = ".tmp"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_SHARD = re.compile(r"[0-9a-f]{2}")


class SealedFileError(UserError):
    """An encrypted file could not be read or written."""


class SealBroken(SealedFileError):
    """The file does not open with this key for this record: changed, damaged, truncated,
    swapped with another file or moved from another record. ``reason`` is for the log only."""

    def __init__(self, name: str | None = None, reason: str = "") -> None:
        what = f"The file {name}" if name else "The file"
        super().__init__(
            f"{what} was changed or damaged, or belongs to another record; it was not shown."
        )
        self.name = name
        self.reason = reason


class SealedFileMissing(SealedFileError):
    """The file is not there at all (restore it from a backup)."""


class SaveFailed(SealedFileError):
    """Writing failed (disk full, read-only, no permission); nothing was saved and nothing
    was left behind. ``errno`` is the operating system's error number, if it gave one."""

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


class ContentConflict(SealedFileError):
    """The content store already holds these bytes, but not for this record."""


def _check_key(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(key) != KEY_BYTES:
        raise ValueError(f"a sealed-file key is {KEY_BYTES} bytes, not {len(key)}")
    return AESGCM(key)


def _new_nonce() -> bytes:
    return secrets.token_bytes(NONCE_BYTES)


def seal(data: bytes, key: bytes, associated: bytes) -> bytes:
    """``data`` encrypted and authenticated under ``key``, bound to ``associated``."""
    aead = _check_key(key)
    nonce = _new_nonce()
    return HEADER + nonce + aead.encrypt(nonce, data, HEADER + associated)


def unseal(blob: bytes, key: bytes, associated: bytes, *, name: str | None = None) -> bytes:
    """The data sealed in ``blob``; ``SealBroken`` unless ``blob`` is exactly what ``seal``
    made with this key and this associated data. ``name`` goes into the message."""
    from cryptography.exceptions import InvalidTag

    aead = _check_key(key)
    if len(blob) < OVERHEAD:
        raise SealBroken(name, f"too short ({len(blob)} bytes)")
    header = blob[: len(HEADER)]
    if header[: len(MAGIC)] != MAGIC:
        raise SealBroken(name, "not a sealed file")
    if header[len(MAGIC)] != FORMAT:
        raise SealBroken(name, f"unknown format {header[len(MAGIC)]}")
    nonce = blob[len(HEADER) : len(HEADER) + NONCE_BYTES]
    try:
        return aead.decrypt(nonce, blob[len(HEADER) + NONCE_BYTES :], header + associated)
    except InvalidTag:
        raise SealBroken(name, "authentication failed") from None


# -- files --------------------------------------------------------------------------------


def describe_write_error(exc: OSError, path: Path) -> str:
    """A message a receptionist can act on for a failed file write."""
    folder = path.parent
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return (
            f"The disk is full ({folder}), so nothing was saved. Free some space there and "
            "try again."
        )
    if exc.errno == errno.EROFS:
        return f"The folder {folder} is on read-only storage, so nothing was saved."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"ClinicDesk may not write in the folder {folder}, so nothing was saved. "
            "Check the folder's permissions."
        )
    if exc.errno == errno.ENOENT:
        return f"The folder {folder} does not exist, so nothing was saved."
    detail = exc.strerror or type(exc).__name__
    return f"The file {path} could not be saved ({detail}), so nothing was saved."


def fsync_directory(folder: Path) -> None:
    """Make a rename or a new entry in ``folder`` durable. Not possible on Windows, where
    opening a folder fails; NTFS journals the rename itself."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # a regular file does not do this, but never loop forever
            raise OSError(errno.EIO, "the write made no progress")
        view = view[written:]


def write_durably(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically: temp file in the same folder, fsync, rename,
    fsync the folder. On failure ``path`` is as it was and the temp file is gone; an OSError
    becomes ``SaveFailed``. ``sync=False`` (caches that can be rebuilt) keeps the atomic rename
    but skips the fsyncs: after a power cut the file may be missing or torn, never half-new."""
    path = Path(path)
    temp: str | None = None
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
        try:
            _write_all(fd, data)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
        temp = None
    except OSError as exc:
        raise SaveFailed(describe_write_error(exc, path), exc.errno) from exc
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    if sync:
        fsync_directory(path.parent)


def write_sealed(
    path: Path, data: bytes, key: bytes, associated: bytes, *, sync: bool = True
) -> None:
    """Seal ``data`` and write it to ``path`` atomically (see ``write_durably``)."""
    write_durably(Path(path), seal(data, key, associated), sync=sync)


def read_sealed(path: Path, key: bytes, associated: bytes) -> bytes:
    """The data sealed in the file at ``path``; ``SealBroken`` if it does not open,
    ``SealedFileMissing`` if it is not there, ``SealedFileError`` if it cannot be read."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise SealedFileMissing(f"The file {path} is missing; restore it from a backup.") from None
    except OSError as exc:
        detail = exc.strerror or type(exc).__name__
        raise SealedFileError(f"The file {path} could not be read ({detail}).") from exc
    return unseal(blob, key, associated, name=str(path))


# -- content-addressed store --------------------------------------------------------------


def _check_sha256(sha256: str) -> str:
    if not _SHA256_HEX.fullmatch(sha256):
        raise ValueError(f"not a lowercase sha256 hex digest: {sha256!r}")
    return sha256


@dataclass
class StoreListing:
    """What ``ContentStore.scan`` found: originals by sha256, and temp files of writes that
    never finished."""

    originals: dict[str, Path] = field(default_factory=dict)
    temp_files: list[Path] = field(default_factory=list)


class ContentStore:
    """Files named by the sha256 of their original bytes: ``root/<sha[:2]>/<sha>``, sealed
    with associated data that binds both that sha256 and the owning record's id.

    Photos: ``ContentStore(paths.photos, derive_subkey(data_key, "photos"))``, with the photo
    record's id. Each record's content is stored once; the same bytes for *another* record are
    refused (``ContentConflict``), since the one file can belong to only one record.
    """

    def __init__(self, root: Path, key: bytes) -> None:
        _check_key(key)
        self.root = Path(root)
        self._key = key

    def path_of(self, sha256: str) -> Path:
        _check_sha256(sha256)
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    @staticmethod
    def _associated(sha256: str, record_id: str) -> bytes:
        if not record_id:
            raise ValueError("a record id is required")
        # The sha256 has a fixed length, so the record id that follows cannot blur into it.
        return f"clinicdesk content\x00{sha256}\x00{record_id}".encode()

    def put(self, data: bytes, record_id: str, *, sha256: str | None = None) -> str:
        """Store ``data`` for ``record_id``; returns the sha256 hex of ``data`` (the caller may
        pass it in when it has just computed it). Putting the same bytes again for the same
        record changes nothing. Raises ``SaveFailed`` (nothing left behind) or
        ``ContentConflict`` (the file there does not open for this record)."""
        if sha256 is None:
            sha256 = hashlib.sha256(data).hexdigest()
        associated = self._associated(sha256, record_id)
        path = self.path_of(sha256)
        if path.exists():
            try:
                self._read_checked(path, sha256, associated)
            except SealBroken:
                raise ContentConflict(
                    "This file is already stored for another record (or the stored copy is "
                    "damaged), so it was not saved again."
                ) from None
            return sha256
        folder = path.parent
        if not folder.is_dir():
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SaveFailed(describe_write_error(exc, path), exc.errno) from exc
            fsync_directory(folder.parent)
        write_sealed(path, data, self._key, associated)
        return sha256

    @staticmethod
    def scan(root: Path) -> StoreListing:
        """The originals and temp files under ``root``: one listing of each ``xx`` folder,
        no file opened or read."""
        return _scan_store(Path(root))

    @staticmethod
    def clear(
        listing: StoreListing, referenced: Collection[str], *, older_than: float, move_to: Path
    ) -> int:
        """Move each original of ``listing`` not in ``referenced`` to ``move_to`` and delete
        each temp file, both only when last changed before ``older_than`` (a time stamp), so
        a write under way is left alone. Returns how many files were moved or deleted."""
        return _clear_store(listing, referenced, older_than=older_than, move_to=move_to)

    def discard(self, sha256: str) -> None:
        """Remove a file this program has just stored and not yet pointed a record at (an
        import whose check then refused it). Never for a file a record points at."""
        with contextlib.suppress(OSError):
            self.path_of(sha256).unlink()

    def get(self, sha256: str, record_id: str) -> bytes:
        """The original bytes; ``SealBroken`` unless the file opens for this sha256 and record
        and its content hashes to ``sha256``; ``SealedFileMissing`` if it is not there."""
        return self._read_checked(self.path_of(sha256), sha256, self._associated(sha256, record_id))

    def _read_checked(self, path: Path, sha256: str, associated: bytes) -> bytes:
        data = read_sealed(path, self._key, associated)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise SealBroken(str(path), "content does not match its sha256")
        return data


def _scan_store(root: Path) -> StoreListing:
    listing = StoreListing()
    try:
        shards = [e for e in os.scandir(root) if _SHARD.fullmatch(e.name)]
    except FileNotFoundError:
        return listing
    for shard in shards:
        if not shard.is_dir(follow_symlinks=False):
            continue
        for entry in os.scandir(shard.path):
            if not entry.is_file(follow_symlinks=False):
                continue
            if _SHA256_HEX.fullmatch(entry.name) and entry.name.startswith(shard.name):
                listing.originals[entry.name] = Path(entry.path)
            elif entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
                listing.temp_files.append(Path(entry.path))
    return listing


def _clear_store(
    listing: StoreListing, referenced: Collection[str], *, older_than: float, move_to: Path
) -> int:
    cleared = 0
    for sha256, path in listing.originals.items():
        if sha256 in referenced:
            continue
        with contextlib.suppress(OSError):
            if path.stat().st_mtime >= older_than:
                continue
            move_to.mkdir(parents=True, exist_ok=True)
            os.replace(path, move_to / sha256)
            cleared += 1
    for path in listing.temp_files:
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < older_than:
                path.unlink()
                cleared += 1
    return cleared
