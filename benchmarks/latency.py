"""Boussole against the stock `rasa init` assistant, measured in the same run on this machine.

For each: training time (stock only: Boussole's is printed by `make train`), model load time
(process start to first answer), Rasa server memory, end-to-end latency through the REST
channel (1 and 10 concurrent users) and, for Boussole, the action server's latency on
`action_find_contacts`. Target (issue 4): Boussole's p50 within 1.3x of the stock assistant's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import psutil

from benchmarks.load import TABLE_HEADER, LoadResult, replay, summary
from bot.settings import load_settings
from bot.stack import Service, Stack, free_port
from bot.training import model_path, rasa_env, rasa_executable

BOUSSOLE_CONVERSATIONS = [
    ["bonjour", "je cherche une formation", "evreux", "19 ans", "merci"],
    ["salut", "c koi le cej", "jai 20 ans", "merci bcp"],
    ["jcherche 1 taf a rouen", "je suis au chomage", "au revoir"],
    ["bonjour", "je voudrais faire une alternance", "caen", "17", "merci"],
]
STOCK_CONVERSATIONS = [
    ["hello", "I am sad", "yes", "bye"],
    ["hi", "great", "goodbye"],
    ["are you a bot?", "hello", "bye"],
]


@dataclass
class Measures:
    name: str
    train_s: float | None
    load_s: float
    rss_mb: float
    runs: list[LoadResult]
    cpu_ms: float  # Rasa's CPU time per sequential turn: steadier than latency on a busy machine


def _first_answer(url: str, text: str, timeout: float = 300) -> float:
    """Poll the REST channel until it answers; return when it did (monotonic seconds)."""
    deadline = time.monotonic() + timeout
    body = json.dumps({"sender": "bench-warmup", "message": text}).encode()
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                url, data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                if response.status == 200:
                    return time.monotonic()
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def _tree_sum(pid: int, measure) -> float:
    """``measure(process)`` summed over a process and its children (those still running)."""
    proc = psutil.Process(pid)
    total = measure(proc)
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += measure(child)
    return total


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MiB."""
    return _tree_sum(pid, lambda p: p.memory_info().rss) / 2**20


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by a process and its children."""
    return _tree_sum(pid, lambda p: sum(p.cpu_times()[:2]))


async def _rest_runs(
    url: str, conversations: list[list[str]], label: str, pid: int
) -> tuple[list[LoadResult], float]:
    """Sequential and 10-user runs, and the server's CPU milliseconds per sequential turn."""
    before = _cpu_s(pid)
    sequential = await replay(url, conversations, 1, label, rounds=3)
    cpu_ms = (_cpu_s(pid) - before) * 1000 / max(1, len(sequential.latencies_ms))
    concurrent = await replay(url, conversations, 10, label, rounds=5)
    return [sequential, concurrent], cpu_ms


def measure_boussole() -> tuple[Measures, LoadResult]:
    settings = replace(load_settings(), rasa_port=free_port(), action_port=free_port())
    log_dir = Path(tempfile.mkdtemp(prefix="bench-boussole-"))
    stack = Stack(settings=settings, model=model_path(), log_dir=log_dir, with_web=False)
    started = time.monotonic()
    stack.start()
    try:
        rest = f"http://127.0.0.1:{settings.rasa_port}/webhooks/boussole/webhook"
        load_s = _first_answer(rest, "bonjour") - started
        rasa = next(s for s in stack.services if s.name == "rasa")
        runs, cpu_ms = asyncio.run(
            _rest_runs(rest, BOUSSOLE_CONVERSATIONS, "Boussole REST", rasa.process.pid)
        )
        rss = _rss_mb(rasa.process.pid)
        actions = asyncio.run(_action_latency(settings))
    finally:
        stack.stop()
    return Measures("Boussole", None, load_s, rss, runs, cpu_ms), actions


