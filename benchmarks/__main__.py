"""`python -m benchmarks [NAME …]`: run every benchmark (or the named ones), print their tables."""

from __future__ import annotations

import importlib
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def _gateway() -> int:
    """The gateway in front of the real, trained Rasa (started here like `make run` does)."""
    from benchmarks import gateway
    from bot.settings import load_settings
    from bot.stack import Stack, free_port

    settings = replace(load_settings(), rasa_port=free_port(), action_port=free_port())
    log_dir = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    with Stack(settings=settings, log_dir=log_dir, with_web=False) as stack:
        return gateway.main(["--rasa-url", stack.settings.rasa_base_url])


def _module(name: str):
    return lambda: importlib.import_module(f"benchmarks.{name}").main()


# name → (what it compares, how to run it)
BENCHMARKS = {
    "resolver": ("commune resolver vs a naive exact-match dict (issue 3)", _module("resolver")),
    "latency": (
        "Boussole vs the stock rasa init assistant: REST, actions, memory, load time (issue 4)",
        _module("latency"),
    ),
    "gateway": ("web gateway vs direct Rasa REST at 1/10/50 users (issue 5)", _gateway),
    "annuaire": (
        "kb import annuaire on a 50,000-record synthetic export vs json.load (issue 12)",
        _module("annuaire"),
    ),
    "faults": (
        "recovery after each fault vs wave 1 (never), and the time to the 3114 answer with "
        "the action server frozen and killed vs 30 s (issue 13)",
        _module("faults"),
    ),
    "masking": (
        "personal-data masking per message vs the e-mail/phone regexes it replaced (issue 13)",
        _module("masking"),
    ),
    "scaleout": (
        "1 vs N replicas behind nginx, 50 users x 20 messages, one replica of each kind killed "
        "(issue 14)",
        _module("scaleout"),
    ),
    "refresh": (
        "following `kb load` without a restart: stamp check, re-read, on SQLite and PostgreSQL, "
        "vs a restart (issue 14)",
        _module("refresh"),
    ),
    "console": (
        "console pages over 100,000 tracker events, p95 ≤ 300 ms (issue 6)",
        _module("console"),
    ),
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    status = 0
    for name in names:
        what, run = BENCHMARKS[name]
        print(f"\n# {name}: {what}", flush=True)
        started = time.perf_counter()
        status |= run() or 0
        print(f"({name} took {time.perf_counter() - started:.0f} s)", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
