"""The clinic's data key and the key slots that wrap it (DESIGN.md, "Security model").

One random 256-bit data key per clinic encrypts the database (SQLCipher) and, later, photos,
caches and backups (AES-GCM). It is never stored as it is. The key ring file beside the
database holds it wrapped (AES-GCM) several times over:

- once per user, with a key derived from that user's password by argon2id;
- once with the recovery key, 32 random bytes shown once at clinic creation as groups of
  letters and digits, for printing and keeping in the practice safe.

So signing in costs one argon2id derivation (the database then opens with the raw key, not
SQLCipher's own slow derivation); a forgotten password is fixed by an admin, who holds the data
key while signed in and wraps it for the new password; a lost admin password is fixed with the
recovery key. The ring holds no patient data and is useless without a password or the
recovery key. Each slot's associated data names the slot, so a wrapped key cannot be moved to
another user's slot. The file is replaced atomically (temp file, fsync, rename).

A user's slot also carries a stamp of the password it was made for (``password_stamp``: a
digest of that password's hash in the ``users`` row, which sync carries like any row). When
installations sync, each takes the other's slot for a user whose stamp matches the password
hash its own database now holds (``take_slots``): a password changed or reset at one
installation opens the clinic at every other after their syncs, and the old one stops.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinicdesk.errors import UserError

# cryptography and argon2 are imported by the functions that use them: the key ring is used
# at sign-in, not while the program starts (they take about 8 ms to import).

KEY_BYTES = 32
FORMAT_VERSION = 1
RECOVERY_SLOT = "recovery"


@dataclass(frozen=True)
class KdfParameters:
    """argon2id cost: 3 passes over 64 MiB with 4 lanes (RELIABILITY.md row 12)."""

    time_cost: int = 3
    memory_cost: int = 65536
    parallelism: int = 4


# Module-level so tests can use cheap parameters; slots record the parameters they used, and
# a slot made with other parameters is re-wrapped with these at the next sign-in.
KDF = KdfParameters()


class KeyRingError(UserError):
    """The key ring is missing, unreadable or does not match."""


class WrongSecret(KeyRingError):
    """The password or recovery key does not unwrap the data key."""


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def derive_subkey(data_key: bytes, purpose: str) -> bytes:
    """A separate key for one purpose (audit MACs, photo files...), from the data key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()
    ).derive(data_key)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _password_kek(password: str, salt: bytes, kdf: KdfParameters) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        password.encode("utf-8"),
        salt,
        time_cost=kdf.time_cost,
        memory_cost=kdf.memory_cost,
        parallelism=kdf.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def format_recovery_key(raw: bytes) -> str:
    """Groups of four from base32: easy to read out, print and type back."""
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery_key(text: str) -> bytes:
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    compact = compact.replace("0", "O").replace("1", "I").replace("8", "B")
    padding = "=" * (-len(compact) % 8)
    try:
        raw = base64.b32decode(compact + padding)
    except ValueError:
        raise WrongSecret(
            "That is not a recovery key; check it against the printed copy."
        ) from None
    if len(raw) != KEY_BYTES:
        raise WrongSecret("That recovery key is incomplete; check it against the printed copy.")
    return raw


def _recovery_kek(raw: bytes) -> bytes:
    # The recovery key is 256 random bits, so a fast derivation is enough.
    return derive_subkey(raw, "clinicdesk recovery key")


def _aad(slot: str) -> bytes:
    return f"clinicdesk key slot {slot}".encode()


