"""Timing and reporting helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


def time_ms(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def median_ms(work: Callable[[], object], *, repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        work()
    return statistics.median(time_ms(work) for _ in range(repeat))


@dataclass(frozen=True)
class Outcome:
    """One line of the report: what was measured, against what, and whether it is in budget."""

    name: str
    budget: str
    measured: str
    baseline: str
    ratio: float | None
    within: bool

    def line(self) -> str:
        ratio = f"{self.ratio:.2f}x" if self.ratio is not None else "-"
        verdict = "within budget" if self.within else "OVER BUDGET"
        return (
            f"{self.name:<50} budget {self.budget:<26} measured {self.measured:<10} "
            f"baseline {self.baseline:<10} ratio {ratio:<7} {verdict}"
        )


def report(outcome: Outcome, results: list[Outcome]) -> None:
    results.append(outcome)
    print(outcome.line(), flush=True)


def note(text: str) -> None:
    print(f"    {text}", flush=True)
