"""`python -m benchmarks [NAME …]`: run every benchmark (or the named ones), print their tables."""

from __future__ import annotations

import importlib
import sys
import time

# module name → what it compares
BENCHMARKS = {
    "latency": "Boussole vs the stock rasa init assistant (REST, actions, memory, load time)",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    status = 0
    for name in names:
        print(f"\n# {name}: {BENCHMARKS[name]}", flush=True)
        started = time.perf_counter()
        status |= importlib.import_module(f"benchmarks.{name}").main() or 0
        print(f"({name} took {time.perf_counter() - started:.0f} s)", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
