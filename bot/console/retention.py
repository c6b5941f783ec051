"""Retention: purge what is older than the limit, erase one conversation on request.

These are the only console operations that write to Rasa's tracker store, through a writable
engine opened for the deletion alone. Each one is recorded in the audit log.

The purge also runs by itself: :func:`daily_retention` is called every hour by each gateway
process (``bot.web``), and runs the purge and the log rotation when a day has passed since the
last run. With several gateway replicas on one database, a conditional update of the ``jobs`` row
lets exactly one of them run it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot import appdb, logfiles
from bot.console.indexer import (
    PARIS,
    events,
    forget_conversation,
    index_lock,
    last_indexed_event,
    rebuild_index,
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
    # No replica indexes the events being deleted meanwhile.
    with index_lock(app):
        if tracker_has_events(tracker_rw):
            deleted, gone = _purge_events(tracker_rw, cutoff)
        with app.begin() as conn:
            removed = _app_rows_for(conn, gone)
            for table in (appdb.feedback, appdb.annotations):
                removed += (
                    conn.execute(table.delete().where(table.c.created_at < cutoff)).rowcount or 0
                )
        rebuild_index(tracker_rw, app)
    appdb.write_audit(
        app,
        actor,
        "purge",
        f"plus de {days} jours",
        f"{deleted} événements, {len(gone)} conversations, {removed} lignes de revue",
    )
    return PurgeReport(deleted, len(gone), removed)


def _exported_texts_only_of(conn, sender_id: str) -> list[str]:
    """Texts of this conversation written to review files that no other decision also holds."""
    a = appdb.annotations.c
    mine = set(
        conn.execute(
            sa.select(a.text).where(a.sender_id == sender_id, a.exported_at.is_not(None))
        ).scalars()
    )
    if not mine:
        return []
    others = set(
        conn.execute(
            sa.select(a.text).where(
                a.sender_id != sender_id, a.text.in_(mine), a.status == "accepted"
            )
        ).scalars()
    )
    return sorted(mine - others)


def erase_conversation(
    tracker_rw: Engine,
    app: Engine,
    sender_id: str,
    actor: str,
    *,
    log_dir: Path | None = None,
    project_root: Path | None = None,
) -> int:
    """Erase every trace of one conversation; returns how many tracker events were deleted.

    Besides the tracker store and the console's tables, lines of the logs in ``log_dir`` that
    name the conversation go, and so do its sentences from the review files that the inbox
    wrote under ``project_root/data/nlu`` (unless another conversation said the same).
    """
    from bot.console.nlu_export import forget_examples

    with app.connect() as conn:
        exported = _exported_texts_only_of(conn, sender_id)
    deleted = 0
    # Under the index's lock: no replica can have read these events and index them afterwards.
    with index_lock(app):
        indexed = 0
        if tracker_has_events(tracker_rw):
            watermark = last_indexed_event(app)
            mine = events.c.sender_id == sender_id
            with tracker_rw.begin() as conn:
                indexed = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(events)
                    .where(mine, events.c.id <= watermark)
                ).scalar()
                deleted = conn.execute(events.delete().where(mine)).rowcount or 0
        with app.begin() as conn:
            _app_rows_for(conn, [sender_id])
            # Only the events the index had read leave its count: the others it never saw.
            forget_conversation(conn, sender_id, indexed)
    lines = logfiles.erase(log_dir, sender_id) if log_dir is not None else 0
    examples = forget_examples(exported, project_root) if project_root and exported else 0
    appdb.write_audit(
        app,
        actor,
        "erase",
        sender_id,
        f"{deleted} événements, {lines} lignes de journal, {examples} exemples d'entraînement "
        "supprimés",
    )
    return deleted


DAILY_JOB = "daily_retention"
DAY = 86400.0
LEASE = 3600.0  # a run that has not finished after this long is taken over


def claim_job(app: Engine, name: str, now: float, every: float = DAY) -> bool:
    """Whether this process should run job ``name`` now (due, and nobody else running it).

    One conditional ``UPDATE``: among replicas asking at the same moment, exactly one gets it.
    """
    j = appdb.jobs
    with app.begin() as conn:
        appdb.insert_missing(conn, j, name=name, last_done=0.0, started_at=None)
        claimed = conn.execute(
            j.update()
            .where(
                j.c.name == name,
                j.c.last_done <= now - every,
                sa.or_(j.c.started_at.is_(None), j.c.started_at < now - LEASE),
            )
            .values(started_at=now)
        ).rowcount
    return claimed == 1


def finish_job(app: Engine, name: str, now: float, done: bool) -> None:
    """Release job ``name``; ``done`` records the run (else it is due again at once)."""
    j = appdb.jobs
    values = {"started_at": None, "last_done": now} if done else {"started_at": None}
    with app.begin() as conn:
        conn.execute(j.update().where(j.c.name == name).values(**values))


@dataclass(frozen=True)
class DailyReport:
    """What the daily retention did."""

    purge: PurgeReport
    logs: logfiles.RotationReport


def daily_retention(
    tracker_rw: Engine, app: Engine, days: int, log_dir: Path, now: float | None = None
) -> DailyReport | None:
    """Purge conversations and rotate and purge logs, if a day has passed since the last run
    (by any replica); ``None`` when it was not due here."""
    now = time.time() if now is None else now
    if not claim_job(app, DAILY_JOB, now):
        return None
    done = False
    try:
        report = purge(tracker_rw, app, days, "automatique", now=now)
        today = datetime.fromtimestamp(now, PARIS).date()
        rotation = logfiles.rotate(log_dir, today, days)
        done = True
    finally:
        finish_job(app, DAILY_JOB, now, done)
    return DailyReport(report, rotation)
