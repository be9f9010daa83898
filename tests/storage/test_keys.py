"""The key ring (RELIABILITY rows 8-10, 12): one data key, wrapped per user and by a recovery key.

The tests read and edit the JSON file directly, as someone holding the laptop could.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clinicdesk.storage import keys
from clinicdesk.storage.keys import (
    KdfParameters,
    KeyRing,
    KeyRingError,
    WrongSecret,
    derive_subkey,
    format_recovery_key,
    new_data_key,
    parse_recovery_key,
)

PASSWORD = "correct horse"


@pytest.fixture
def ring_path(tmp_path: Path) -> Path:
    return tmp_path / "keyring.json"


@pytest.fixture
def made(ring_path: Path) -> tuple[KeyRing, bytes, str]:
    data_key = new_data_key()
    ring, recovery = KeyRing.create(ring_path, "clinic-1", data_key, "admin", PASSWORD)
    return ring, data_key, recovery


def load_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def save_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


def test_the_right_password_unwraps_the_data_key(
    made: tuple[KeyRing, bytes, str], ring_path: Path
) -> None:
    _, data_key, _ = made
    assert len(data_key) == 32
    assert KeyRing.load(ring_path).unlock("admin", PASSWORD) == data_key
    assert KeyRing.load(ring_path).usernames() == ["admin"]


def test_the_file_holds_neither_the_key_nor_the_password(
    made: tuple[KeyRing, bytes, str], ring_path: Path
) -> None:
    _, data_key, recovery = made
    text = ring_path.read_text(encoding="utf-8")
    raw = ring_path.read_bytes()
    assert data_key not in raw and data_key.hex() not in text
    assert keys._b64(data_key) not in text
    assert PASSWORD not in text
    assert recovery not in text and parse_recovery_key(recovery).hex() not in text
    assert not ring_path.with_name(ring_path.name + ".tmp").exists()


@pytest.mark.parametrize(("username", "password"), [("admin", "wrong"), ("mallory", PASSWORD)])
def test_a_wrong_password_or_unknown_user_unwraps_nothing(
    made: tuple[KeyRing, bytes, str], ring_path: Path, username: str, password: str
) -> None:
    before = ring_path.read_bytes()
    with pytest.raises(WrongSecret, match="user name or password is wrong"):
        KeyRing.load(ring_path).unlock(username, password)
    assert ring_path.read_bytes() == before


def test_a_slot_moved_to_another_users_name_does_not_open(
    made: tuple[KeyRing, bytes, str], ring_path: Path
) -> None:
    """Each slot's associated data names it: copying the admin's slot (salt, cost, wrapped key)
    under another user name, and giving the admin's password, must not unwrap the key."""
    data = load_json(ring_path)
    data["slots"]["user:mallory"] = dict(data["slots"]["user:admin"])
    save_json(ring_path, data)
    ring = KeyRing.load(ring_path)
    with pytest.raises(WrongSecret):
        ring.unlock("mallory", PASSWORD)
    assert ring.unlock("admin", PASSWORD) == made[1]  # the same bytes still open in place


def test_the_recovery_slot_cannot_be_passed_off_as_a_user_slot(
    made: tuple[KeyRing, bytes, str], ring_path: Path
) -> None:
    data = load_json(ring_path)
    data["slots"]["user:mallory"] = dict(data["slots"][keys.RECOVERY_SLOT])
    save_json(ring_path, data)
    with pytest.raises(WrongSecret):
        KeyRing.load(ring_path).unlock("mallory", "")


def test_the_recovery_key_opens_typed_in_lower_case_with_spaces(
    made: tuple[KeyRing, bytes, str], ring_path: Path
) -> None:
    _, data_key, recovery = made
    groups = recovery.split("-")
    assert len(groups) >= 13 and all(len(g) <= 4 for g in groups)
    typed = "  " + " ".join(groups).lower() + "\n"
    assert KeyRing.load(ring_path).unlock_with_recovery_key(typed) == data_key
    assert KeyRing.load(ring_path).unlock_with_recovery_key(recovery) == data_key


def test_a_wrong_recovery_key_fails_clearly(
    made: tuple[KeyRing, bytes, str], ring_path: Path
) -> None:
    other = format_recovery_key(new_data_key())
    with pytest.raises(WrongSecret, match="does not open this clinic"):
        KeyRing.load(ring_path).unlock_with_recovery_key(other)
    recovery = made[2]
    with pytest.raises(WrongSecret, match="incomplete"):
        KeyRing.load(ring_path).unlock_with_recovery_key(recovery[:-5])
    with pytest.raises(WrongSecret, match="not a recovery key"):
        KeyRing.load(ring_path).unlock_with_recovery_key("a")


def test_a_replaced_recovery_key_retires_the_old_one(
    made: tuple[KeyRing, bytes, str], ring_path: Path
) -> None:
    ring, data_key, old = made
    new = ring.replace_recovery_key(data_key)
    ring.save()
    assert new != old
    assert KeyRing.load(ring_path).unlock_with_recovery_key(new) == data_key
    with pytest.raises(WrongSecret):
        KeyRing.load(ring_path).unlock_with_recovery_key(old)


def test_a_new_password_replaces_the_old_one(
    made: tuple[KeyRing, bytes, str], ring_path: Path
) -> None:
    ring, data_key, _ = made
    ring.set_password("admin", "a new password", data_key)
    ring.set_password("clinician", "their password", data_key)
    ring.save()
    loaded = KeyRing.load(ring_path)
    assert loaded.unlock("admin", "a new password") == data_key
    assert loaded.unlock("clinician", "their password") == data_key
    with pytest.raises(WrongSecret):
        loaded.unlock("admin", PASSWORD)
    loaded.remove_user("clinician")
    loaded.save()
    with pytest.raises(WrongSecret):
        KeyRing.load(ring_path).unlock("clinician", "their password")


