"""Which entries staff must check against their source, and why: the freshness review.

Every entry carries ``last_verified`` (the day someone checked it against its source, ``None``
when nobody has), ``review_by`` (when it must be checked again) and ``to_verify``. An entry is
*due* when it is marked to verify, when its review date has passed, or when it comes within
``horizon`` days. The date is always a parameter: the same data gives the same list on a given
day, whatever the wall clock says.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from knowledge import schema
from knowledge.models import (
    ContactEntry,
    Event,
    Job,
    Operator,
    Partner,
    RecurringEvent,
    RoutingRule,
    Scheme,
    from_record,
)

# What each kind is called on the console page and in `kb stale`.
KIND_LABELS = {
    "operator": "lieu",
    "scheme": "dispositif",
    "job": "métier",
    "event": "événement",
    "recurring_event": "rendez-vous récurrent",
    "contact": "ligne ou annuaire",
    "partner": "partenaire",
    "rule": "règle d'orientation",
}
REASON_LABELS = {
    "to_verify": "à vérifier",
    "overdue": "revue dépassée",
    "soon": "revue bientôt",
}
_TABLES = (
    ("operator", schema.operators, Operator),
    ("scheme", schema.schemes, Scheme),
    ("job", schema.jobs, Job),
    ("event", schema.events, Event),
    ("recurring_event", schema.recurring_events, RecurringEvent),
    ("contact", schema.contacts, ContactEntry),
    ("partner", schema.partners, Partner),
    ("rule", schema.rules, RoutingRule),
)


@dataclass(frozen=True)
class Due:
    """One entry to check, with the reason (``to_verify``, ``overdue`` or ``soon``)."""

    kind: str
    id: str
    name: str
    reason: str
    last_verified: dt.date | None
    review_by: dt.date | None
    source: str
    days_left: int | None  # review_by - today (negative when overdue)

    @property
    def kind_label(self) -> str:
        """The kind in French (« lieu », « dispositif »…)."""
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def reason_label(self) -> str:
        """Why it is due, in French (« à vérifier »…)."""
        return REASON_LABELS[self.reason]


def _name(entry: Any) -> str:
    return (
        getattr(entry, "name", None)
        or getattr(entry, "title", None)
        or (getattr(entry, "label", None) or entry.id)
    )


def due_entries(entries: Iterable[tuple[str, Any]], today: dt.date, horizon: int = 0) -> list[Due]:
    """The entries due on ``today``: to verify, review date passed, or within ``horizon`` days.

    Sorted to verify first, then by review date (most overdue first), then kind and id.
    """
    out = []
    for kind, entry in entries:
        review_by = entry.review_by
        days_left = (review_by - today).days if review_by else None
        if entry.to_verify:
            reason = "to_verify"
        elif review_by is None or days_left < 0:
            reason = "overdue"
        elif days_left <= horizon:
            reason = "soon"
        else:
            continue
        out.append(
            Due(
                kind,
                entry.id,
                _name(entry),
                reason,
                entry.last_verified,
                review_by,
                entry.source,
                days_left,
            )
        )
    order = {"to_verify": 0, "overdue": 1, "soon": 2}
    out.sort(key=lambda d: (order[d.reason], d.review_by or dt.date.min, d.kind, d.id))
    return out


def counts(due: Iterable[Due]) -> Counter:
    """Number of due entries per reason."""
    return Counter(d.reason for d in due)


def loaded_entries(engine: Engine) -> list[tuple[str, Any]]:
    """(kind, entry) of every reviewable entry of a loaded knowledge base (what the bot serves)."""
    with engine.connect() as conn:
        return [
            (kind, from_record(cls, data))
            for kind, table, cls in _TABLES
            for (data,) in conn.execute(select(table.c.data))
        ]


def loaded_entry(engine: Engine, kind: str, entry_id: str) -> Any | None:
    """One entry of a loaded knowledge base (``kind`` as in :data:`KIND_LABELS`), or ``None``."""
    table, cls = next((t, c) for k, t, c in _TABLES if k == kind)
    with engine.connect() as conn:
        data = conn.execute(select(table.c.data).where(table.c.id == entry_id)).scalar()
    return from_record(cls, data) if data is not None else None
