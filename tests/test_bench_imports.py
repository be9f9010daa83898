"""``make bench`` is not part of ``make test``, so a benchmark that no longer imports (a function
moved by a refactor) would go unnoticed until someone runs it. Importing the runner imports every
benchmark module."""

from __future__ import annotations

import importlib


def test_every_benchmark_module_imports() -> None:
    runner = importlib.import_module("tests.bench.__main__")
    assert set(runner.BENCHMARKS) >= {
        "search",
        "list",
        "startup",
        "record",
        "photos",
        "report",
        "backup",
        "sync",
        "outcomes",
    }
    for name, bench in runner.BENCHMARKS.items():
        assert callable(bench), name
