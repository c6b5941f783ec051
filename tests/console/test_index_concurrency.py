"""Several gateway replicas index one tracker store into one application database at once
(issue #14): the index ends exactly as one indexer alone would have made it.

Each indexer has its own engines, as a replica process does; they start together, read in small
batches so that their work interleaves, and must neither fail nor double, lose or re-read a
message.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import datetime

import pytest
import sqlalchemy as sa

from bot import appdb
from bot.console import indexer, retention
from bot.console.indexer import PARIS, events, sync_index
from bot.console.sample import open_store, random_trackers, save_conversations

END = datetime(2026, 11, 30, 18, tzinfo=PARIS).timestamp()


@pytest.fixture
def urls(empty_urls) -> tuple[str, str]:
    """(empty tracker store URL, application database URL at the latest schema), per backend."""
    engine = appdb.get_engine(empty_urls[1])
    appdb.create_schema(engine)
    engine.dispose()
    return empty_urls


def write(url: str, n_events: int, seed: int) -> None:
    store = open_store(url)
    asyncio.run(save_conversations(store, random_trackers(n_events, seed=seed, end=END)))
    store.engine.dispose()


def at_once(tracker_url: str, app_url: str, jobs) -> tuple[list, list[BaseException]]:
    """Run each ``job(tracker, app)`` in its own thread with its own engines, all released at
    the same moment; their results and errors."""
    barrier = threading.Barrier(len(jobs))
    results: list = []
    errors: list[BaseException] = []

    def run(job) -> None:
        tracker = appdb.get_engine(tracker_url, read_only=True)
        app = appdb.get_engine(app_url)
        try:
            barrier.wait()
            results.append(job(tracker, app))
        except BaseException as error:
            errors.append(error)
        finally:
            tracker.dispose()
            app.dispose()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results, errors


def user_events(tracker_url: str) -> tuple[set[int], Counter, int]:
    """(ids of the user messages, user messages per conversation, number of events)."""
    engine = appdb.get_engine(tracker_url, read_only=True)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(events.c.id, events.c.sender_id).where(events.c.type_name == "user")
        ).all()
        total = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar()
    engine.dispose()
    return {r.id for r in rows}, Counter(r.sender_id for r in rows), total


def index_content(app_url: str) -> tuple[list[int], dict[str, int]]:
    """(event ids of the indexed messages, with repeats; user messages per indexed conversation)."""
    engine = appdb.get_engine(app_url)
    with engine.connect() as conn:
        messages = conn.execute(sa.select(appdb.message_index.c.event_id)).scalars().all()
        convs = dict(
            conn.execute(sa.select(appdb.conv_index.c.sender_id, appdb.conv_index.c.n_user)).all()
        )
    engine.dispose()
    return messages, convs


def assert_index_matches(tracker_url: str, app_url: str) -> None:
    ids, per_conversation, _total = user_events(tracker_url)
    messages, convs = index_content(app_url)
    assert len(messages) == len(set(messages)) == len(ids)
    assert set(messages) == ids
    assert convs == dict(per_conversation)


def test_two_indexers_at_once_index_every_message_once(urls, monkeypatch):
    tracker_url, app_url = urls
    monkeypatch.setattr(indexer, "BATCH", 40)
    write(tracker_url, 600, seed=1)
    _ids, _per_conversation, total = user_events(tracker_url)

    reads, errors = at_once(tracker_url, app_url, [sync_index, sync_index])

    assert errors == []
    # Every event read once between them: no rebuild, no batch merged twice.
    assert sum(reads) == total
    assert_index_matches(tracker_url, app_url)

    # New conversations: both catch up at once again, incrementally.
    write(tracker_url, 300, seed=2)
    _ids, _per_conversation, new_total = user_events(tracker_url)
    reads, errors = at_once(tracker_url, app_url, [sync_index, sync_index])
    assert errors == []
    assert sum(reads) == new_total - total
    assert_index_matches(tracker_url, app_url)


def test_an_erasure_during_indexing_leaves_no_trace_of_the_conversation(urls, monkeypatch):
    tracker_url, app_url = urls
    monkeypatch.setattr(indexer, "BATCH", 40)
    write(tracker_url, 600, seed=3)
    _ids, per_conversation, _total = user_events(tracker_url)
    erased = sorted(per_conversation)[len(per_conversation) // 2]

    def erase(_tracker, app) -> int:
        writer = appdb.get_engine(tracker_url)
        try:
            return retention.erase_conversation(writer, app, erased, "test")
        finally:
            writer.dispose()

    _results, errors = at_once(tracker_url, app_url, [sync_index, erase, sync_index])

    assert errors == []
    assert_index_matches(tracker_url, app_url)
    _messages, convs = index_content(app_url)
    assert erased not in convs
