"""Benchmarks: commands that measure speed and memory and write benchmarks/results/*.json.

Each module runs on its own with `python -m benchmarks.<name>`; `python -m benchmarks` runs
every module listed in `benchmarks/__main__.py`.
"""
