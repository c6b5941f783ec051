"""What the console pages ask of the data: conversation list, detail, dashboard, NLU inbox.

Lists and statistics read the index in the app database (see :mod:`bot.console.indexer`); a
conversation's transcript is read from Rasa's tracker store itself, through a read-only engine.
Every function takes ``scope``: the partner a referent is limited to (``None``: everything).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot import appdb
from bot.console import labels
from bot.console.indexer import PARIS, events, group_key, is_fallback_action, normalize
from bot.masking import mask_text

PER_PAGE = 50
LOW_CONFIDENCE = 0.6
INBOX_CANDIDATES = 600

c_ = appdb.conv_index.c
m_ = appdb.message_index.c

SORTS = {
    "recent": c_.last_ts.desc(),
    "oldest": c_.first_ts.asc(),
    "messages": c_.n_user.desc(),
    "confidence": c_.min_confidence.asc().nulls_last(),
}
SORT_LABELS = {
    "recent": "Plus récentes",
    "oldest": "Plus anciennes",
    "messages": "Plus longues",
    "confidence": "Confiance la plus basse",
}
REVIEW_STATUSES = {"new": "Non traitée", "to_review": "À revoir", "reviewed": "Revue"}


class FilterError(ValueError):
    """A filter value the user typed cannot be understood (French message)."""


@dataclass(frozen=True)
class Filters:
    """Conversation filters, as read from the query string."""

    date_from: date | None = None
    date_to: date | None = None
    partner: str = ""
    intent: str = ""
    fallback: bool = False
    max_confidence: float | None = None
    negative_feedback: bool = False
    distress: bool = False
    place: str = ""  # INSEE code (5 characters) or département (2 characters)
    status: str = ""
    q: str = ""
    sort: str = "recent"

    @classmethod
    def parse(cls, query) -> Filters:
        """Read filters from a multidict; raises :class:`FilterError` on a bad value."""

        def day(name: str) -> date | None:
            raw = (query.get(name) or "").strip()
            if not raw:
                return None
            try:
                return date.fromisoformat(raw)
            except ValueError:
                raise FilterError(
                    f"Date illisible : « {raw} » (format attendu AAAA-MM-JJ)."
                ) from None

        raw_conf = (query.get("max_confidence") or "").strip().replace(",", ".")
        max_confidence = None
        if raw_conf:
            try:
                max_confidence = float(raw_conf)
            except ValueError:
                raise FilterError(f"Seuil de confiance illisible : « {raw_conf} ».") from None
            if not 0 <= max_confidence <= 1:
                raise FilterError("Le seuil de confiance doit être compris entre 0 et 1.")
        status = (query.get("status") or "").strip()
        if status and status not in REVIEW_STATUSES:
            raise FilterError(f"Statut de revue inconnu : « {status} ».")
        sort = (query.get("sort") or "recent").strip()
        if sort not in SORTS:
            raise FilterError(f"Tri inconnu : « {sort} ».")
        place = (query.get("place") or "").strip().upper()
        if place and len(place) not in (2, 5):
            raise FilterError(
                "Indiquez un code INSEE (5 caractères) ou un département (2 chiffres)."
            )
        return cls(
            date_from=day("date_from"),
            date_to=day("date_to"),
            partner=(query.get("partner") or "").strip(),
            intent=(query.get("intent") or "").strip(),
            fallback=query.get("fallback") == "1",
            max_confidence=max_confidence,
            negative_feedback=query.get("negative_feedback") == "1",
            distress=query.get("distress") == "1",
            place=place,
            status=status,
            q=(query.get("q") or "").strip()[:200],
            sort=sort,
        )

    def as_query(self) -> dict[str, str]:
        """The non-empty filters as query-string values (for links that keep them)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, "", False):
                continue
            out[f.name] = "1" if value is True else str(value)
        return out


