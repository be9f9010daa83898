"""Counting in words: "1 minute", "2 minutes"."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, in the plural unless exactly one (``many`` for irregular
    plurals: ``plural(2, "match", "matches")``)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
