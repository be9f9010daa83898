"""A real small filesystem for the tests that need one (a full disk, read-only media): a tmpfs
mounted under the test's folder. Mounting needs Linux and permission (root, CAP_SYS_ADMIN);
where it is not permitted the test is skipped, saying why."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def mount(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *argv], capture_output=True, text=True, check=False)


@contextlib.contextmanager
def tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """``mount_point`` (made here) as a tmpfs of ``size`` (e.g. "4m"), unmounted afterwards."""
    mount_point.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command on this machine")
    made = mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point))
    if made.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {made.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