def _start_of(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).timestamp()


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conversation_conditions(f: Filters, scope: str | None) -> list:
    conds = [c_.n_user > 0]
    partner = scope or f.partner
    if partner:
        conds.append(c_.partner_id == partner)
    if f.date_from:
        conds.append(c_.last_ts >= _start_of(f.date_from))
    if f.date_to:
        conds.append(c_.first_ts < _start_of(f.date_to + timedelta(days=1)))
    if f.intent:
        conds.append(c_.sender_id.in_(sa.select(m_.sender_id).where(m_.intent == f.intent)))
    if f.fallback:
        conds.append(c_.fallback.is_(True))
    if f.max_confidence is not None:
        conds.append(c_.min_confidence < f.max_confidence)
    if f.negative_feedback:
        fb = appdb.feedback.c
        conds.append(c_.sender_id.in_(sa.select(fb.session_id).where(fb.rating < 0)))
    if f.distress:
        conds.append(c_.distress.is_(True))
    if f.place:
        conds.append((c_.commune if len(f.place) == 5 else c_.departement) == f.place)
    if f.status == "new":
        conds.append(appdb.reviews.c.status.is_(None))
    elif f.status:
        conds.append(appdb.reviews.c.status == f.status)
    if f.q:
        conds.append(
            c_.sender_id.in_(
                sa.select(m_.sender_id).where(m_.norm_text.like(_like(normalize(f.q)), escape="\\"))
            )
        )
    return conds


