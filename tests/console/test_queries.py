"""The console's queries on both database engines: SQLite (default) and PostgreSQL (production).

The tracker store is written by Rasa's own SQLTrackerStore; the console reads it read-only.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot import appdb
from bot.console import queries, retention
from bot.console.indexer import sync_index
from tests.console.conftest import NOW, TODAY, write_sample


@pytest.fixture
def engines(sample_urls):
    """(read-only tracker, writable tracker, app) engines on the sample data, per backend."""
    tracker_url, app_url = sample_urls
    tracker = appdb.get_engine(tracker_url, read_only=True)
    writer = appdb.get_engine(tracker_url)
    app = appdb.get_engine(app_url)
    appdb.create_schema(app)
    yield tracker, writer, app
    for engine in (tracker, writer, app):
        engine.dispose()


def ids(page) -> list[str]:
    return sorted(r.sender_id for r in page.rows)


def test_index_and_filters(engines):
    tracker, _writer, app = engines
    assert sync_index(tracker, app) > 0
    assert sync_index(tracker, app) == 0  # incremental: nothing new
    everything = queries.list_conversations(app, queries.Filters(), None)
    assert everything.total == 5
    cases = {
        "fallback": (queries.Filters(fallback=True), ["conv-caen"]),
        "confidence": (queries.Filters(max_confidence=0.5), ["conv-caen", "conv-script"]),
        "place": (queries.Filters(place="76"), ["conv-rouen"]),
        "text": (queries.Filters(q="Kesako"), ["conv-caen"]),
        "intent": (queries.Filters(intent="distress"), ["conv-distress"]),
        "dates": (queries.Filters(date_to=TODAY - timedelta(days=100)), ["conv-old"]),
    }
    for name, (filters, expected) in cases.items():
        assert ids(queries.list_conversations(app, filters, None)) == expected, name
    scoped = queries.list_conversations(app, queries.Filters(), "caen-ij")
    assert ids(scoped) == ["conv-caen", "conv-distress"]
    assert queries.conversation_summary(app, "conv-rouen", "caen-ij") is None


def test_transcript_reads_the_tracker_read_only(engines):
    tracker, _writer, _app = engines
    lines = queries.transcript(tracker, "conv-rouen")
    users = [line for line in lines if line.kind == "user"]
    assert [(u.text, u.intent) for u in users] == [
        ("bonjour", "greet"),
        ("j'habite Rouen", "inform"),
        ("je cherche une formation en cuisine", "ask_training"),
    ]
    assert users[1].entities == (("commune", "76540"),)
    assert any(line.kind == "slot" and line.name == "commune" for line in lines)
    with pytest.raises(sa.exc.DBAPIError), tracker.begin() as conn:
        conn.execute(sa.text("DELETE FROM events"))


def test_dashboard_counts(engines):
    tracker, _writer, app = engines
    sync_index(tracker, app)
    data = queries.dashboard(app, TODAY - timedelta(days=29), TODAY, None)
    figures = data["figures"]
    assert figures["conversations"] == 4
    assert figures["messages"] == 9
    assert figures["fallback_rate"] == 0.25
    assert (figures["request_human"], figures["distress"]) == (1, 1)
    per_day = data["tables"]["jours"].rows
    assert len(per_day) == 30 and sum(r[1] for r in per_day) == 4
    assert data["tables"]["departements"].rows == [
        ("14", "Calvados", 1),
        ("76", "Seine-Maritime", 1),
    ]
    scoped = queries.dashboard(app, TODAY - timedelta(days=29), TODAY, "rouen_info_jeunes")
    assert scoped["figures"]["conversations"] == 2


def test_inbox_and_annotations(engines):
    tracker, _writer, app = engines
    sync_index(tracker, app)
    groups = queries.inbox_groups(app, None)
    assert [g.size for g in groups] == [2, 1]
    assert queries.annotate(app, groups[0].event_ids, "out_of_scope", "s@aom.fr", None) == 2
    assert queries.annotate(app, groups[0].event_ids, "out_of_scope", "s@aom.fr", None) == 0
    # A referent cannot decide on another partner's messages.
    assert queries.annotate(app, groups[1].event_ids, None, "r@x.fr", "caen-ij") == 0
    assert [g.size for g in queries.inbox_groups(app, None)] == [1]
    assert queries.accepted_examples(app) == [
        ("out_of_scope", "kesako le truc"),
        ("out_of_scope", "Kesako, le TRUC ?"),
    ]


def test_inbox_groups_only_texts_that_fold_alike(tmp_path):
    """« je veux mourir » and « je veux courir » score 93 in fuzzy ratio: never one group."""
    app = appdb.get_engine(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    appdb.create_schema(app)
    texts = [
        "je veux mourir",
        "je veux courir",
        "Je veux  MOURIR !",
        "jveux mourir",
        "Jé veux courir",
    ]
    with app.begin() as conn:
        conn.execute(
            appdb.message_index.insert(),
            [
                {
                    "event_id": i,
                    "sender_id": f"s{i}",
                    "ts": NOW + i,
                    "day": "2026-12-01",
                    "text": text,
                    "norm_text": text.lower(),
                    "intent": "nlu_fallback",
                    "confidence": 0.3,
                    "fallback": True,
                }
                for i, text in enumerate(texts, start=1)
            ],
        )
    groups = {g.key: sorted(g.texts) for g in queries.inbox_groups(app, None)}
    app.dispose()
    assert groups == {
        "je veux mourir": ["Je veux  MOURIR !", "je veux mourir"],
        "je veux courir": ["Jé veux courir", "je veux courir"],
        "jveux mourir": ["jveux mourir"],
    }


def test_purge_and_erase(engines):
    tracker, writer, app = engines
    sync_index(tracker, app)
    appdb.record_feedback(app, session_id="conv-old", message_id=None, rating=-1, partner_id=None)
    appdb.record_feedback(app, session_id="conv-rouen", message_id=None, rating=1, partner_id=None)
    queries.add_tag(app, "conv-old", "ancien", "a@aom.fr")
    report = retention.purge(writer, app, 395, "test", now=NOW)
    assert report.conversations == 1 and report.events > 0
    with tracker.connect() as conn:
        senders = set(conn.execute(sa.text("SELECT DISTINCT sender_id FROM events")).scalars())
    assert senders == {"conv-rouen", "conv-script", "conv-caen", "conv-distress"}
    with app.connect() as conn:
        assert conn.execute(sa.select(appdb.feedback.c.session_id)).scalars().all() == [
            "conv-rouen"
        ]
        assert conn.execute(sa.select(appdb.tags)).all() == []
    assert queries.list_conversations(app, queries.Filters(), None).total == 4

    assert retention.erase_conversation(writer, app, "conv-rouen", "test") > 0
    assert queries.transcript(tracker, "conv-rouen") == []
    assert "conv-rouen" not in ids(queries.list_conversations(app, queries.Filters(), None))
    with app.connect() as conn:
        assert conn.execute(sa.select(appdb.feedback)).all() == []
        actions = conn.execute(sa.select(appdb.audit_log.c.action)).scalars().all()
    assert actions == ["purge", "erase"]


def test_index_follows_new_events_and_a_reset_tracker(engines, tmp_path):
    tracker, writer, app = engines
    sync_index(tracker, app)
    with writer.begin() as conn:
        conn.execute(sa.text("DELETE FROM events"))
    write_sample(str(writer.url.render_as_string(hide_password=False)))
    # Same conversations again: ids moved on, the index must not double them.
    sync_index(tracker, app)
    assert queries.list_conversations(app, queries.Filters(), None).total == 5
    rouen = queries.conversation_summary(app, "conv-rouen", None)
    assert rouen.n_user == 3


def test_erasure_does_not_force_a_rebuild(engines):
    tracker, writer, app = engines
    sync_index(tracker, app)
    retention.erase_conversation(writer, app, "conv-caen", "test")
    assert sync_index(tracker, app) == 0  # nothing re-read: the index knew about the erasure
    assert queries.list_conversations(app, queries.Filters(), None).total == 4


async def test_erasing_a_conversation_not_indexed_yet_does_not_force_a_rebuild(engines):
    from bot.console.sample import Turn, build_tracker, open_store, save_conversations

    tracker, writer, app = engines
    sync_index(tracker, app)
    store = open_store(writer.url.render_as_string(hide_password=False))
    await save_conversations(
        store, [build_tracker("conv-new", [Turn("salut", "greet", 0.9)], start=NOW)]
    )
    store.engine.dispose()
    assert retention.erase_conversation(writer, app, "conv-new", "test") > 0
    assert sync_index(tracker, app) == 0  # its events were never read: nothing to re-read
    assert queries.list_conversations(app, queries.Filters(), None).total == 5
