"""Fresh data without restarts (issue 14, point 6), on SQLite and on the real PostgreSQL.

`kb load` writes a version stamp with the content, in the same transaction; a running process
compares it with the one it serves, at most once per interval, and re-reads the base when it
changed. A failed check or opening is logged, the old content kept, and tried again later.
Time is a :class:`ManualClock`: nothing here sleeps.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from knowledge import schema
from knowledge.api import KnowledgeBase
from knowledge.live import KnowledgeBaseUnavailable, LiveKnowledge
from knowledge.loader import load

PARTNER = "rouen_info_jeunes"
NAME = "Rouen Info Jeunes"
NEW_NAME = "Rouen Info Jeunes – nom rechargé"
FIRST = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
SECOND = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone.utc)
THIRD = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path) -> str:
    """An empty database of each back end."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'knowledge.sqlite3'}"
    return request.getfixturevalue("make_postgres_database")("kbfresh")


@pytest.fixture()
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'knowledge.sqlite3'}"


@pytest.fixture()
def edited(data_copy: Path) -> Path:
    """knowledge/data with the partner renamed and Rouen called Rouen-sur-Seine."""
    partners = data_copy / "partners.yml"
    text = partners.read_text(encoding="utf-8")
    assert f"name: {NAME}\n" in text
    partners.write_text(text.replace(f"name: {NAME}\n", f"name: {NEW_NAME}\n"), encoding="utf-8")
    communes = data_copy / "territories" / "communes.csv"
    communes.write_text(
        communes.read_text(encoding="utf-8").replace(",Rouen,", ",Rouen-sur-Seine,"),
        encoding="utf-8",
    )
    return data_copy


def meta(url: str) -> dict[str, str]:
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        rows = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
    engine.dispose()
    return rows


def run_sql(url: str, statement: str) -> None:
    engine = create_engine(url, future=True)
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