@dataclass
class _Slot:
    name: str
    salt: bytes
    nonce: bytes
    wrapped: bytes
    kdf: KdfParameters | None  # None for the recovery slot
    stamp: str = ""  # ``password_stamp`` of the password's hash; "" when made without one

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "salt": _b64(self.salt),
            "nonce": _b64(self.nonce),
            "wrapped": _b64(self.wrapped),
        }
        if self.kdf is not None:
            data["kdf"] = {
                "algorithm": "argon2id",
                "time_cost": self.kdf.time_cost,
                "memory_cost": self.kdf.memory_cost,
                "parallelism": self.kdf.parallelism,
            }
        if self.stamp:
            data["password_stamp"] = self.stamp
        return data

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> _Slot:
        """Raises ValueError, KeyError or TypeError for a slot that cannot be right, so a
        damaged file is reported as such rather than failing later inside argon2 or AES."""
        kdf = data.get("kdf")
        stamp = data.get("password_stamp", "")
        if not isinstance(stamp, str):
            raise TypeError(f"slot {name} has a password stamp that is not text")
        slot = cls(
            name,
            _unb64(data["salt"]),
            _unb64(data["nonce"]),
            _unb64(data["wrapped"]),
            KdfParameters(kdf["time_cost"], kdf["memory_cost"], kdf["parallelism"])
            if kdf
            else None,
            stamp,
        )
        if len(slot.nonce) != 12 or len(slot.wrapped) != KEY_BYTES + 16:
            raise ValueError(f"slot {name} has a nonce or wrapped key of the wrong size")
        if slot.kdf is not None:
            costs = (slot.kdf.time_cost, slot.kdf.memory_cost, slot.kdf.parallelism)
            if len(slot.salt) < 16 or not all(type(c) is int and c >= 1 for c in costs):
                raise ValueError(f"slot {name} has an impossible salt or KDF cost")
            if slot.kdf.memory_cost < 8 * slot.kdf.parallelism:
                raise ValueError(f"slot {name} has an impossible KDF cost")
        return slot


def _wrap(
    name: str,
    kek: bytes,
    data_key: bytes,
    salt: bytes,
    kdf: KdfParameters | None,
    stamp: str = "",
) -> _Slot:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    return _Slot(name, salt, nonce, AESGCM(kek).encrypt(nonce, data_key, _aad(name)), kdf, stamp)


def _unwrap(slot: _Slot, kek: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(kek).decrypt(slot.nonce, slot.wrapped, _aad(slot.name))
    except InvalidTag:
        raise WrongSecret("The user name or password is wrong. Try again.") from None


def _user_slot(username: str) -> str:
    return f"user:{username}"


def password_stamp(password_hash: str) -> str:
    """What a key slot records of the password it was made for: a digest of that password's
    hash as the ``users`` row holds it (which is salted, so this says nothing of the password
    that the slot itself does not)."""
    import hashlib

    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:32]


