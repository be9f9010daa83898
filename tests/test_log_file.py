"""The log file in the data folder: rotated so it never fills the disk, and never fatal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinicdesk import app
from clinicdesk.paths import Paths


@pytest.fixture
def paths(tmp_path: Path) -> Iterator[Paths]:
    paths = Paths(tmp_path / "data")
    paths.ensure()
    yield paths
    for handler in list(logging.getLogger("clinicdesk").handlers):
        logging.getLogger("clinicdesk").removeHandler(handler)
        handler.close()


def test_the_log_file_is_rotated_keeping_five_old_files(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "LOG_FILE_BYTES", 2_000)
    app.setup_logging(paths)
    log = logging.getLogger("clinicdesk.test")
    for number in range(400):
        log.info("line %05d of a long day's routine log lines", number)
    names = sorted(p.name for p in paths.logs_dir.iterdir())
    assert names == [
        "clinicdesk.log",
        "clinicdesk.log.1",
        "clinicdesk.log.2",
        "clinicdesk.log.3",
        "clinicdesk.log.4",
        "clinicdesk.log.5",
    ]
    for path in paths.logs_dir.iterdir():
        assert path.stat().st_size < 2_000 + 200
    # Newest in the live file, the one before in .1: nothing lost between them.
    current = (paths.logs_dir / "clinicdesk.log").read_text().splitlines()
    previous = (paths.logs_dir / "clinicdesk.log.1").read_text().splitlines()
    assert current[-1].endswith("line 00399 of a long day's routine log lines")
    last_before = int(previous[-1].split("line ")[1][:5])
    first_now = int(current[0].split("line ")[1][:5])
    assert first_now == last_before + 1


def test_a_log_file_that_cannot_rotate_sends_errors_to_stderr(
    paths: Paths, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(app, "LOG_FILE_BYTES", 200)

    def refuse(*args: object) -> None:
        raise OSError(28, "No space left on device")

    app.setup_logging(paths)
    log = logging.getLogger("clinicdesk.test")
    log.info("first routine line, long enough to pass the rotation size on the next one" * 3)
    monkeypatch.setattr(app.os, "replace", refuse)
    log.info("routine line that cannot be written")
    log.error("an error the person should still see")
    err = capsys.readouterr().err
    assert "an error the person should still see" in err
    assert "routine line" not in err
    assert "Logging error" not in err