def test_an_existing_ring_is_never_overwritten(
    made: tuple[KeyRing, bytes, str], ring_path: Path
) -> None:
    before = ring_path.read_bytes()
    with pytest.raises(KeyRingError, match="already exists"):
        KeyRing.create(ring_path, "clinic-2", new_data_key(), "admin", PASSWORD)
    assert ring_path.read_bytes() == before


def _slot(data: dict[str, Any]) -> dict[str, Any]:
    slot: dict[str, Any] = data["slots"]["user:admin"]
    return slot


DAMAGE = {
    "not JSON": lambda text, data: text[: len(text) // 2],
    "empty": lambda text, data: "",
    "a list": lambda text, data: "[]",
    "no format": lambda text, data: json.dumps({k: v for k, v in data.items() if k != "format"}),
    "slots a list": lambda text, data: json.dumps(data | {"slots": []}),
    "a slot a string": lambda text, data: json.dumps(data | {"slots": {"user:admin": "x"}}),
    "bad base64": lambda text, data: text.replace(_slot(data)["wrapped"], "!!not base64!!"),
    "short salt": lambda text, data: text.replace(_slot(data)["salt"], keys._b64(b"salt")),
    "empty nonce": lambda text, data: text.replace(_slot(data)["nonce"], ""),
    "zero cost": lambda text, data: text.replace('"time_cost": 1', '"time_cost": 0'),
    "cost as text": lambda text, data: text.replace('"time_cost": 1', '"time_cost": "1"'),
    "not UTF-8": lambda text, data: "\udcff",
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_key_file_is_a_clear_error(
    made: tuple[KeyRing, bytes, str], ring_path: Path, damage: str
) -> None:
    text = ring_path.read_text(encoding="utf-8")
    damaged = DAMAGE[damage](text, json.loads(text))
    assert damaged != text
    ring_path.write_bytes(damaged.encode("utf-8", "surrogateescape"))
    with pytest.raises(KeyRingError, match="is damaged") as caught:
        KeyRing.load(ring_path).unlock("admin", PASSWORD)
    assert type(caught.value) is KeyRingError  # not "wrong password": the file is the problem
    assert "restore it from a backup" in caught.value.message


def test_a_missing_key_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="is missing"):
        KeyRing.load(tmp_path / "keyring.json")


def test_a_key_file_from_a_newer_program_says_so(
    made: tuple[KeyRing, bytes, str], ring_path: Path
) -> None:
    save_json(ring_path, load_json(ring_path) | {"format": keys.FORMAT_VERSION + 1})
    with pytest.raises(KeyRingError, match="newer ClinicDesk"):
        KeyRing.load(ring_path)


def test_a_flipped_bit_in_a_wrapped_key_unwraps_nothing(
    made: tuple[KeyRing, bytes, str], ring_path: Path
) -> None:
    data = load_json(ring_path)
    wrapped = bytearray(keys._unb64(_slot(data)["wrapped"]))
    wrapped[3] ^= 0x01
    _slot(data)["wrapped"] = keys._b64(bytes(wrapped))
    save_json(ring_path, data)
    with pytest.raises(WrongSecret):
        KeyRing.load(ring_path).unlock("admin", PASSWORD)


def test_a_slot_made_with_older_kdf_costs_is_rewrapped_at_sign_in(
    made: tuple[KeyRing, bytes, str], ring_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data_key, _ = made
    old = _slot(load_json(ring_path))
    recovery_before = load_json(ring_path)["slots"][keys.RECOVERY_SLOT]
    stronger = KdfParameters(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(keys, "KDF", stronger)

    with pytest.raises(WrongSecret):  # a wrong password changes nothing
        KeyRing.load(ring_path).unlock("admin", "wrong")
    assert _slot(load_json(ring_path)) == old

    assert KeyRing.load(ring_path).unlock("admin", PASSWORD) == data_key
    new = _slot(load_json(ring_path))
    assert old["kdf"] == {
        "algorithm": "argon2id",
        "time_cost": 1,
        "memory_cost": 8,
        "parallelism": 1,
    }
    assert new["kdf"] == {
        "algorithm": "argon2id",
        "time_cost": 2,
        "memory_cost": 16,
        "parallelism": 1,
    }
    assert new["salt"] != old["salt"] and new["wrapped"] != old["wrapped"]
    assert load_json(ring_path)["slots"][keys.RECOVERY_SLOT] == recovery_before
    # Still the same key, and now without another rewrap.
    current = ring_path.read_bytes()
    assert KeyRing.load(ring_path).unlock("admin", PASSWORD) == data_key
    assert ring_path.read_bytes() == current


def test_production_kdf_is_argon2id_64_mib_3_passes_4_lanes(
    production_password_hashing: None, tmp_path: Path
) -> None:
    assert KdfParameters(time_cost=3, memory_cost=65536, parallelism=4) == keys.KDF
    path = tmp_path / "keyring.json"
    data_key = new_data_key()
    KeyRing.create(path, "clinic-1", data_key, "admin", PASSWORD)
    assert load_json(path)["slots"]["user:admin"]["kdf"] == {
        "algorithm": "argon2id",
        "time_cost": 3,
        "memory_cost": 65536,
        "parallelism": 4,
    }
    assert KeyRing.load(path).unlock("admin", PASSWORD) == data_key


def test_subkeys_differ_per_purpose_and_from_the_data_key() -> None:
    data_key = new_data_key()
    audit, photos = derive_subkey(data_key, "audit"), derive_subkey(data_key, "photos")
    assert len({data_key, audit, photos}) == 3
    assert derive_subkey(data_key, "audit") == audit
