"""Derive the console's index (``conv_index``, ``message_index``) from Rasa's tracker store.

Rasa only ever appends events, so the index follows the tracker incrementally: every call reads
the events past the last id it saw (its watermark, in ``index_state``; read-only connection) and
merges them into one row per conversation and one row per user message. When the tracker store was
emptied or purged, the index is rebuilt from scratch.

Several gateway replicas share one application database: every change of the index happens under
:func:`index_lock` (a PostgreSQL advisory lock, a file lock beside a SQLite database), so two
replicas never merge the same events, and an erasure or a purge never interleaves with a sync.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot import appdb
from bot.masking import mask_text
from knowledge.text import fold

PARIS = ZoneInfo("Europe/Paris")
BATCH = 5000
_INSEE = re.compile(r"^\d[\dAB]\d{3}$")

tracker_meta = sa.MetaData()
# Rasa's own table, declared only to read it (SQLTrackerStore creates it).
events = sa.Table(
    "events",
    tracker_meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


def normalize(text: str) -> str:
    """Lower case, accents removed, spaces collapsed: the form searched on (``knowledge.text``)."""
    return fold(text)


def group_key(text: str) -> str:
    """Folded text without punctuation: messages that differ only by case, accents, punctuation
    or spacing share it (the inbox groups on it, nothing fuzzier).

    The same key as the evaluation's ``sentence_key``, so that a group of the inbox and the
    sentence it becomes in the training data are judged alike.
    """
    return fold(text, words_only=True)


def paris_day(ts: float) -> str:
    """The Europe/Paris calendar date (ISO) of an epoch timestamp."""
    return datetime.fromtimestamp(ts, PARIS).date().isoformat()


def is_fallback_action(name: str | None) -> bool:
    """Rasa's fallback actions and any custom action named like ``*fallback*``."""
    return bool(name) and "fallback" in name


def commune_code(value: object) -> str | None:
    """The INSEE code in an entity or slot value, ``None`` when it is not one."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, (str, int)) and _INSEE.match(str(value)):
        return str(value)
    return None


@dataclass
class _Conv:
    sender_id: str
    first_ts: float
    last_ts: float
    partner_id: str | None = None
    n_user: int = 0
    n_bot: int = 0
    fallback: bool = False
    min_confidence: float | None = None
    distress: bool = False
    request_human: bool = False
    commune: str | None = None
    first_text: str | None = None
    messages: list[dict] = field(default_factory=list)

    def row(self) -> dict:
        return {
            "sender_id": self.sender_id,
            "partner_id": self.partner_id,
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            "day": paris_day(self.first_ts),
            "n_user": self.n_user,
            "n_bot": self.n_bot,
            "fallback": self.fallback,
            "min_confidence": self.min_confidence,
            "distress": self.distress,
            "request_human": self.request_human,
            "commune": self.commune,
            "departement": self.commune[:2] if self.commune else None,
            "first_text": self.first_text,
        }


def _from_row(row) -> _Conv:
    return _Conv(
        sender_id=row.sender_id,
        first_ts=row.first_ts,
        last_ts=row.last_ts,
        partner_id=row.partner_id,
        n_user=row.n_user,
        n_bot=row.n_bot,
        fallback=bool(row.fallback),
        min_confidence=row.min_confidence,
        distress=bool(row.distress),
        request_human=bool(row.request_human),
        commune=row.commune,
        first_text=row.first_text,
    )


def _apply(conv: _Conv, ev, fallback_marks: list) -> None:
    ts = ev.timestamp or conv.last_ts
    conv.first_ts = min(conv.first_ts, ts)
    conv.last_ts = max(conv.last_ts, ts)
    if ev.type_name == "user":
        data = json.loads(ev.data or "{}")
        parse = data.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name") or ev.intent_name
        confidence = (parse.get("intent") or {}).get("confidence")
        metadata = data.get("metadata") or {}
        partner = metadata.get("partner") if isinstance(metadata, dict) else None
        # The index lives in the app database and feeds exports and review files: it keeps only
        # masked text, even when the tracker holds text that never went through the gateway.
        text = mask_text(str(data.get("text") or ""))
        commune = None
        for entity in parse.get("entities") or []:
            if entity.get("entity") == "commune":
                commune = commune_code(entity.get("value")) or commune
        conv.n_user += 1
        conv.partner_id = conv.partner_id or (str(partner) if partner else None)
        conv.first_text = conv.first_text or text[:200]
        if isinstance(confidence, (int, float)):
            conv.min_confidence = (
                confidence if conv.min_confidence is None else min(conv.min_confidence, confidence)
            )
        conv.distress |= intent == "distress"
        conv.request_human |= intent == "request_human"
        conv.fallback |= intent == "nlu_fallback"
        conv.commune = commune or conv.commune
        conv.messages.append(
            {
                "event_id": ev.id,
                "sender_id": conv.sender_id,
                "ts": ts,
                "day": paris_day(ts),
                "text": text,
                "norm_text": normalize(text),
                "intent": intent,
                "confidence": confidence if isinstance(confidence, (int, float)) else None,
                "fallback": intent == "nlu_fallback",
                "partner_id": conv.partner_id,
                "commune": commune,
            }
        )
    elif ev.type_name == "bot":
        conv.n_bot += 1
    elif ev.type_name == "action" and is_fallback_action(ev.action_name):
        conv.fallback = True
        fallback_marks.append((conv.sender_id, ev.id))
    elif ev.type_name == "slot" and ev.action_name == "commune":
        value = json.loads(ev.data or "{}").get("value")
        conv.commune = commune_code(value) or conv.commune


def tracker_has_events(tracker: Engine) -> bool:
    """Whether Rasa has created its ``events`` table yet."""
    return sa.inspect(tracker).has_table("events")


def _state(conn: Connection) -> tuple[int, int]:
    values = dict(conn.execute(sa.select(appdb.index_state.c.key, appdb.index_state.c.value)).all())
    return int(values.get("last_event_id", 0)), int(values.get("events_seen", 0))


def _set_state(conn: Connection, last_id: int, seen_count: int) -> None:
    conn.execute(appdb.index_state.delete())
    conn.execute(
        appdb.index_state.insert(),
        [{"key": "last_event_id", "value": last_id}, {"key": "events_seen", "value": seen_count}],
    )


def index_lock(app: Engine):
    """Context manager: the index's writer lock, shared by every process using ``app`` (several
    gateway replicas on one database). Whoever changes the index holds it: a sync, a purge, an
    erasure; a second replica waits, then finds the work done."""
    return appdb.database_lock(app, appdb.INDEX_LOCK)


def last_indexed_event(app: Engine) -> int:
    """The id of the last tracker event the index has read (its watermark)."""
    with app.connect() as conn:
        return _state(conn)[0]


def forget_conversation(conn: Connection, sender_id: str, events_read: int) -> None:
    """Drop one conversation from the index, whose ``events_read`` events the index had read
    were deleted on purpose (erasure); within the caller's transaction, under :func:`index_lock`."""
    conn.execute(appdb.message_index.delete().where(appdb.message_index.c.sender_id == sender_id))
    conn.execute(appdb.conv_index.delete().where(appdb.conv_index.c.sender_id == sender_id))
    last_id, seen_count = _state(conn)
    _set_state(conn, last_id, max(seen_count - events_read, 0))