class KeyRing:
    """The key slots of one clinic, read from and written to ``path``."""

    def __init__(self, path: Path, clinic_id: str, slots: dict[str, _Slot]) -> None:
        self.path = path
        self.clinic_id = clinic_id
        self._slots = slots

    # -- file -----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            version = data.get("format")
            if type(version) is int and version > FORMAT_VERSION:
                raise KeyRingError(
                    f"The key file {path.name} was written by a newer ClinicDesk; install it."
                )
            if version != FORMAT_VERSION:
                raise ValueError(f"unknown format {version!r}")
            slots = {name: _Slot.from_json(name, raw) for name, raw in data["slots"].items()}
            return cls(path, str(data["clinic_id"]), slots)
        except FileNotFoundError:
            raise KeyRingError(
                f"The key file {path} is missing; restore it from a backup."
            ) from None
        except OSError as exc:
            raise KeyRingError(
                f"The key file {path} cannot be read ({exc.strerror or type(exc).__name__})."
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyRingError(
                f"The key file {path} is damaged ({type(exc).__name__}); restore it from a "
                "backup. The database was not changed."
            ) from None

    def save(self) -> None:
        data = {
            "format": FORMAT_VERSION,
            "clinic_id": self.clinic_id,
            "slots": {name: slot.to_json() for name, slot in sorted(self._slots.items())},
        }
        temp = self.path.with_name(self.path.name + ".tmp")
        with temp.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.path)
        with contextlib.suppress(OSError):  # make the rename itself durable
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    @classmethod
    def create(
        cls, path: Path, clinic_id: str, data_key: bytes, username: str, password: str
    ) -> tuple[KeyRing, str]:
        """A new ring with one user's slot and a recovery slot; returns the recovery key
        (formatted for printing). Refuses to overwrite an existing ring."""
        if path.exists():
            raise KeyRingError(f"A key file already exists at {path}; nothing was changed.")
        ring = cls(path, clinic_id, {})
        ring.set_password(username, password, data_key)
        recovery = secrets.token_bytes(KEY_BYTES)
        ring._slots[RECOVERY_SLOT] = _wrap(
            RECOVERY_SLOT, _recovery_kek(recovery), data_key, b"", None
        )
        ring.save()
        return ring, format_recovery_key(recovery)

    # -- slots ----------------------------------------------------------------------------

    def has_user(self, username: str) -> bool:
        return _user_slot(username) in self._slots

    def usernames(self) -> list[str]:
        return sorted(n.removeprefix("user:") for n in self._slots if n.startswith("user:"))

    def set_password(self, username: str, password: str, data_key: bytes, stamp: str = "") -> None:
        """Add or replace ``username``'s slot (the caller saves the ring). ``stamp``: the
        ``password_stamp`` of the password's hash in the ``users`` row, when there is one."""
        salt = secrets.token_bytes(16)
        kek = _password_kek(password, salt, KDF)
        name = _user_slot(username)
        self._slots[name] = _wrap(name, kek, data_key, salt, KDF, stamp)

    def stamp_of(self, username: str) -> str | None:
        """The password stamp of ``username``'s slot ("" when it has none); None without one."""
        slot = self._slots.get(_user_slot(username))
        return None if slot is None else slot.stamp

    def take_slots(self, other: KeyRing, accounts: dict[str, str | None]) -> list[str]:
        """Take from ``other`` (another installation's ring of the same clinic) what this
        installation's accounts now need; returns the changed slots' names (the caller saves).

        ``accounts``: each user of this installation's database, by user name, with the
        ``password_stamp`` of the password hash its ``users`` row holds, or None when the
        account is disabled. Sync has already brought the rows together, so the row decides:

        - a slot this ring lacks is added (a user made at another installation);
        - a slot whose stamp is not this row's password is replaced by ``other``'s when
          ``other``'s is (the password was changed or reset elsewhere, and that change is
          the one the row kept); when neither matches, this ring's slot stays;
        - a disabled account's slot is removed (it was removed where it was disabled).

        So an enabled account never loses its slot here. The recovery slot is only ever added
        when missing, as before."""
        if other.clinic_id != self.clinic_id:
            raise KeyRingError("These key rings belong to different clinics.")
        changed = []
        for name in sorted(set(self._slots) | set(other._slots)):
            mine, theirs = self._slots.get(name), other._slots.get(name)
            username = name.removeprefix("user:")
            if name.startswith("user:") and username in accounts:
                want = accounts[username]
                if want is None:
                    if mine is not None:
                        del self._slots[name]
                        changed.append(name)
                    continue
                if (
                    mine is not None
                    and theirs is not None
                    and mine.stamp != want
                    and theirs.stamp == want
                ):
                    self._slots[name] = theirs
                    changed.append(name)
                    continue
            if mine is None and theirs is not None:
                self._slots[name] = theirs
                changed.append(name)
        return changed

    def remove_user(self, username: str) -> None:
        self._slots.pop(_user_slot(username), None)

    def unlock(self, username: str, password: str) -> bytes:
        """The data key, from ``username``'s password. A slot made with older KDF parameters
        is re-wrapped with the current ones (and saved)."""
        slot = self._slots.get(_user_slot(username))
        if slot is None or slot.kdf is None:
            # Same message as a wrong password: do not reveal which user names exist.
            raise WrongSecret("The user name or password is wrong. Try again.")
        data_key = _unwrap(slot, _password_kek(password, slot.salt, slot.kdf))
        if slot.kdf != KDF:
            self.set_password(username, password, data_key, slot.stamp)
            self.save()
        return data_key

    def unlock_with_recovery_key(self, text: str) -> bytes:
        slot = self._slots.get(RECOVERY_SLOT)
        if slot is None:
            raise KeyRingError("This key file has no recovery slot.")
        raw = parse_recovery_key(text)  # its own message for a mistyped or short key
        try:
            return _unwrap(slot, _recovery_kek(raw))
        except WrongSecret:
            raise WrongSecret(
                "That recovery key does not open this clinic; check it against the printed copy."
            ) from None

    def replace_recovery_key(self, data_key: bytes) -> str:
        """A new recovery key (the old one stops working); the caller saves the ring."""
        recovery = secrets.token_bytes(KEY_BYTES)
        self._slots[RECOVERY_SLOT] = _wrap(
            RECOVERY_SLOT, _recovery_kek(recovery), data_key, b"", None
        )
        return format_recovery_key(recovery)
