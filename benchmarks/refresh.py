"""What following `kb load` costs a running process, on SQLite and on PostgreSQL (issue 14).

Before: a process served the content it read at start until it was restarted (Rasa's model load
alone takes about 40 s). Now each process checks the version stamp every
``KNOWLEDGE_REFRESH_SECONDS`` and re-reads the base when it changed (``knowledge/live.py``).
Measured here, per back end: the load of new content and of the same content again (nothing is
written), the stamp check (one small query, best and median of many), the handle's cost between
two checks (a clock comparison), and the re-reading of a changed base with the commune resolver
rebuilt (median of a few).

Run: ``python -m benchmarks refresh``, or ``python -m benchmarks.refresh [--checks N]
[--reloads N] [--postgres ADMIN_URL]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.scaleout import throwaway_databases
from knowledge.api import KnowledgeBase
from knowledge.live import LiveKnowledge
from knowledge.loader import load
from knowledge.sources import DATA_DIR


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _changed_data(folder: Path) -> Path:
    """knowledge/data with one commune renamed: new content, the same size."""
    data = shutil.copytree(DATA_DIR, folder)
    table = data / "territories" / "communes.csv"
    table.write_text(
        table.read_text(encoding="utf-8").replace(",Rouen,", ",Rouen-sur-Seine,"),
        encoding="utf-8",
    )
    return data


def measure(url: str, changed: Path, checks: int, reloads: int) -> dict[str, float]:
    """Figures for the base at ``url`` (empty at first)."""
    figures = {"first load (s)": _timed(lambda: load(url))}
    figures["same content again (s)"] = _timed(lambda: load(url))
    kb = KnowledgeBase.from_url(url)
    kb.resolve_commune("rouen")  # the resolver is in use, as in the NLU
    check_us = []
    for _ in range(checks):
        check_us.append(_timed(kb.refresh_if_changed) * 1e6)
    figures["stamp check best (µs)"] = min(check_us)
    figures["stamp check median (µs)"] = statistics.median(check_us)
    live = LiveKnowledge(lambda: kb, every=30)
    live.current()  # opened: the next check is 30 s away
    calls = 100_000
    figures["handle between checks (ns)"] = (
        _timed(lambda: [live.current() for _ in range(calls)]) / calls * 1e9
    )
    load_s, reload_ms = [], []
    for i in range(reloads):
        load_s.append(_timed(lambda i=i: load(url, changed if i % 2 == 0 else DATA_DIR)))
        reload_ms.append(_timed(kb.refresh_if_changed) * 1000)
    figures["load of new content (s)"] = statistics.median(load_s)
    figures["re-read + resolver (ms)"] = statistics.median(reload_ms)
    kb.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks refresh", description=__doc__)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--reloads", type=int, default=5)
    parser.add_argument(
        "--postgres", default="postgresql://root@127.0.0.1:5432/test", help="admin URL"
    )
    args = parser.parse_args(argv or [])  # `python -m benchmarks refresh` passes none
    folder = Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    changed = _changed_data(folder / "data")
    results = {}
    try:
        results["SQLite"] = measure(
            f"sqlite:///{folder / 'knowledge.sqlite3'}", changed, args.checks, args.reloads
        )
        with throwaway_databases(args.postgres) as databases:
            results["PostgreSQL"] = measure(
                databases("refresh"), changed, args.checks, args.reloads
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{'':<30}" + "".join(f"{name:>14}" for name in results))
    for label in next(iter(results.values())):
        print(f"{label:<30}" + "".join(f"{r[label]:>14.2f}" for r in results.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
