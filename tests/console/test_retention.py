"""Retention that runs by itself: the daily purge (one replica runs it), log rotation and purge,
addresses kept out of the logs, and erasure reaching the logs and the review files."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from bot import appdb, logfiles
from bot.console import CONSOLE, Console, _templates, queries, retention, run_retention_once
from bot.console.indexer import PARIS, sync_index
from bot.console.nlu_export import write_review_file
from bot.settings import load_settings
from tests.console.conftest import NOW

DAY = 86400.0


@pytest.fixture
def urls(sample_urls):
    """(tracker URL, app URL) with the sample conversations, on SQLite and PostgreSQL."""
    engine = appdb.get_engine(sample_urls[1])
    appdb.create_schema(engine)
    engine.dispose()
    return sample_urls


def _console(tracker_url: str, app_url: str, log_dir, project_root=None) -> Console:
    settings = replace(
        load_settings({}), tracker_db_url=tracker_url, app_db_url=app_url, log_dir=str(log_dir)
    )
    console = Console(settings, project_root or log_dir, _templates())
    console.app_engine = appdb.get_engine(app_url)
    console.tracker_engine = appdb.get_engine(tracker_url, read_only=True)
    return console


def _senders(url: str) -> set[str]:
    engine = appdb.get_engine(url)
    with engine.connect() as conn:
        found = set(conn.execute(sa.text("SELECT DISTINCT sender_id FROM events")).scalars())
    engine.dispose()
    return found


async def test_replicas_run_the_daily_retention_once_a_day(urls, tmp_path):
    tracker_url, app_url = urls
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    (log_dir / "web.log").write_text("203.0.113.9 POST /api/chat 200\n", encoding="utf-8")
    (log_dir / "web.log.2025-01-01").write_text("ancien\n", encoding="utf-8")
    # Three gateway replicas (three consoles, three locks) on the same databases, at once.
    replicas = [_console(tracker_url, app_url, log_dir) for _ in range(3)]
    reports = await asyncio.gather(*(run_retention_once(c, now=NOW) for c in replicas))
    done = [r for r in reports if r is not None]
    assert len(done) == 1
    assert done[0].purge.conversations == 1  # conv-old, 500 days old
    assert "conv-old" not in _senders(tracker_url)
    # The live log moved to the day's file, its address masked; the year-old file is gone.
    today = datetime.fromtimestamp(NOW, PARIS).date().isoformat()
    assert (log_dir / "web.log").read_text() == ""
    assert (log_dir / f"web.log.{today}").read_text() == "203.0.113.0 POST /api/chat 200\n"
    assert not (log_dir / "web.log.2025-01-01").exists()
    # Later the same day: nothing to do. A day later: due again.
    assert await run_retention_once(replicas[1], now=NOW + 3600) is None
    assert await run_retention_once(replicas[2], now=NOW + DAY + 1) is not None
    engine = replicas[0].app_engine
    with engine.connect() as conn:
        purges = conn.execute(
            sa.select(appdb.audit_log.c.actor).where(appdb.audit_log.c.action == "purge")
        ).all()
    assert purges == [("automatique",), ("automatique",)]
    for console in replicas:
        console.app_engine.dispose()
        console.tracker_engine.dispose()


def test_a_failed_run_is_retried_and_a_crashed_one_taken_over(tmp_path):
    app = appdb.get_engine(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    appdb.create_schema(app)
    assert retention.claim_job(app, "job", NOW)
    assert not retention.claim_job(app, "job", NOW + 1)  # running elsewhere
    retention.finish_job(app, "job", NOW + 2, done=False)
    assert retention.claim_job(app, "job", NOW + 3)  # failed: due again at once
    # The replica running it dies: after the lease, another one takes it over.
    assert not retention.claim_job(app, "job", NOW + 60)
    assert retention.claim_job(app, "job", NOW + 3 + retention.LEASE + 1)
    app.dispose()


async def test_the_production_gateway_schedules_the_retention(aiohttp_client, urls, tmp_path):
    from bot.web.__main__ import build_app

    tracker_url, app_url = urls
    settings = replace(
        load_settings({}),
        tracker_db_url=tracker_url,
        app_db_url=app_url,
        log_dir=str(tmp_path / "logs"),
        knowledge_db_url=f"sqlite:///{tmp_path / 'no-knowledge.sqlite3'}",
    )
    app = build_app(settings, retention_delay=0)
    app[CONSOLE].clock = lambda: NOW
    client = await aiohttp_client(app)
    for _ in range(200):
        if "conv-old" not in _senders(tracker_url):
            break
        await asyncio.sleep(0.1)
    assert "conv-old" not in _senders(tracker_url)
    assert (await client.get("/console/login")).status == 200


def test_erasure_reaches_the_logs_and_the_review_files(urls, tmp_path):
    tracker_url, app_url = urls
    tracker = appdb.get_engine(tracker_url, read_only=True)
    writer = appdb.get_engine(tracker_url)
    app = appdb.get_engine(app_url)
    sync_index(tracker, app)
    root = tmp_path / "project"
    (root / "data" / "nlu").mkdir(parents=True)
    # A staff member labelled two messages, and the inbox wrote them to a review file.
    for group in queries.inbox_groups(app, None):
        queries.annotate(app, group.event_ids, "ask_scheme_info", "s@aom.fr", None)
    write_review_file(queries.accepted_examples(app), date(2026, 12, 1), root)
    queries.mark_exported(app)
    review = root / "data" / "nlu" / "review_2026-12-01.yml"
    assert "kesako le truc" in review.read_text() and "c koi le cej" in review.read_text()
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "rasa.log").write_text("a conv-caen b\nautre ligne\n", encoding="utf-8")
    (logs / "rasa.log.2026-11-30").write_text("x conv-caen y\nz\n", encoding="utf-8")

    retention.erase_conversation(writer, app, "conv-caen", "test", log_dir=logs, project_root=root)

    assert (logs / "rasa.log").read_text() == "autre ligne\n"
    assert (logs / "rasa.log.2026-11-30").read_text() == "z\n"
    text = review.read_text()
    assert "kesako" not in text.casefold() and "c koi le cej" in text
    with app.connect() as conn:
        detail = conn.execute(
            sa.select(appdb.audit_log.c.detail).where(appdb.audit_log.c.action == "erase")
        ).scalar()
    assert detail.endswith(" événements, 2 lignes de journal, 2 exemples d'entraînement supprimés")
    for engine in (tracker, writer, app):
        engine.dispose()


def test_the_access_log_keeps_networks_not_addresses():
    assert logfiles.anonymize_address("203.0.113.9") == "203.0.113.0"
    assert logfiles.anonymize_address("2001:db8:1:2::5") == "2001:db8:1::"
    assert logfiles.anonymize_address(None) == "-"
    assert logfiles.mask_addresses("v3.6.21 from 10.1.2.3:5005") == "v3.6.21 from 10.1.2.0:5005"
