"""Staff console pages over a generated tracker store of 100,000 events (issue 6).

Writes realistic conversations with Rasa's own SQLTrackerStore into a temporary SQLite file (or a
throw-away PostgreSQL database with ``--postgres``), mounts the console on a bare aiohttp app,
logs in as staff and times the list and dashboard pages over repeated requests. Target: p95 at
most 300 ms per page on this machine. Also prints how long the first index build takes.

Run: ``python -m benchmarks.console [--events N] [--repeat N] [--postgres]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from bs4 import BeautifulSoup

from bot import appdb
from bot.console import auth, setup_console
from bot.console.sample import open_store, random_trackers, save_conversations
from bot.settings import load_settings

TARGET_MS = 300
PASSWORD = "benchmark password"
PAGES = [
    ("liste, sans filtre", "/console/conversations"),
    ("liste, page 20", "/console/conversations?page=20"),
    ("liste, incompréhension + texte", "/console/conversations?fallback=1&q=formation"),
    ("liste, confiance < 0,5 + dépt 76", "/console/conversations?max_confidence=0.5&place=76"),
    ("liste, tri par confiance", "/console/conversations?sort=confidence"),
    ("tableau de bord, 30 jours", "/console/dashboard"),
    ("tableau de bord, 60 jours", "/console/dashboard?date_from={d60}"),
    ("tableau de bord, un partenaire", "/console/dashboard?partner=caen-ij"),
    ("boîte NLU", "/console/inbox"),
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _postgres_database() -> tuple[str, callable]:
    import psycopg2

    name = f"boussole_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host="127.0.0.1", user="root", dbname="test")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return f"postgresql://root@127.0.0.1:5432/{name}", drop


async def _bench(tracker_url: str, app_url: str, n_events: int, repeat: int) -> int:
    started = time.perf_counter()
    if n_events:
        store = open_store(tracker_url)
        await save_conversations(store, random_trackers(n_events, end=time.time()))
        store.engine.dispose()
    engine = appdb.get_engine(tracker_url, read_only=True)
    with engine.connect() as conn:
        from sqlalchemy import func, select

        from bot.console.indexer import events

        count = conn.execute(select(func.count()).select_from(events)).scalar()
        conversations = conn.execute(select(func.count(events.c.sender_id.distinct()))).scalar()
    engine.dispose()
    print(
        f"tracker store: {count} events, {conversations} conversations "
        f"(written by Rasa's SQLTrackerStore in {time.perf_counter() - started:.1f} s)"
    )

    app_engine = appdb.get_engine(app_url)
    appdb.create_schema(app_engine)
    auth.add_user(app_engine, "bench@aom.fr", PASSWORD, "staff")
    app_engine.dispose()
    settings = replace(load_settings({}), tracker_db_url=tracker_url, app_db_url=app_url)
    app = web.Application()
    setup_console(app, settings)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        page = await client.get("/console/login")
        token = BeautifulSoup(await page.text(), "html.parser").find(
            "input", {"name": "csrf_token"}
        )["value"]
        t0 = time.perf_counter()
        response = await client.post(
            "/console/login",
            data={"email": "bench@aom.fr", "password": PASSWORD, "csrf_token": token},
        )
        assert response.status == 200, response.status
        print(f"first page after login (builds the index): {time.perf_counter() - t0:.2f} s")
        d60 = time.strftime("%Y-%m-%d", time.localtime(time.time() - 59 * 86400))
        print(
            f"\n{'page':<34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target p95 ≤ {TARGET_MS} ms"
        )
        failures = 0
        for name, path in PAGES:
            path = path.format(d60=d60)
            timings = []
            for _ in range(repeat):
                t = time.perf_counter()
                response = await client.get(path)
                await response.read()
                timings.append((time.perf_counter() - t) * 1000)
                assert response.status == 200, (path, response.status)
            p50 = statistics.median(timings)
            p95 = _percentile(timings, 0.95)
            verdict = "ok" if p95 <= TARGET_MS else "TOO SLOW"
            failures += p95 > TARGET_MS
            print(f"{name:<34} {p50:>8.0f} {p95:>8.0f} {max(timings):>8.0f}  {verdict}")
    finally:
        await client.close()
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 when a page misses the target."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.console")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres", action="store_true", help="tracker and app DB on PostgreSQL")
    parser.add_argument(
        "--tracker-url", help="time an existing tracker store instead of generating one"
    )
    args = parser.parse_args(argv or [])
    with tempfile.TemporaryDirectory(prefix="boussole-console-bench-") as tmp:
        if args.tracker_url:
            app_url = f"sqlite:///{Path(tmp) / 'app.sqlite3'}"
            if args.postgres:
                app_url, drop_app = _postgres_database()
            try:
                return asyncio.run(_bench(args.tracker_url, app_url, 0, args.repeat))
            finally:
                if args.postgres:
                    drop_app()
        if args.postgres:
            tracker_url, drop_tracker = _postgres_database()
            app_url, drop_app = _postgres_database()
            try:
                return asyncio.run(_bench(tracker_url, app_url, args.events, args.repeat))
            finally:
                drop_tracker()
                drop_app()
        tracker_url = f"sqlite:///{Path(tmp) / 'tracker.sqlite3'}"
        app_url = f"sqlite:///{Path(tmp) / 'app.sqlite3'}"
        return asyncio.run(_bench(tracker_url, app_url, args.events, args.repeat))


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
