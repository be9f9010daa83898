"""Placeholder; filled in below."""

from __future__ import annotations

from pathlib import Path

from tests.bench.common import Outcome
from tests.bench.data import BenchClinic


def run(clinic: BenchClinic, results: list[Outcome], temp: Path) -> None:
    pass