@dataclass(frozen=True)
class Page:
    """One page of a list and where it sits in the whole."""

    rows: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_conversations(
    app: Engine, f: Filters, scope: str | None, page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """Conversations matching the filters, sorted and paginated."""
    rv, fb = appdb.reviews.c, appdb.feedback.c
    joined = appdb.conv_index.outerjoin(appdb.reviews, rv.sender_id == c_.sender_id)
    conds = _conversation_conditions(f, scope)
    negatives = (
        sa.select(sa.func.count())
        .where(fb.session_id == c_.sender_id, fb.rating < 0)
        .scalar_subquery()
    )
    page = max(1, page)
    with app.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(joined).where(*conds)).scalar()
        rows = conn.execute(
            sa.select(appdb.conv_index, rv.status, negatives.label("negatives"))
            .select_from(joined)
            .where(*conds)
            .order_by(SORTS[f.sort], c_.sender_id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
    return Page(rows, total, page, per_page)


def known_partners(app: Engine) -> list[str]:
    """Partner ids seen in the conversations, for the filter's suggestions."""
    with app.connect() as conn:
        return list(
            conn.execute(
                sa.select(c_.partner_id)
                .where(c_.partner_id.is_not(None))
                .distinct()
                .order_by(c_.partner_id)
            ).scalars()
        )


def conversation_summary(app: Engine, sender_id: str, scope: str | None):
    """The index row of one conversation, ``None`` when unknown or outside ``scope``."""
    conds = [c_.sender_id == sender_id]
    if scope:
        conds.append(c_.partner_id == scope)
    with app.connect() as conn:
        return conn.execute(sa.select(appdb.conv_index).where(*conds)).first()


@dataclass(frozen=True)
class TranscriptLine:
    """One tracker event as the detail page shows it."""

    kind: str  # user, bot, action, slot, other
    ts: float
    text: str = ""
    intent: str | None = None
    confidence: float | None = None
    entities: tuple = ()
    name: str = ""
    value: str = ""
    buttons: tuple = ()
    fallback: bool = False
    event_id: int = 0  # the tracker event's id (user messages are reviewed by it)


def transcript(tracker: Engine, sender_id: str) -> list[TranscriptLine]:
    """Every event of a conversation, in order, read from Rasa's tracker store."""
    with tracker.connect() as conn:
        rows = conn.execute(
            sa.select(events).where(events.c.sender_id == sender_id).order_by(events.c.id)
        ).all()
    lines = []
    for row in rows:
        data = json.loads(row.data or "{}")
        ts = row.timestamp or 0.0
        if row.type_name == "user":
            parse = data.get("parse_data") or {}
            intent = parse.get("intent") or {}
            lines.append(
                TranscriptLine(
                    "user",
                    ts,
                    event_id=row.id,
                    # Masked again on display: a tracker written before masking, or through
                    # a channel that bypasses it, may still hold personal data.
                    text=mask_text(str(data.get("text") or "")),
                    intent=intent.get("name"),
                    confidence=intent.get("confidence"),
                    entities=tuple(
                        (str(e.get("entity")), str(e.get("value")))
                        for e in parse.get("entities") or []
                    ),
                )
            )
        elif row.type_name == "bot":
            extra = data.get("data") or {}
            buttons = tuple(str(b.get("title", "")) for b in extra.get("buttons") or [])
            lines.append(
                TranscriptLine("bot", ts, text=str(data.get("text") or ""), buttons=buttons)
            )
        elif row.type_name == "action":
            if row.action_name == "action_listen":
                continue
            lines.append(
                TranscriptLine(
                    "action",
                    ts,
                    name=row.action_name or "",
                    fallback=is_fallback_action(row.action_name),
                )
            )
        elif row.type_name == "slot":
            lines.append(
                TranscriptLine(
                    "slot",
                    ts,
                    name=str(data.get("name")),
                    value=json.dumps(data.get("value"), ensure_ascii=False),
                )
            )
        else:
            lines.append(TranscriptLine("other", ts, name=row.type_name))
    return lines


def conversation_marks(app: Engine, sender_id: str) -> dict:
    """Review status, tags, feedback and intent decisions (by event id) of one conversation."""
    with app.connect() as conn:
        status = conn.execute(
            sa.select(appdb.reviews).where(appdb.reviews.c.sender_id == sender_id)
        ).first()
        tag_rows = conn.execute(
            sa.select(appdb.tags.c.tag)
            .where(appdb.tags.c.sender_id == sender_id)
            .order_by(appdb.tags.c.tag)
        ).all()
        feedback_rows = conn.execute(
            sa.select(appdb.feedback)
            .where(appdb.feedback.c.session_id == sender_id)
            .order_by(appdb.feedback.c.created_at)
        ).all()
        decisions = conn.execute(
            sa.select(appdb.annotations).where(appdb.annotations.c.sender_id == sender_id)
        ).all()
    return {
        "review": status,
        "tags": [r.tag for r in tag_rows],
        "feedback": feedback_rows,
        "annotations": {r.event_id: r for r in decisions},
    }


def set_review(app: Engine, sender_id: str, status: str, reviewer: str) -> None:
    """Mark a conversation reviewed / to review (``new`` forgets the mark)."""
    if status not in REVIEW_STATUSES:
        raise FilterError("Statut de revue inconnu.")
    with app.begin() as conn:
        conn.execute(appdb.reviews.delete().where(appdb.reviews.c.sender_id == sender_id))
        if status != "new":
            conn.execute(
                appdb.reviews.insert().values(
                    sender_id=sender_id, status=status, reviewer=reviewer, updated_at=time.time()
                )
            )


def add_tag(app: Engine, sender_id: str, tag: str, author: str) -> str:
    """Tag a conversation (idempotent); returns the tag as stored.

    Raises :class:`FilterError` for an empty or long tag."""
    tag = " ".join(tag.split()).lower()
    if not tag or len(tag) > 60:
        raise FilterError("Une étiquette compte entre 1 et 60 caractères.")
    with app.begin() as conn:
        exists = conn.execute(
            sa.select(appdb.tags.c.id).where(
                appdb.tags.c.sender_id == sender_id, appdb.tags.c.tag == tag
            )
        ).first()
        if not exists:
            conn.execute(
                appdb.tags.insert().values(
                    sender_id=sender_id, tag=tag, author=author, created_at=time.time()
                )
            )
    return tag


def remove_tag(app: Engine, sender_id: str, tag: str) -> bool:
    """Remove one tag from a conversation; ``False`` when it did not have it."""
    with app.begin() as conn:
        removed = conn.execute(
            appdb.tags.delete().where(appdb.tags.c.sender_id == sender_id, appdb.tags.c.tag == tag)
        ).rowcount
    return bool(removed)


# --- dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A statistics table: French column titles and rows (also exported as CSV)."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple]


def _flag_sum(condition):
    return sa.func.sum(sa.case((condition, 1), else_=0))


def dashboard(
    app: Engine, date_from: date, date_to: date, scope: str | None, partner: str = ""
) -> dict:
    """Every figure and table of the dashboard for a date range (Europe/Paris days).

    Three grouped scans (conversations, messages, feedback) feed every table: the page stays fast
    on a large tracker store, whatever the number of tables shown.
    """
    partner = scope or partner
    start, end = _start_of(date_from), _start_of(date_to + timedelta(days=1))
    conv_conds = [c_.n_user > 0, c_.first_ts >= start, c_.first_ts < end]
    msg_conds = [m_.ts >= start, m_.ts < end]
    fb = appdb.feedback.c
    fb_conds = [fb.created_at >= start, fb.created_at < end]
    if partner:
        conv_conds.append(c_.partner_id == partner)
        msg_conds.append(m_.partner_id == partner)
        fb_conds.append(fb.partner_id == partner)
    count = sa.func.count()
    conv_keys = (c_.day, c_.partner_id, c_.commune)
    msg_keys = (m_.day, m_.intent)
    with app.connect() as conn:
        conv_groups = conn.execute(
            sa.select(
                *conv_keys,
                count,
                _flag_sum(c_.fallback.is_(True)),
                _flag_sum(c_.distress.is_(True)),
                _flag_sum(c_.request_human.is_(True)),
            )
            .where(*conv_conds)
            .group_by(*conv_keys)
        ).all()
        msg_groups = conn.execute(
            sa.select(*msg_keys, count, _flag_sum(m_.fallback.is_(True)))
            .where(*msg_conds)
            .group_by(*msg_keys)
        ).all()
        positive, negative = (
            int(v or 0)
            for v in conn.execute(
                sa.select(_flag_sum(fb.rating > 0), _flag_sum(fb.rating < 0)).where(*fb_conds)
            ).one()
        )

    conv_days: Counter = Counter()
    communes: Counter = Counter()
    departements: Counter = Counter()
    partners: dict[str | None, list[int]] = {}
    n_conv = conv_fallback = conv_distress = conv_human = 0
    for day, partner_id, commune, n, fallback, distress, human in conv_groups:
        fallback, distress, human = int(fallback or 0), int(distress or 0), int(human or 0)
        conv_days[day] += n
        if commune:
            communes[commune] += n
            departements[commune[:2]] += n
        totals = partners.setdefault(partner_id, [0, 0, 0])
        totals[0] += n
        totals[1] += fallback
        totals[2] += distress
        n_conv += n
        conv_fallback += fallback
        conv_distress += distress
        conv_human += human
    msg_days: Counter = Counter()
    intents: Counter = Counter()
    n_msg = msg_fallback = 0
    for day, intent, n, fallback in msg_groups:
        msg_days[day] += n
        intents[intent] += n
        n_msg += n
        msg_fallback += int(fallback or 0)

    days = [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    per_day = [(d.isoformat(), conv_days[d.isoformat()], msg_days[d.isoformat()]) for d in days]
    communes_names = labels.commune_names()
    dep_names = labels.departement_names()

    def ranked(counter: Counter, limit: int | None = None) -> list:
        # Most frequent first; ties in a stable order so pages and exports do not shuffle.
        return sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))[:limit]

    tables = [
        Table("jours", "Par jour", ("Jour", "Conversations", "Messages"), per_day),
        Table(
            "intentions",
            "Intentions les plus fréquentes",
            ("Intention", "Libellé", "Messages"),
            [(i or "", labels.label(i), n) for i, n in ranked(intents, 15)],
        ),
        Table(
            "communes",
            "Communes",
            ("Code INSEE", "Commune", "Conversations"),
            [(code, communes_names.get(code, ""), n) for code, n in ranked(communes, 15)],
        ),
        Table(
            "departements",
            "Départements",
            ("Code", "Département", "Conversations"),
            [(code, dep_names.get(code, ""), n) for code, n in ranked(departements)],
        ),
        Table(
            "partenaires",
            "Par partenaire",
            ("Partenaire", "Conversations", "Avec incompréhension", "Avec détresse"),
            [
                (p or "(sans partenaire)", n, fbk, d)
                for p, (n, fbk, d) in sorted(
                    partners.items(), key=lambda kv: (-kv[1][0], str(kv[0] or ""))
                )
            ],
        ),
    ]
    figures = {
        "conversations": n_conv,
        "messages": n_msg,
        "fallback_rate": conv_fallback / n_conv if n_conv else None,
        "message_fallback_rate": msg_fallback / n_msg if n_msg else None,
        "request_human": intents["request_human"],
        "request_human_conversations": conv_human,
        "distress": intents["distress"],
        "distress_conversations": conv_distress,
        "feedback_positive": positive,
        "feedback_negative": negative,
        "feedback_ratio": positive / (positive + negative) if positive + negative else None,
    }
    tables.append(
        Table(
            "indicateurs",
            "Indicateurs",
            ("Indicateur", "Valeur"),
            [(key, "" if value is None else value) for key, value in figures.items()],
        )
    )
    return {"figures": figures, "tables": {t.name: t for t in tables}}


# --- NLU inbox -------------------------------------------------------------------------------


@dataclass
class InboxGroup:
    """Misunderstood messages whose texts fold alike, decided together."""

    key: str
    texts: list[str]
    event_ids: list[int]
    intents: dict[str, int]
    min_confidence: float | None
    last_ts: float

    @property
    def size(self) -> int:
        return len(self.event_ids)


def inbox_groups(
    app: Engine, scope: str | None, threshold: float = LOW_CONFIDENCE, limit: int = 50
) -> list[InboxGroup]:
    """Undecided user messages with a fallback or a confidence below ``threshold``, grouped."""
    ann = appdb.annotations.c
    conds = [
        sa.or_(m_.fallback.is_(True), m_.confidence < threshold),
        m_.event_id.not_in(sa.select(ann.event_id)),
    ]
    if scope:
        conds.append(m_.partner_id == scope)
    with app.connect() as conn:
        rows = conn.execute(
            sa.select(m_.event_id, m_.text, m_.intent, m_.confidence, m_.ts)
            .where(*conds)
            .order_by(m_.ts.desc())
            .limit(INBOX_CANDIDATES)
        ).all()
    groups: dict[str, InboxGroup] = {}
    for row in rows:
        # Only texts that fold alike (case, accents, punctuation, spaces) are decided together:
        # a fuzzy match would put « je veux mourir » with « je veux courir » (ratio 93) and label
        # them all at once.
        key = group_key(row.text)
        group = groups.get(key)
        if group is None:
            group = groups[key] = InboxGroup(key, [], [], {}, None, row.ts)
        if row.text not in group.texts:
            group.texts.append(row.text)
        group.event_ids.append(row.event_id)
        intent = row.intent or "nlu_fallback"
        group.intents[intent] = group.intents.get(intent, 0) + 1
        if row.confidence is not None:
            group.min_confidence = (
                row.confidence
                if group.min_confidence is None
                else min(group.min_confidence, row.confidence)
            )
    ordered = sorted(groups.values(), key=lambda g: (-g.size, -g.last_ts))
    return ordered[:limit]


def annotate(
    app: Engine, event_ids: Sequence[int], intent: str | None, reviewer: str, scope: str | None
) -> int:
    """Record the right intent (or ``None``: irrelevant) for user messages; returns how many.

    Raises :class:`FilterError` for an intent the domain does not declare.
    """
    if intent is not None and intent not in labels.domain_intents():
        raise FilterError(f"Intention inconnue du domaine : « {intent} ».")
    conds = [m_.event_id.in_(list(event_ids))]
    if scope:
        conds.append(m_.partner_id == scope)
    now = time.time()
    with app.begin() as conn:
        rows = conn.execute(
            sa.select(m_.event_id, m_.sender_id, m_.text, m_.intent).where(*conds)
        ).all()
        done = set(
            conn.execute(
                sa.select(appdb.annotations.c.event_id).where(
                    appdb.annotations.c.event_id.in_([r.event_id for r in rows])
                )
            ).scalars()
        )
        new = [
            {
                "event_id": r.event_id,
                "sender_id": r.sender_id,
                "text": r.text,
                "predicted_intent": r.intent,
                "intent": intent,
                "status": "accepted" if intent else "irrelevant",
                "reviewer": reviewer,
                "created_at": now,
            }
            for r in rows
            if r.event_id not in done
        ]
        if new:
            conn.execute(appdb.annotations.insert(), new)
    return len(new)


def accepted_examples(app: Engine) -> list[tuple[str, str]]:
    """(intent, text) of every accepted annotation, oldest first."""
    a = appdb.annotations.c
    with app.connect() as conn:
        return [
            (r.intent, r.text)
            for r in conn.execute(
                sa.select(a.intent, a.text)
                .where(a.status == "accepted")
                .order_by(a.created_at, a.event_id)
            )
        ]


def mark_exported(app: Engine) -> None:
    """Stamp the accepted annotations not yet exported with the export time."""
    a = appdb.annotations.c
    with app.begin() as conn:
        conn.execute(
            appdb.annotations.update()
            .where(a.status == "accepted", a.exported_at.is_(None))
            .values(exported_at=time.time())
        )


def recent_annotations(app: Engine, limit: int = 30) -> list:
    """The last decisions taken in the inbox."""
    a = appdb.annotations.c
    with app.connect() as conn:
        return conn.execute(
            sa.select(appdb.annotations)
            .order_by(a.created_at.desc(), a.event_id.desc())
            .limit(limit)
        ).all()


def audit_entries(app: Engine, limit: int = 200) -> list:
    """The most recent lines of the audit log."""
    al = appdb.audit_log.c
    with app.connect() as conn:
        return conn.execute(
            sa.select(appdb.audit_log).order_by(al.at.desc(), al.id.desc()).limit(limit)
        ).all()
