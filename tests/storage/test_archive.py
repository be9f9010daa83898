"""The archive format: streamed in chunks, and every reordering, splice or cut is refused."""

from __future__ import annotations

import io
import os

import pytest

from clinicdesk.storage import archive
from clinicdesk.storage.archive import ArchiveDamaged, ArchiveWriter, read_header, read_members

KEY = bytes(range(32))


class Counting(io.BytesIO):
    """A source that remembers the largest read asked of it."""

    largest = 0

    def read(self, size: int | None = -1) -> bytes:
        self.largest = max(self.largest, size if size is not None and size >= 0 else 1 << 62)
        return super().read(size)


def write(monkeypatch: pytest.MonkeyPatch, members: dict[str, bytes]) -> tuple[bytes, int]:
    monkeypatch.setattr(archive, "CHUNK_BYTES", 64)
    out = io.BytesIO()
    writer = ArchiveWriter(out, KEY, {"created_at": "2026-06-15T09:00:00+00:00"})
    largest = 0
    for name, data in members.items():
        source = Counting(data)
        writer.add(name, source)
        largest = max(largest, source.largest)
    writer.finish({"note": "test"})
    return out.getvalue(), largest


def read(blob: bytes) -> tuple[dict[str, object], dict[str, bytes]]:
    handle = io.BytesIO(blob)
    header = read_header(handle)
    got: dict[str, io.BytesIO] = {}

    def sink(name: str) -> io.BytesIO:
        got[name] = io.BytesIO()
        return got[name]

    manifest = read_members(handle, header, KEY, sink)
    return manifest, {name: b.getvalue() for name, b in got.items()}


def test_members_round_trip_read_and_written_one_chunk_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members = {"clinicdesk.db": os.urandom(1000), "photos/ab/empty": b"", "x": b"y" * 64}
    blob, largest = write(monkeypatch, members)
    assert largest <= 64  # never the whole file at once
    manifest, got = read(blob)
    assert got == members
    assert manifest["note"] == "test"
    assert [m["name"] for m in manifest["members"]] == list(members)  # type: ignore[index, union-attr]


def test_swapped_chunks_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    blob, _ = write(monkeypatch, {"clinicdesk.db": os.urandom(200)})
    handle = io.BytesIO(blob)
    read_header(handle)
    start = handle.tell()
    frames = []
    position = start
    while position < len(blob):
        length = int.from_bytes(blob[position + 2 : position + 6], "big")
        frames.append(blob[position : position + 6 + length])
        position += 6 + length
    frames[1], frames[2] = frames[2], frames[1]  # two chunks of the one member
    with pytest.raises(ArchiveDamaged, match=r"damaged in clinicdesk\.db"):
        read(blob[:start] + b"".join(frames))
    without_last_chunk = frames[:1] + [frames[2], frames[1]][:1] + frames[-1:]
    with pytest.raises(ArchiveDamaged):
        read(blob[:start] + b"".join(without_last_chunk))
