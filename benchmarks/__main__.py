"""`python -m benchmarks` — run every benchmark module below, each in its own process.

Add a module here to include it (each is also runnable alone as `python -m benchmarks.<name>`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODULES = [
    "benchmarks.retrieval",
    "benchmarks.unseen",
    "benchmarks.gateway_load",
    "benchmarks.gateway_multiworker",
    "benchmarks.reminders",
    "benchmarks.photo_check",
    "benchmarks.hr_publish",
]


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    failed = []
    for name in MODULES:
        print(f"\n## {name}\n", flush=True)
        if subprocess.call([sys.executable, "-m", name], cwd=root) != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
