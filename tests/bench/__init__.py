"""Benchmarks for the budgets in DESIGN.md "Performance budgets", run by ``make bench``.

Not part of ``make test`` (pytest skips this folder) and never asserting on time: each benchmark
prints the budget, what it measured, the baseline measured in the same run and their ratio, so a
slow machine slows both sides alike. Data goes to a temporary folder that is removed at the end.
"""
