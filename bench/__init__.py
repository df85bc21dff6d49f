"""Benchmarks of the connector against a plain-Python floor, a low-code peer and its own targets.

Run `uv run --frozen python -m bench` (add `--quick` for a smoke run); results go to BENCHMARKS.md.
Kept free of imports so `python -m bench.floor` and `python -m bench.bare` start as cheaply as
the programs they stand for.
"""
