"""Retention: purge what is older than the limit, erase one conversation on request.

These are the only console operations that write to Rasa's tracker store, through a writable
engine opened for the deletion alone. Each one is recorded in the audit log.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot import appdb
from bot.console.indexer import (
    clear_index,
    events,
    forget_events,
    sync_index,
    tracker_has_events,
)

_DURATION = re.compile(r"^\s*(\d+)\s*([dj]?)\s*$", re.IGNORECASE)


def parse_days(text: str) -> int:
    """``"395d"``, ``"395j"`` or ``"395"`` → 395; raises ``ValueError`` in French otherwise."""
    match = _DURATION.match(text or "")
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"Durée illisible : « {text} » (exemple : 395d pour 395 jours).")
    return int(match.group(1))


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed."""

    events: int
    conversations: int
    app_rows: int


def _app_rows_for(conn, sender_ids: list[str]) -> int:
    removed = 0
    for start in range(0, len(sender_ids), 500):
        chunk = sender_ids[start : start + 500]
        for table, column in (
            (appdb.reviews, appdb.reviews.c.sender_id),
            (appdb.tags, appdb.tags.c.sender_id),
            (appdb.annotations, appdb.annotations.c.sender_id),
            (appdb.feedback, appdb.feedback.c.session_id),
        ):
            removed += conn.execute(table.delete().where(column.in_(chunk))).rowcount or 0
    return removed


def _purge_events(tracker_rw: Engine, cutoff: float) -> tuple[int, list[str]]:
    with tracker_rw.begin() as conn:
        before = set(conn.execute(sa.select(events.c.sender_id).distinct()).scalars())
        deleted = conn.execute(events.delete().where(events.c.timestamp < cutoff)).rowcount or 0
        after = set(conn.execute(sa.select(events.c.sender_id).distinct()).scalars())
    return deleted, sorted(before - after)


def purge(
    tracker_rw: Engine, app: Engine, days: int, actor: str, now: float | None = None
) -> PurgeReport:
    """Delete tracker events older than ``days`` and the review data of vanished conversations.

    Feedback and annotations older than the limit go too. The index is then rebuilt from what is
    left, so no summary keeps a trace of deleted messages.
    """
    cutoff = (now or time.time()) - days * 86400
    deleted, gone = 0, []
    if tracker_has_events(tracker_rw):
        deleted, gone = _purge_events(tracker_rw, cutoff)
    with app.begin() as conn:
        removed = _app_rows_for(conn, gone)
        for table in (appdb.feedback, appdb.annotations):
            removed += conn.execute(table.delete().where(table.c.created_at < cutoff)).rowcount or 0
    clear_index(app)
    sync_index(tracker_rw, app)
    appdb.write_audit(
        app,
        actor,
        "purge",
        f"plus de {days} jours",
        f"{deleted} événements, {len(gone)} conversations, {removed} lignes de revue",
    )
    return PurgeReport(deleted, len(gone), removed)


def erase_conversation(tracker_rw: Engine, app: Engine, sender_id: str, actor: str) -> int:
    """Erase every trace of one conversation; returns how many tracker events were deleted."""
    deleted = 0
    if tracker_has_events(tracker_rw):
        with tracker_rw.begin() as conn:
            deleted = (
                conn.execute(events.delete().where(events.c.sender_id == sender_id)).rowcount or 0
            )
    with app.begin() as conn:
        _app_rows_for(conn, [sender_id])
        conn.execute(
            appdb.message_index.delete().where(appdb.message_index.c.sender_id == sender_id)
        )
        conn.execute(appdb.conv_index.delete().where(appdb.conv_index.c.sender_id == sender_id))
    forget_events(app, deleted)
    appdb.write_audit(app, actor, "erase", sender_id, f"{deleted} événements supprimés")
    return deleted