def _clear(app: Engine) -> None:
    with app.begin() as conn:
        conn.execute(appdb.message_index.delete())
        conn.execute(appdb.conv_index.delete())
        conn.execute(appdb.index_state.delete())


def rebuild_index(tracker: Engine, app: Engine) -> int:
    """Forget the whole index and read the tracker store again; return how many events were
    read. The caller holds :func:`index_lock`."""
    _clear(app)
    return _sync(tracker, app, verify=False) if tracker_has_events(tracker) else 0


def sync_index(tracker: Engine, app: Engine, verify: bool = True) -> int:
    """Bring the index up to date with the tracker store; return how many events were read.

    With ``verify``, the index is rebuilt when the tracker no longer holds exactly the events
    already read: it was emptied, replaced, edited by hand, or a concurrent transaction committed
    an older id late. Counting the events costs a scan, so pages verify only now and then.

    Safe with several processes at once: one reads and merges while the others wait for
    :func:`index_lock`, then find nothing left to read.
    """
    if not tracker_has_events(tracker):
        return 0
    with index_lock(app):
        return _sync(tracker, app, verify)


def _sync(tracker: Engine, app: Engine, verify: bool) -> int:
    with app.connect() as aconn:
        seen, seen_count = _state(aconn)
    with tracker.connect() as tconn:
        max_id = tconn.execute(sa.select(sa.func.max(events.c.id))).scalar() or 0
        present = (
            tconn.execute(
                sa.select(sa.func.count()).select_from(events).where(events.c.id <= seen)
            ).scalar()
            if verify
            else seen_count
        )
    if max_id < seen or present != seen_count:
        _clear(app)
        seen = seen_count = 0
    read = 0
    while seen < max_id:
        with tracker.connect() as tconn:
            batch = tconn.execute(
                sa.select(events)
                .where(events.c.id > seen, events.c.id <= max_id)
                .order_by(events.c.id)
                .limit(BATCH)
            ).all()
        if not batch:
            break
        seen_count += len(batch)
        _merge(app, batch, seen_count)
        seen = batch[-1].id
        read += len(batch)
    return read


def _merge(app: Engine, batch: Iterable, seen_count: int) -> None:
    batch = list(batch)
    senders = sorted({ev.sender_id for ev in batch})
    with app.begin() as conn:
        convs: dict[str, _Conv] = {}
        for chunk in _chunks(senders, 500):
            for row in conn.execute(
                sa.select(appdb.conv_index).where(appdb.conv_index.c.sender_id.in_(chunk))
            ):
                convs[row.sender_id] = _from_row(row)
        marks: list[tuple[str, int]] = []
        for ev in batch:
            ts = ev.timestamp or time.time()
            conv = convs.setdefault(ev.sender_id, _Conv(ev.sender_id, ts, ts))
            _apply(conv, ev, marks)
        messages = [m for conv in convs.values() for m in conv.messages]
        for chunk in _chunks(list(convs), 500):
            conn.execute(appdb.conv_index.delete().where(appdb.conv_index.c.sender_id.in_(chunk)))
        conn.execute(appdb.conv_index.insert(), [conv.row() for conv in convs.values()])
        if messages:
            conn.execute(appdb.message_index.insert(), messages)
        mi = appdb.message_index
        for sender_id, action_id in marks:
            # The message a fallback answered: the sender's last user message before the action.
            last = (
                sa.select(sa.func.max(mi.c.event_id))
                .where(mi.c.sender_id == sender_id, mi.c.event_id < action_id)
                .scalar_subquery()
            )
            conn.execute(mi.update().where(mi.c.event_id == last).values(fallback=True))
        _set_state(conn, batch[-1].id, seen_count)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
