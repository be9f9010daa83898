"""The growing wait after repeated failed sign-ins (RELIABILITY row 12), kept in a file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clinicdesk.services.lockout import (
    FORGET_AFTER_SECONDS,
    MAX_DELAY_SECONDS,
    LoginDelayed,
    LoginThrottle,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def attempts_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "login_attempts.json"


def test_five_failures_are_free_then_each_try_waits_longer(
    attempts_file: Path, clock: Clock
) -> None:
    throttle = LoginThrottle(attempts_file, clock)
    for _ in range(4):
        throttle.record_failure("alice")
        assert throttle.delay_for("alice") == 0
        throttle.check("alice")
    waits = []
    for _ in range(12):
        throttle.record_failure("alice")
        waits.append(throttle.delay_for("alice"))
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert MAX_DELAY_SECONDS == 300


def test_a_try_too_early_is_refused_at_once_with_the_seconds_left(
    attempts_file: Path, clock: Clock
) -> None:
    throttle = LoginThrottle(attempts_file, clock)
    for _ in range(8):  # next try waits 2 ** 3 = 8 s
        throttle.record_failure("Alice")
    clock.now += 2.5
    with pytest.raises(LoginDelayed) as caught:
        throttle.check("  alice ")
    assert caught.value.message == "Too many failed sign-ins for alice. Try again in 6 seconds."
    assert (caught.value.seconds, caught.value.failures, caught.value.exit_code) == (6, 8, 2)
    clock.now += 5.0
    with pytest.raises(LoginDelayed, match=r"Try again in 1 second\.$"):
        throttle.check("alice")
    clock.now += 0.5
    throttle.check("alice")  # the wait is over: the next password is checked


def test_the_count_survives_a_restart_and_is_shared_by_two_programs(
    attempts_file: Path, clock: Clock
) -> None:
    first = LoginThrottle(attempts_file, clock)
    for _ in range(6):
        first.record_failure("bob")
    second = LoginThrottle(attempts_file, clock)  # another window, or the program restarted
    assert second.failures("bob") == 6
    assert second.delay_for("bob") == 2
    second.record_failure("bob")
    assert first.delay_for("bob") == 4
    second.record_success("bob")
    assert first.failures("bob") == 0
    assert first.delay_for("bob") == 0


def test_refused_tries_are_kept_for_the_audit_but_do_not_lengthen_the_wait(
    attempts_file: Path, clock: Clock
) -> None:
    throttle = LoginThrottle(attempts_file, clock)
    for _ in range(6):  # next try waits 2 s
        throttle.record_failure("hal")
    for _ in range(3):
        with pytest.raises(LoginDelayed):
            throttle.check("hal")
    clock.now += 2
    throttle.check("hal")
    cleared = throttle.record_success("hal")
    assert cleared is not None
    assert (cleared.failures, cleared.refused) == (6, 3)
    assert throttle.record_success("hal") is None


def test_names_are_counted_separately(attempts_file: Path, clock: Clock) -> None:
    throttle = LoginThrottle(attempts_file, clock)
    for _ in range(9):
        throttle.record_failure("mallory")
    assert throttle.delay_for("carol") == 0
    throttle.record_failure("carol")
    throttle.record_success("carol")
    assert throttle.failures("mallory") == 9


def test_old_failures_are_forgotten(attempts_file: Path, clock: Clock) -> None:
    throttle = LoginThrottle(attempts_file, clock)
    for _ in range(6):
        throttle.record_failure("dan")
    clock.now += FORGET_AFTER_SECONDS + 1
    assert throttle.failures("dan") == 0
    throttle.record_failure("dan")
    assert throttle.delay_for("dan") == 0


def test_a_clock_set_back_never_makes_the_wait_longer(attempts_file: Path, clock: Clock) -> None:
    throttle = LoginThrottle(attempts_file, clock)
    for _ in range(6):
        throttle.record_failure("erin")
    clock.now -= 3600
    assert throttle.delay_for("erin") == 2


def test_the_file_holds_only_names_counts_and_times(attempts_file: Path, clock: Clock) -> None:
    throttle = LoginThrottle(attempts_file, clock)
    throttle.record_failure("Frank")
    throttle.record_failure("frank")
    data = json.loads(attempts_file.read_text(encoding="utf-8"))
    assert data == {
        "format": 1,
        "accounts": {
            "frank": {
                "failures": 2,
                "last_failure_at": clock.now,
                "refused_while_waiting": 0,
                "unaudited": 2,
            }
        },
    }
    # Written atomically: no temporary file is left beside it.
    assert os.listdir(attempts_file.parent) == ["login_attempts.json"]


@pytest.mark.parametrize(
    "content", ["", "{not json", "[]", '{"accounts": 3}', '{"accounts": {"x": {"failures": "?"}}}']
)
def test_a_damaged_file_does_not_keep_anyone_out(
    attempts_file: Path, clock: Clock, content: str
) -> None:
    attempts_file.parent.mkdir(parents=True)
    attempts_file.write_text(content, encoding="utf-8")
    throttle = LoginThrottle(attempts_file, clock)
    assert throttle.delay_for("x") == 0
    assert throttle.record_failure("x") == 1


def test_an_unwritable_folder_does_not_stop_sign_in(tmp_path: Path, clock: Clock) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    throttle = LoginThrottle(blocker / "login_attempts.json", clock)
    assert throttle.record_failure("gina") == 1
    throttle.check("gina")
