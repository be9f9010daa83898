"""Record ids: UUIDv7 that sort in the order they were made, within a millisecond too."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from clinicdesk.domain.ids import uuid7


def test_ids_are_version_7_and_carry_the_time() -> None:
    before = time.time_ns() // 1_000_000
    made = uuid.UUID(uuid7())
    after = time.time_ns() // 1_000_000
    assert (made.version, made.variant) == (7, uuid.RFC_4122)
    assert before <= made.int >> 80 <= after


def test_ids_made_in_one_millisecond_sort_in_the_order_they_were_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One millisecond in 2020 (a time already past, so ids made later count on as usual).
    monkeypatch.setattr(time, "time_ns", lambda: 1_577_836_800_000 * 1_000_000)
    made = [uuid7() for _ in range(500)]
    assert made == sorted(made) and len(set(made)) == 500
    assert {uuid.UUID(i).version for i in made} == {7}
    # A clock set back keeps counting on from the last id.
    monkeypatch.setattr(time, "time_ns", lambda: 1_546_300_800_000 * 1_000_000)
    assert uuid7() > made[-1]


def test_ids_made_on_several_threads_are_all_different() -> None:
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _n: uuid7(), range(4000)))
    assert len(set(made)) == len(made)
