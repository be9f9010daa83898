"""The two flavours of the progress report: ``clinical`` (for the clinic and the patient's GP:
every measurement, the lots, the adverse events) and ``patient`` (plain words for the patient).

A module of its own, with nothing else in it, so that the command line's parser can offer the
choices without importing the documents or the services behind them (which the GUI's start-up
would then pay for).
"""

from __future__ import annotations

from typing import Literal

Flavour = Literal["clinical", "patient"]
FLAVOURS: tuple[Flavour, ...] = ("clinical", "patient")