@contextmanager
def queries() -> Iterator[list[str]]:
    """The SQL statements any engine of this process runs inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


# --- the stamp ----------------------------------------------------------------------------


def test_a_load_stamps_its_content_and_the_same_content_is_not_written_again(url, edited):
    load(url, now=FIRST)
    first = meta(url)
    assert first["loaded_at"] == FIRST.isoformat() and len(first["version"]) == 32

    load(url, now=SECOND)  # the same files: nothing is rewritten
    assert meta(url) == first

    load(url, edited, now=SECOND)
    second = meta(url)
    assert second["version"] != first["version"]
    assert second["loaded_at"] == SECOND.isoformat()

    load(url, now=THIRD)  # back to the first content: back to its stamp
    assert meta(url)["version"] == first["version"]


# --- the knowledge base -------------------------------------------------------------------


def test_refresh_costs_one_small_query_and_reads_a_new_load(url, edited):
    load(url)
    kb = KnowledgeBase.from_url(url)
    assert kb.resolve_commune("rouen")[0].insee == "76540"  # the resolver is in use
    with queries() as seen:
        assert kb.refresh_if_changed() is False
    assert len(seen) == 1 and "kb_meta" in seen[0]

    load(url, edited)
    assert kb.partner(PARTNER).name == NAME  # a snapshot until it is refreshed
    assert kb.refresh_if_changed() is True
    assert kb.version == meta(url)["version"]
    assert kb.partner(PARTNER).name == NEW_NAME
    assert kb.commune("76540").name == "Rouen-sur-Seine"
    assert kb.resolve_commune("rouen sur seine")[0].insee == "76540"
    assert kb.refresh_if_changed() is False
    kb.close()


def test_a_snapshot_is_never_half_of_two_loads(url, edited):
    """A load committing while the base is read does not leak into what is being read."""
    load(url)
    version = meta(url)["version"]
    # On SQLite the load must wait for the reader; give it up quickly instead of 5 s.
    writer_url = f"{url}?timeout=0.2" if url.startswith("sqlite") else url
    outcome: list[str] = []

    def load_midway(_conn, _cursor, statement, *_args) -> None:
        # The operators are read after the communes and before the partners.
        reading = statement.lstrip().upper().startswith("SELECT")
        if reading and "FROM kb_operators" in statement and not outcome:
            outcome.append("loading")
            try:
                load(writer_url, edited)
                outcome[0] = "committed"
            except OperationalError:
                outcome[0] = "waited for the reader"

    event.listen(Engine, "before_cursor_execute", load_midway)
    try:
        kb = KnowledgeBase.from_url(url)
    finally:
        event.remove(Engine, "before_cursor_execute", load_midway)
    # PostgreSQL lets the load commit and the reader keeps its picture; SQLite makes it wait.
    assert outcome == ["committed" if url.startswith("postgresql") else "waited for the reader"]
    assert kb.version == version
    assert kb.commune("76540").name == "Rouen"
    assert kb.partner(PARTNER).name == NAME
    load(url, edited)
    assert kb.refresh_if_changed() is True
    assert (kb.commune("76540").name, kb.partner(PARTNER).name) == ("Rouen-sur-Seine", NEW_NAME)
    kb.close()


# --- the services' handle: at most one check per interval, retries after failures -----------


def test_the_base_is_checked_at_most_once_per_interval(sqlite_url, clock):
    load(sqlite_url)
    live = LiveKnowledge.from_url(sqlite_url, every=30, clock=clock)
    kb = live.current()
    with queries() as seen:
        for _ in range(100):
            assert live.current() is kb
        clock.advance(29.9)
        live.current()
    assert seen == []
    clock.advance(0.1)
    with queries() as seen:
        live.current()
        live.current()
    assert len(seen) == 1  # the stamp; unchanged, so nothing else
    live.close()


def test_a_new_load_is_served_after_the_interval_without_reopening(url, edited, clock):
    load(url)
    live = LiveKnowledge.from_url(url, every=30, clock=clock)
    kb = live.current()
    load(url, edited)
    clock.advance(29)
    assert live.current().partner(PARTNER).name == NAME
    clock.advance(1)
    assert live.current() is kb
    assert kb.partner(PARTNER).name == NEW_NAME
    live.close()


def test_a_failed_check_keeps_the_old_content_then_recovers(url, edited, clock, caplog):
    load(url)
    live = LiveKnowledge.from_url(url, every=30, clock=clock)
    kb = live.current()
    load(url, edited)
    # The check cannot read the stamp any more (as when the database stops answering).
    run_sql(url, "ALTER TABLE kb_meta RENAME TO kb_meta_away")
    clock.advance(30)
    with caplog.at_level(logging.ERROR, logger="knowledge.live"):
        assert live.current().partner(PARTNER).name == NAME
    assert live.failures == 1
    assert any("keeps serving the snapshot" in r.getMessage() for r in caplog.records)

    clock.advance(0.9)  # the first retry waits 1 s
    live.current()
    assert live.failures == 1
    clock.advance(0.1)
    live.current()
    assert live.failures == 2  # still down: the next wait is 2 s

    run_sql(url, "ALTER TABLE kb_meta_away RENAME TO kb_meta")
    clock.advance(1.9)
    assert live.current().partner(PARTNER).name == NAME
    clock.advance(0.1)
    assert live.current() is kb
    assert kb.partner(PARTNER).name == NEW_NAME
    assert live.failures == 0
    live.close()


def test_opening_is_retried_with_growing_waits_until_the_base_is_loaded(sqlite_url, clock, caplog):
    live = LiveKnowledge.from_url(sqlite_url, every=30, clock=clock)
    with (
        caplog.at_level(logging.ERROR, logger="knowledge.live"),
        pytest.raises(KnowledgeBaseUnavailable),
    ):
        live.current()
    assert live.failures == 1
    assert any("has nothing to serve" in r.getMessage() for r in caplog.records)
    for wait in (1, 2, 4, 8, 16, 30, 30):  # doubling, up to the refresh interval
        clock.advance(wait - 0.1)
        with pytest.raises(KnowledgeBaseUnavailable):
            live.current()
        failures = live.failures
        clock.advance(0.1)
        with pytest.raises(KnowledgeBaseUnavailable):
            live.current()
        assert live.failures == failures + 1
    load(sqlite_url)
    clock.advance(30)
    assert live.current().partner(PARTNER).name == NAME
    assert live.failures == 0
    live.close()
