"""Helpers for the sync screens' tests (a hub and installations from ``tests.sync.helpers``)."""

from __future__ import annotations

import pytest

from clinicdesk.paths import Paths
from clinicdesk.services.context import ClinicServices, open_clinic
from clinicdesk.storage.keys import KeyRing
from tests.sync.helpers import Site, data_key

CHILD_MS = 60_000  # a child Python process on a busy machine


def opened(site: Site) -> ClinicServices:
    paths = Paths(site.data_dir)
    return open_clinic(paths, data_key=data_key(site.data_dir), keyring=KeyRing.load(paths.keyring))


def add(site: Site, capsys: pytest.CaptureFixture[str], first: str, last: str) -> str:
    return site.ok(
        capsys, "patients", "add", "--first", first, "--last", last, "--dob", "1980-02-03"
    ).strip()
