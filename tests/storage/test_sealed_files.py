"""Sealed (AES-GCM) files and the content-addressed store (RELIABILITY rows 11 and 26).

Row 11: a photo file tampered with, truncated, swapped with another or moved to another record
is refused, never shown. Row 26: a write that fails (disk full) leaves neither a partial file
nor a temp file, and the error says what to do.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicdesk.errors import UserError
from clinicdesk.storage import sealed_files
from clinicdesk.storage.keys import derive_subkey, new_data_key
from clinicdesk.storage.sealed_files import (
    HEADER,
    NONCE_BYTES,
    OVERHEAD,
    ContentConflict,
    ContentStore,
    SaveFailed,
    SealBroken,
    SealedFileMissing,
    read_sealed,
    seal,
    unseal,
    write_sealed,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
AAD = b"photo 0190-a"
# A small JPEG-looking payload: the SOI/APP0 markers, then something identifying.
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"Patient Jane Example, crown view" * 4


def disk_full(folder: Path) -> str:
    """The message, naming where space must be freed."""
    return (
        f"The disk is full ({folder}), so nothing was saved. Free some space there and try again."
    )


@pytest.fixture
def store(tmp_path: Path) -> ContentStore:
    return ContentStore(tmp_path / "photos", derive_subkey(new_data_key(), "photos"))


def flip_bit(blob: bytes, bit: int) -> bytes:
    changed = bytearray(blob)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# -- seal / unseal --------------------------------------------------------------------------


def test_round_trip_and_layout() -> None:
    blob = seal(FAKE_JPEG, KEY, AAD)
    assert blob.startswith(b"CDS\x01") and HEADER == b"CDS\x01"
    assert len(blob) == len(FAKE_JPEG) + OVERHEAD == len(FAKE_JPEG) + 4 + 12 + 16
    assert unseal(blob, KEY, AAD) == FAKE_JPEG
    assert unseal(seal(b"", KEY, b""), KEY, b"") == b""


@given(st.binary(max_size=2000), st.binary(max_size=100))
def test_round_trip_any_bytes(data: bytes, associated: bytes) -> None:
    assert unseal(seal(data, KEY, associated), KEY, associated) == data


def test_each_seal_uses_a_fresh_nonce() -> None:
    first, second = seal(FAKE_JPEG, KEY, AAD), seal(FAKE_JPEG, KEY, AAD)
    assert first != second
    nonce = slice(len(HEADER), len(HEADER) + NONCE_BYTES)
    assert first[nonce] != second[nonce]


def test_flipping_any_single_bit_is_refused() -> None:
    blob = seal(FAKE_JPEG[:40], KEY, AAD)
    for bit in range(len(blob) * 8):
        with pytest.raises(SealBroken):
            unseal(flip_bit(blob, bit), KEY, AAD)


def test_wrong_key_or_associated_data_is_refused() -> None:
    blob = seal(FAKE_JPEG, KEY, AAD)
    with pytest.raises(SealBroken) as caught:
        unseal(blob, OTHER_KEY, AAD)
    assert caught.value.reason == "authentication failed"
    with pytest.raises(SealBroken):
        unseal(blob, KEY, b"photo 0190-b")
    with pytest.raises(SealBroken):
        unseal(blob, KEY, b"")


@pytest.mark.parametrize("keep", [0, 1, 3, 4, 16, OVERHEAD - 1, OVERHEAD, -1, -16])
def test_truncated_blob_is_refused(keep: int) -> None:
    blob = seal(FAKE_JPEG, KEY, AAD)
    with pytest.raises(SealBroken):
        unseal(blob[:keep], KEY, AAD)


def test_wrong_magic_or_format_is_refused() -> None:
    blob = seal(FAKE_JPEG, KEY, AAD)
    with pytest.raises(SealBroken) as caught:
        unseal(b"XYZ" + blob[3:], KEY, AAD)
    assert caught.value.reason == "not a sealed file"
    with pytest.raises(SealBroken) as caught:
        unseal(b"CDS\x02" + blob[4:], KEY, AAD)
    assert caught.value.reason == "unknown format 2"
    with pytest.raises(SealBroken):
        unseal(FAKE_JPEG, KEY, AAD)  # a plain, unsealed file


def test_seal_broken_is_a_plain_user_error() -> None:
    with pytest.raises(SealBroken) as caught:
        unseal(b"", KEY, AAD, name="photos/ab/abcd")
    assert isinstance(caught.value, UserError)
    assert caught.value.message == (
        "The file photos/ab/abcd was changed or damaged, or belongs to another record; "
        "it was not shown."
    )


def test_keys_must_be_256_bits() -> None:
    with pytest.raises(ValueError):
        seal(b"x", KEY[:16], AAD)
    with pytest.raises(ValueError):
        ContentStore(Path("photos"), KEY[:31])


# -- files ----------------------------------------------------------------------------------


def test_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "one"
    write_sealed(path, FAKE_JPEG, KEY, AAD)
    assert read_sealed(path, KEY, AAD) == FAKE_JPEG
    write_sealed(path, b"replaced", KEY, AAD)
    assert read_sealed(path, KEY, AAD) == b"replaced"
    assert files_under(tmp_path) == ["one"]


def test_file_holds_neither_the_plaintext_nor_a_jpeg_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fixed nonce with the fixed key makes the ciphertext, and so this test, deterministic.
    monkeypatch.setattr(sealed_files, "_new_nonce", lambda: bytes(NONCE_BYTES))
    path = tmp_path / "one"
    write_sealed(path, FAKE_JPEG, KEY, AAD)
    stored = path.read_bytes()
    assert FAKE_JPEG not in stored
    assert b"\xff\xd8\xff" not in stored
    assert b"JFIF" not in stored
    assert b"Jane" not in stored and b"Example" not in stored


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SealedFileMissing, match="missing; restore it from a backup"):
        read_sealed(tmp_path / "gone", KEY, AAD)


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "one"
    write_sealed(path, FAKE_JPEG, KEY, AAD)
    whole = path.read_bytes()
    for keep in (0, 10, len(whole) // 2, len(whole) - 1):
        path.write_bytes(whole[:keep])
        with pytest.raises(SealBroken):
            read_sealed(path, KEY, AAD)


def disk_fills_after(nbytes: int) -> Callable[[int, bytes | memoryview], int]:
    """An ``os.write`` that really writes ``nbytes`` and then fails with ENOSPC."""
    real_write = os.write
    left = [nbytes]

    def write(fd: int, data: bytes | memoryview) -> int:
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = real_write(fd, data[: left[0]])
        left[0] -= written
        return written

    return write


def test_disk_full_leaves_no_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "write", disk_fills_after(20))
    with pytest.raises(SaveFailed) as caught:
        write_sealed(tmp_path / "one", FAKE_JPEG, KEY, AAD)
    assert isinstance(caught.value, UserError)
    assert caught.value.message == disk_full(tmp_path)
    assert caught.value.errno == errno.ENOSPC
    assert files_under(tmp_path) == []


def test_disk_full_keeps_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "one"
    write_sealed(path, b"first version", KEY, AAD)
    monkeypatch.setattr(os, "write", disk_fills_after(0))
    with pytest.raises(SaveFailed, match="disk is full"):
        write_sealed(path, FAKE_JPEG, KEY, AAD)
    assert read_sealed(path, KEY, AAD) == b"first version"
    assert files_under(tmp_path) == ["one"]


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_failure_after_writing_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    def fail(*args: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, step, fail)
    with pytest.raises(SaveFailed, match=r"could not be saved \(Input/output error\)"):
        write_sealed(tmp_path / "one", FAKE_JPEG, KEY, AAD)
    monkeypatch.undo()
    assert files_under(tmp_path) == []


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SaveFailed, match="does not exist, so nothing was saved"):
        write_sealed(tmp_path / "no-such-folder" / "one", FAKE_JPEG, KEY, AAD)


# -- content store --------------------------------------------------------------------------


def test_store_round_trip(store: ContentStore) -> None:
    sha = store.put(FAKE_JPEG, "photo-1")
    assert sha == hashlib.sha256(FAKE_JPEG).hexdigest()
    assert store.path_of(sha) == store.root / sha[:2] / sha
    assert store.exists(sha)
    assert not store.exists(hashlib.sha256(b"other").hexdigest())
    assert store.get(sha, "photo-1") == FAKE_JPEG
    assert files_under(store.root) == [f"{sha[:2]}/{sha}"]


def test_store_file_is_encrypted(store: ContentStore) -> None:
    stored = store.path_of(store.put(FAKE_JPEG, "photo-1")).read_bytes()
    assert stored.startswith(HEADER)
    assert b"Jane Example" not in stored and b"JFIF" not in stored


def test_store_put_again_for_the_same_record_changes_nothing(store: ContentStore) -> None:
    sha = store.put(FAKE_JPEG, "photo-1")
    before = store.path_of(sha).read_bytes()
    assert store.put(FAKE_JPEG, "photo-1") == sha
    assert store.path_of(sha).read_bytes() == before  # not even re-encrypted


def test_store_refuses_the_same_bytes_for_another_record(store: ContentStore) -> None:
    sha = store.put(FAKE_JPEG, "photo-1")
    with pytest.raises(ContentConflict, match="already stored for another record"):
        store.put(FAKE_JPEG, "photo-2")
    assert store.get(sha, "photo-1") == FAKE_JPEG


def test_store_ciphertext_moved_to_another_record_is_refused(store: ContentStore) -> None:
    sha = store.put(FAKE_JPEG, "photo-1")
    with pytest.raises(SealBroken):
        store.get(sha, "photo-2")


@pytest.mark.parametrize("owners", [("photo-1", "photo-2"), ("photo-1", "photo-1")])
def test_store_swapped_files_are_refused(store: ContentStore, owners: tuple[str, str]) -> None:
    # Whether the two photos belong to two records or to one, a swap is caught.
    first = store.put(FAKE_JPEG, owners[0])
    second = store.put(b"another photo", owners[1])
    a, b = store.path_of(first), store.path_of(second)
    a_bytes, b_bytes = a.read_bytes(), b.read_bytes()
    a.write_bytes(b_bytes)
    b.write_bytes(a_bytes)
    with pytest.raises(SealBroken):
        store.get(first, owners[0])
    with pytest.raises(SealBroken):
        store.get(second, owners[1])


def test_store_bit_flip_truncation_and_wrong_key_are_refused(
    store: ContentStore, tmp_path: Path
) -> None:
    sha = store.put(FAKE_JPEG, "photo-1")
    path = store.path_of(sha)
    whole = path.read_bytes()
    for bit in (0, 40, len(HEADER) * 8 + 3, len(whole) * 4, len(whole) * 8 - 1):
        path.write_bytes(flip_bit(whole, bit))
        with pytest.raises(SealBroken):
            store.get(sha, "photo-1")
    path.write_bytes(whole[:-1])
    with pytest.raises(SealBroken):
        store.get(sha, "photo-1")
    path.write_bytes(whole)
    assert store.get(sha, "photo-1") == FAKE_JPEG
    with pytest.raises(SealBroken):
        ContentStore(store.root, OTHER_KEY).get(sha, "photo-1")


def test_store_checks_the_content_hash(store: ContentStore) -> None:
    # A file that opens for the right sha256 and record, but holds other bytes (only someone
    # holding the key could make one: a bug, not an attacker), is still refused.
    sha = hashlib.sha256(FAKE_JPEG).hexdigest()
    path = store.path_of(sha)
    path.parent.mkdir(parents=True)
    write_sealed(path, b"not the photo", store._key, store._associated(sha, "photo-1"))
    with pytest.raises(SealBroken) as caught:
        store.get(sha, "photo-1")
    assert caught.value.reason == "content does not match its sha256"


def test_store_missing_file(store: ContentStore) -> None:
    with pytest.raises(SealedFileMissing):
        store.get(hashlib.sha256(b"never stored").hexdigest(), "photo-1")


def test_store_disk_full_leaves_no_file_and_no_temp(
    store: ContentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "write", disk_fills_after(30))
    with pytest.raises(SaveFailed) as caught:
        store.put(FAKE_JPEG, "photo-1")
    sha = hashlib.sha256(FAKE_JPEG).hexdigest()
    assert caught.value.message == disk_full(store.path_of(sha).parent)
    monkeypatch.undo()
    sha = hashlib.sha256(FAKE_JPEG).hexdigest()
    assert not store.exists(sha)
    assert files_under(store.root) == []
    # Once there is space again, the same put works.
    assert store.put(FAKE_JPEG, "photo-1") == sha
    assert store.get(sha, "photo-1") == FAKE_JPEG


@pytest.mark.parametrize("bad", ["", "ABCD", "../" + "a" * 61, "a" * 63, "A" * 64, "g" * 64])
def test_store_refuses_names_that_are_not_sha256(store: ContentStore, bad: str) -> None:
    with pytest.raises(ValueError):
        store.path_of(bad)


def test_store_needs_a_record_id(store: ContentStore) -> None:
    with pytest.raises(ValueError):
        store.put(FAKE_JPEG, "")


def test_photos_use_a_subkey_not_the_data_key(tmp_path: Path) -> None:
    data_key = new_data_key()
    photos = ContentStore(tmp_path, derive_subkey(data_key, "photos"))
    sha = photos.put(FAKE_JPEG, "photo-1")
    with pytest.raises(SealBroken):
        ContentStore(tmp_path, data_key).get(sha, "photo-1")
    with pytest.raises(SealBroken):
        ContentStore(tmp_path, derive_subkey(data_key, "thumbnails")).get(sha, "photo-1")