async def _action_latency(settings) -> LoadResult:
    """p50/p95 of `action_find_contacts` called on the action server like Rasa calls it."""
    base = f"http://127.0.0.1:{settings.rasa_port}"
    headers = {"Accept": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{base}/domain", headers=headers) as r,
    ):
        domain = await r.json()
    cases = [("27375", "formation", 19), ("14118", "emploi", 24), ("76540", "alternance", 17)]
    result = LoadResult("action_find_contacts", 1, [], 0, 0.0)
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for _ in range(20):
            for commune, need, age in cases:
                body = {
                    "next_action": "action_find_contacts",
                    "sender_id": "bench",
                    "version": "3.6.21",
                    "domain": domain,
                    "tracker": {
                        "sender_id": "bench",
                        "slots": {"commune": commune, "need": need, "age": age},
                        "latest_message": {"intent": {"name": "inform"}, "entities": []},
                        "events": [],
                        "paused": False,
                        "followup_action": None,
                        "active_loop": {},
                        "latest_action_name": "action_listen",
                    },
                }
                t0 = time.perf_counter()
                async with session.post(settings.action_url, json=body) as response:
                    await response.read()
                    ok = response.status == 200
                if ok:
                    result.latencies_ms.append((time.perf_counter() - t0) * 1000)
                else:
                    result.errors += 1
    result.wall_s = time.perf_counter() - started
    return result


def measure_stock() -> Measures:
    """Train and serve the assistant `rasa init` creates (its own default pipeline, English)."""
    import rasa.cli

    # `rasa init` copies this folder (a data folder, not a package: no __file__ of its own).
    initial = Path(rasa.cli.__file__).parent / "initial_project"

    workdir = Path(tempfile.mkdtemp(prefix="bench-rasa-init-"))
    project = workdir / "project"
    shutil.copytree(initial, project, ignore=shutil.ignore_patterns("__pycache__"))
    t0 = time.monotonic()
    subprocess.run(
        [rasa_executable(), "train", "--out", "models", "--fixed-model-name", "stock"],
        cwd=project, env=rasa_env(), check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    train_s = time.monotonic() - t0
    port = free_port()
    service = Service(
        "rasa-init",
        [rasa_executable(), "run", "--enable-api", "--model", str(project / "models/stock.tar.gz"),
         "--endpoints", str(project / "endpoints.yml"),
         "--credentials", str(project / "credentials.yml"),
         "--port", str(port), "--interface", "127.0.0.1"],
        f"http://127.0.0.1:{port}/status",
        workdir / "rasa.log",
    )  # fmt: skip
    started = time.monotonic()
    service.start(rasa_env())
    try:
        rest = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        load_s = _first_answer(rest, "hello") - started
        runs, cpu_ms = asyncio.run(
            _rest_runs(rest, STOCK_CONVERSATIONS, "rasa init REST", service.process.pid)
        )
        rss = _rss_mb(service.process.pid)
    finally:
        service.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return Measures("rasa init", train_s, load_s, rss, runs, cpu_ms)


def main() -> int:
    print("## Rasa latency: Boussole vs the stock `rasa init` assistant (same run, same machine)")
    boussole, actions = measure_boussole()
    stock = measure_stock()
    print(
        "\n| assistant | training s | load s (start → 1st answer) | Rasa RSS MiB "
        "| Rasa CPU ms per turn |"
    )
    print("|---|---|---|---|---|")
    for m in (boussole, stock):
        train = f"{m.train_s:.0f}" if m.train_s is not None else "see `make train`"
        print(f"| {m.name} | {train} | {m.load_s:.1f} | {m.rss_mb:.0f} | {m.cpu_ms:.1f} |")
    print("\n" + TABLE_HEADER)
    for run in boussole.runs + stock.runs + [actions]:
        print(run.row())
    ratio = boussole.runs[0].p50 / stock.runs[0].p50 if stock.runs[0].p50 else float("inf")
    verdict = "met" if ratio <= 1.3 else "MISSED"
    print(f"\nSequential p50 ratio Boussole / rasa init: {ratio:.2f} (target ≤ 1.30: {verdict})")
    print(f"action_find_contacts p50 / p95 / max ms: {summary(actions.latencies_ms)}")
    return 0
