"""Typed record ids. Every record id is a UUIDv7 made here, so rows sort by creation time and
ids made at two sites never collide (the sync design depends on both)."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from typing import NewType

PatientId = NewType("PatientId", str)
UserId = NewType("UserId", str)
SiteId = NewType("SiteId", str)


def uuid7() -> str:
    """A UUID version 7 (RFC 9562): 48-bit Unix milliseconds, version, variant, random bits."""
    millis = time.time_ns() // 1_000_000
    rand_a = int.from_bytes(os.urandom(2), "big") & 0x0FFF
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def utc_now() -> str:
    """Now as UTC ISO 8601 with milliseconds and ``Z``: the one timestamp format we store."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
