"""The backup archive file: one stream, encrypted and authenticated piece by piece.

Layout (every integer big-endian)::

    b"CDBACKUP" | format (u16) | header length (u32) | header JSON | sha256 of all before it
    frames...

The header is plain (it must be read before any key exists): the archive's id, when it was
made, the ClinicDesk and schema version that made it, and the clinic's key ring as its file
held it (wrapped keys only: a password or the recovery key unwraps the data key on a new PC;
the user names of the slots are readable). Its sha256 catches a damaged header before anyone
is told their password is wrong, and the header's digest is in the associated data of every
frame, so an edited header (a swapped key ring, a changed date) fails as a whole.

Each frame is ``kind (1) | flags (1) | length (u32) | sealed blob`` (``sealed_files.seal``,
AES-256-GCM with a random nonce, under ``archive_key(data_key)``). The kinds:

- ``M`` starts member number *i*: its name and size, as JSON.
- ``C`` is one chunk (at most ``CHUNK_BYTES``) of the current member; every member has at
  least one, and its last carries ``LAST``. The associated data binds the header digest, the
  member's number and name, the chunk's number and the last flag, so chunks moved, dropped,
  repeated or spliced in from another archive (or another member) fail to open.
- ``F`` is the sealed manifest, last in the file, bound to the number of members: what the
  archive holds (each member's size and the sha256 of its bytes) and what the service adds
  (versions, site, counts per table, the audit chain's head). Anything after it, or a file
  that ends before it, is refused.

Nothing is held whole in memory: a member is read and written one chunk at a time.

API: ``ArchiveWriter(handle, data_key, header_fields)`` then ``add(name, source, size)`` per
member and ``finish(manifest)``; ``read_header(handle)`` then ``read_members(handle, header,
data_key, open_member)``, which returns the manifest once every member has been read and
checked. Failures are ``ArchiveDamaged`` (``ArchiveTooNew`` for a newer format), each naming
the problem.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from clinicdesk.errors import UserError
from clinicdesk.storage.keys import derive_subkey
from clinicdesk.storage.sealed_files import OVERHEAD, SealBroken, Sealer

MAGIC = b"CDBACKUP"
FORMAT_VERSION = 1
SUFFIX = ".cdbackup"
CHUNK_BYTES = 1 << 20
LAST = 1
_MEMBER, _CHUNK, _MANIFEST = b"M", b"C", b"F"
_FRAME = struct.Struct(">ccI")
_PREFIX = struct.Struct(">8sHI")
_MAX_HEADER = 16 << 20
_MAX_NAME_FRAME = 64 << 10
_MAX_MANIFEST = 512 << 20
ARCHIVE_PURPOSE = "backup archive"

# A progress hook: called with how many more bytes of member data were handled.
OnBytes = Callable[[int], None]


class ArchiveDamaged(UserError):
    """The file is not a whole, unchanged ClinicDesk backup (or not one at all)."""


class ArchiveTooNew(ArchiveDamaged):
    """The archive was written by a newer ClinicDesk, whose format this one cannot read."""


def archive_key(data_key: bytes) -> bytes:
    """The key archives are sealed with: the clinic's data key's subkey for this one purpose."""
    return derive_subkey(data_key, ARCHIVE_PURPOSE)


@dataclass(frozen=True)
class ArchiveHeader:
    """The archive's plain header. ``fields`` holds ``archive_id``, ``created_at`` and what the
    writer added (versions, the key ring's text); ``digest`` binds every frame to it."""

    format: int
    fields: dict[str, Any]
    digest: bytes

    @property
    def archive_id(self) -> str:
        return str(self.fields.get("archive_id", ""))

    @property
    def created_at(self) -> str:
        return str(self.fields.get("created_at", ""))


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    sha256: str


def _aad(digest: bytes, kind: bytes, flags: int, index: int, chunk: int, name: str) -> bytes:
    numbers = struct.pack(">II", index, chunk)
    return b"clinicdesk backup\x00" + digest + kind + bytes([flags]) + numbers + name.encode()


class ArchiveWriter:
    """Writes one archive to ``handle`` (a binary file open for writing, at its start)."""

    def __init__(self, handle: IO[bytes], data_key: bytes, fields: dict[str, Any]) -> None:
        self._out = handle
        self._sealer = Sealer(archive_key(data_key))
        body = {**fields, "archive_id": fields.get("archive_id") or secrets.token_hex(16)}
        text = json.dumps(body, sort_keys=True).encode("utf-8")
        prefix = _PREFIX.pack(MAGIC, FORMAT_VERSION, len(text)) + text
        self._digest = hashlib.sha256(prefix).digest()
        self.header = ArchiveHeader(FORMAT_VERSION, body, self._digest)
        handle.write(prefix + self._digest)
        self.members: list[Member] = []

    def _frame(self, kind: bytes, flags: int, plain: bytes, aad: bytes) -> None:
        head, body = self._sealer.seal_parts(plain, aad)
        # Written in two parts: a chunk's megabyte is not copied again to join them.
        self._out.write(_FRAME.pack(kind, bytes([flags]), len(head) + len(body)) + head)
        self._out.write(body)

    def add(
        self,
        name: str,
        source: IO[bytes],
        *,
        on_bytes: OnBytes | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Member:
        """Add the rest of ``source`` as member ``name``, one chunk at a time. ``cancelled``
        is asked before each chunk; when it says so, ``BackupStopped`` is raised."""
        index = len(self.members)
        start = json.dumps({"name": name}).encode("utf-8")
        self._frame(_MEMBER, 0, start, _aad(self._digest, _MEMBER, 0, index, 0, ""))
        digest = hashlib.sha256()
        size = 0
        chunk_no = 0
        chunk = source.read(CHUNK_BYTES)
        while True:
            if cancelled is not None and cancelled():
                raise BackupStopped("The backup was cancelled; no archive was left behind.")
            following = source.read(CHUNK_BYTES) if len(chunk) == CHUNK_BYTES else b""
            flags = 0 if following else LAST
            digest.update(chunk)
            self._frame(
                _CHUNK, flags, chunk, _aad(self._digest, _CHUNK, flags, index, chunk_no, name)
            )
            size += len(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
            if flags == LAST:
                break
            chunk, chunk_no = following, chunk_no + 1
        member = Member(name, size, digest.hexdigest())
        self.members.append(member)
        return member

    def finish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Write the manifest (``manifest`` plus every member's size and sha256) last."""
        full = {
            **manifest,
            "members": [{"name": m.name, "size": m.size, "sha256": m.sha256} for m in self.members],
        }
        plain = json.dumps(full, sort_keys=True).encode("utf-8")
        count = len(self.members)
        self._frame(_MANIFEST, LAST, plain, _aad(self._digest, _MANIFEST, LAST, count, 0, ""))
        return full


class BackupStopped(UserError):
    """Cancelled by the person who started it; nothing was left behind."""


def _read_exactly(handle: IO[bytes], size: int, what: str) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise ArchiveDamaged(
            f"The backup file ends early (it was cut short while {what}): it is incomplete "
            "and cannot be used."
        )
    return data


def read_header(handle: IO[bytes]) -> ArchiveHeader:
    """The plain header; ``ArchiveDamaged`` when the file is not a backup or its header was
    changed, ``ArchiveTooNew`` when a newer ClinicDesk wrote it."""
    raw = handle.read(_PREFIX.size)
    if len(raw) < len(MAGIC) or raw[: len(MAGIC)] != MAGIC:
        raise ArchiveDamaged("This file is not a ClinicDesk backup.")
    if len(raw) < _PREFIX.size:
        raise ArchiveDamaged("The backup file ends early (in its header): it is incomplete.")
    _magic, version, length = _PREFIX.unpack(raw)
    if version > FORMAT_VERSION:
        raise ArchiveTooNew(
            f"This backup was made by a newer version of ClinicDesk (archive format {version}; "
            f"this version reads up to {FORMAT_VERSION}). Install the newer ClinicDesk to "
            "restore it; nothing was changed."
        )
    if version < 1 or length > _MAX_HEADER:
        raise ArchiveDamaged("The backup's header is damaged, so the file cannot be used.")
    text = _read_exactly(handle, length, "reading its header")
    digest = _read_exactly(handle, 32, "reading its header")
    if hashlib.sha256(raw + text).digest() != digest:
        raise ArchiveDamaged(
            "The backup's header is damaged (its checksum does not match), so the file cannot "
            "be used."
        )
    try:
        fields = json.loads(text)
    except ValueError:
        raise ArchiveDamaged(
            "The backup's header is damaged, so the file cannot be used."
        ) from None
    if not isinstance(fields, dict):
        raise ArchiveDamaged("The backup's header is damaged, so the file cannot be used.")
    return ArchiveHeader(version, fields, digest)


class _Reader:
    def __init__(self, handle: IO[bytes], header: ArchiveHeader, key: bytes) -> None:
        self.handle = handle
        self.header = header
        self.sealer = Sealer(key)
        self.member_name = "the start of the archive"

    def frame(self, limit: int) -> tuple[bytes, int, bytes] | None:
        raw = self.handle.read(_FRAME.size)
        if not raw:
            return None
        if len(raw) < _FRAME.size:
            self.truncated()
        kind, flags, length = _FRAME.unpack(raw)
        if kind not in (_MEMBER, _CHUNK, _MANIFEST) or length < OVERHEAD or length > limit:
            raise ArchiveDamaged(
                f"The backup is damaged near {self.member_name}: the file was changed "
                "after it was written, so it cannot be used."
            )
        blob = self.handle.read(length)
        if len(blob) != length:
            self.truncated()
        return kind, flags[0], blob

    def truncated(self) -> None:
        raise ArchiveDamaged(
            f"The backup file ends early (cut short in {self.member_name}): it is incomplete "
            "and cannot be used."
        )

    def open(self, blob: bytes, aad: bytes) -> bytes:
        try:
            return self.sealer.unseal(blob, aad)
        except SealBroken:
            raise ArchiveDamaged(
                f"The backup is damaged in {self.member_name}: its contents do not match what "
                "was written (a changed byte, or parts moved or swapped), so it cannot be used."
            ) from None


def read_members(
    handle: IO[bytes],
    header: ArchiveHeader,
    data_key: bytes,
    open_member: Callable[[str], IO[bytes] | None],
    *,
    on_bytes: OnBytes | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Read every member after ``header``, authenticating each chunk; ``open_member(name)``
    gives where its bytes go (or None to only check them). Returns the manifest, after
    checking that it lists exactly the members read, with their sizes and sha256s.

    A wrong ``data_key`` fails on the first frame as damage would; the caller unlocked the
    key from this archive's own key ring, so that does not happen for a sound file."""
    reader = _Reader(handle, header, archive_key(data_key))
    digest = header.digest
    seen: list[Member] = []
    while True:
        if cancelled is not None and cancelled():
            raise BackupStopped("Stopped; nothing was changed.")
        got = reader.frame(_MAX_MANIFEST)
        if got is None:
            reader.member_name = f"the end (after {len(seen)} files)"
            reader.truncated()
            raise AssertionError("unreachable")
        kind, flags, blob = got
        index = len(seen)
        if kind == _MANIFEST:
            reader.member_name = "its list of contents"
            plain = reader.open(blob, _aad(digest, _MANIFEST, flags, index, 0, ""))
            if handle.read(1):
                raise ArchiveDamaged(
                    "The backup has extra data after its end: it was changed after it was "
                    "written, so it cannot be used."
                )
            return _checked_manifest(plain, seen)
        if kind != _MEMBER or len(blob) > _MAX_NAME_FRAME:
            raise ArchiveDamaged(
                f"The backup is damaged after {reader.member_name}: parts are missing or out "
                "of order, so it cannot be used."
            )
        start = json.loads(reader.open(blob, _aad(digest, _MEMBER, flags, index, 0, "")))
        name = str(start["name"])
        reader.member_name = name
        sink = open_member(name)
        seen.append(_read_chunks(reader, index, name, sink, on_bytes, cancelled))


def _read_chunks(
    reader: _Reader,
    index: int,
    name: str,
    sink: IO[bytes] | None,
    on_bytes: OnBytes | None,
    cancelled: Callable[[], bool] | None,
) -> Member:
    sha = hashlib.sha256()
    size = 0
    chunk_no = 0
    while True:
        if cancelled is not None and cancelled():
            raise BackupStopped("Stopped; nothing was changed.")
        got = reader.frame(CHUNK_BYTES + OVERHEAD)
        if got is None:
            reader.truncated()
            raise AssertionError("unreachable")
        kind, flags, blob = got
        if kind != _CHUNK:
            raise ArchiveDamaged(
                f"The backup is damaged in {name}: parts of it are missing, so it cannot be used."
            )
        data = reader.open(blob, _aad(reader.header.digest, _CHUNK, flags, index, chunk_no, name))
        sha.update(data)
        size += len(data)
        if sink is not None:
            sink.write(data)
        if on_bytes is not None:
            on_bytes(len(data))
        if flags & LAST:
            return Member(name, size, sha.hexdigest())
        chunk_no += 1


def _checked_manifest(plain: bytes, seen: list[Member]) -> dict[str, Any]:
    try:
        manifest = json.loads(plain)
        listed = [
            Member(str(m["name"]), int(m["size"]), str(m["sha256"])) for m in manifest["members"]
        ]
    except (ValueError, KeyError, TypeError):
        raise ArchiveDamaged("The backup's list of contents cannot be read.") from None
    if listed != seen:
        missing = sorted({m.name for m in listed} - {m.name for m in seen})
        what = f" ({missing[0]} is missing)" if missing else ""
        raise ArchiveDamaged(
            f"The backup does not hold what its list of contents says{what}, so it cannot be used."
        )
    if not isinstance(manifest, dict):
        raise ArchiveDamaged("The backup's list of contents cannot be read.")
    return manifest


def member_names(handle: IO[bytes], header: ArchiveHeader, data_key: bytes) -> list[str]:
    """The names of the archive's members, in order, read without reading their contents:
    only each member's opening frame is decrypted, the chunks are stepped over. For finding
    which backup holds a file; it does not check the chunks (``read_members`` does)."""
    reader = _Reader(handle, header, archive_key(data_key))
    names: list[str] = []
    while True:
        raw = handle.read(_FRAME.size)
        if len(raw) < _FRAME.size:
            reader.member_name = f"the end (after {len(names)} files)"
            reader.truncated()
        kind, flags, length = _FRAME.unpack(raw)
        if kind == _MANIFEST:
            return names
        if kind == _CHUNK and OVERHEAD <= length <= CHUNK_BYTES + OVERHEAD:
            handle.seek(length, 1)
            continue
        if kind != _MEMBER or not OVERHEAD <= length <= _MAX_NAME_FRAME:
            raise ArchiveDamaged(
                f"The backup is damaged near {reader.member_name}: the file was changed "
                "after it was written, so it cannot be used."
            )
        blob = _read_exactly(handle, length, "reading a file's name")
        aad = _aad(header.digest, _MEMBER, flags[0], len(names), 0, "")
        name = str(json.loads(reader.open(blob, aad))["name"])
        reader.member_name = name
        names.append(name)
