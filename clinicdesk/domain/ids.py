"""Typed record ids. Every record id is a UUIDv7 made here, so rows sort by creation time and
ids made at two sites never collide (the sync design depends on both)."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from typing import NewType

PatientId = NewType("PatientId", str)
UserId = NewType("UserId", str)
SiteId = NewType("SiteId", str)


_RANDOM_BITS = 74  # rand_a (12) and rand_b (62)
_last_uuid7 = 0  # the last id made here, as 48 bits of milliseconds then the 74 random bits
_uuid7_lock = threading.Lock()


def uuid7() -> str:
    """A UUID version 7 (RFC 9562): 48-bit Unix milliseconds, version, variant, random bits.

    Ids made by this process always increase, also within one millisecond (RFC 9562 section
    6.2, method 2: the random bits then count on from the last id), so records made one after
    the other sort in the order they were made; a clock set back does not reorder them."""
    global _last_uuid7
    millis = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
    fresh = millis << _RANDOM_BITS | int.from_bytes(os.urandom(10), "big") >> 6
    with _uuid7_lock:
        if fresh <= _last_uuid7:
            fresh = _last_uuid7 + 1
        _last_uuid7 = fresh
    millis, rand_a, rand_b = fresh >> _RANDOM_BITS, (fresh >> 62) & 0x0FFF, fresh & ((1 << 62) - 1)
    value = millis << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    digits = f"{value:032x}"  # as str(uuid.UUID(int=value)), without importing uuid (platform)
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def utc_now() -> str:
    """Now as UTC ISO 8601 with milliseconds and ``Z``: the one timestamp format we store."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
