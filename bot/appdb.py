"""The application's own tables (SQLAlchemy Core), kept apart from Rasa's tracker store.

Users, sessions and trusted browsers of the staff console, login throttling, conversation
reviews, tags, NLU annotations, referents' proposed corrections of their structure's entry, the
widget's thumbs up/down feedback and the audit log live here, in the database named by
``APP_DB_URL`` (SQLite under ``var/`` by default, PostgreSQL in production).

The console also keeps a derived *index* of the tracker store here (``conv_index``,
``message_index``): one row per conversation and per user message, rebuilt from Rasa's events
at any time. Filtering 100,000 events by partner, confidence or commune in JSON on every page view
would be too slow and dialect-specific; the index turns those filters into plain indexed columns.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

metadata = sa.MetaData()

ROLES = ("admin", "staff", "referent")

users = sa.Table(
    "console_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("partner_id", sa.String(100)),
    sa.Column("created_at", sa.Float, nullable=False),
)

sessions = sa.Table(
    "console_sessions",
    metadata,
    # Only a hash of the cookie's token is stored: a copy of this table cannot open a session.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("console_users.id", ondelete="CASCADE")),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

# Login throttling (bot/console/throttle.py): one row per address, account or trusted device
# that failed recently, keyed by a hash (no address or e-mail in clear); rows are dropped once
# forgotten, so the table stays as small as the number of recent offenders.
login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("key", sa.String(80), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure", sa.Float, nullable=False, index=True),
    sa.Column("blocked_until", sa.Float, nullable=False),
    # Whether this throttling episode is already in the audit log (one line each, not one per try).
    sa.Column("reported", sa.Boolean, nullable=False),
)

# Browsers where an account logged in successfully: their attempts are throttled on their own,
# so that someone guessing an account's password elsewhere cannot lock its owner out.
trusted_devices = sa.Table(
    "console_devices",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("console_users.id", ondelete="CASCADE")),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),  # "to_review" | "reviewed"
    sa.Column("reviewer", sa.String(254)),
    sa.Column("updated_at", sa.Float, nullable=False),
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("tag", sa.String(60), nullable=False),
    sa.Column("author", sa.String(254)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("sender_id", "tag", name="uq_tags_sender_tag"),
)

annotations = sa.Table(
    "annotations",
    metadata,
    # One decision per user message of the tracker store (its event id there).
    sa.Column("event_id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("predicted_intent", sa.String(255)),
    sa.Column("intent", sa.String(255)),  # the right intent; NULL when irrelevant
    sa.Column("status", sa.String(16), nullable=False),  # "accepted" | "irrelevant"
    sa.Column("reviewer", sa.String(254)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("exported_at", sa.Float),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.String(255), nullable=False, index=True),
    sa.Column("message_id", sa.String(255)),
    sa.Column("rating", sa.SmallInteger, nullable=False),
    sa.Column("partner_id", sa.String(100)),
    sa.Column("comment", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("actor", sa.String(254), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(255)),
    sa.Column("detail", sa.Text),
)

content_corrections = sa.Table(
    "content_corrections",
    metadata,
    # A referent's proposed change to one field of their structure's place (operators/*.yml),
    # decided by staff, then exported as a change of knowledge/data.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("partner_id", sa.String(100), nullable=False, index=True),
    sa.Column("operator_id", sa.String(100), nullable=False),
    sa.Column("field", sa.String(20), nullable=False),  # address | phone | opening_hours | website
    sa.Column("old_value", sa.Text),
    sa.Column("new_value", sa.Text, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("status", sa.String(16), nullable=False, index=True),  # pending|accepted|refused
    sa.Column("author", sa.String(254), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("decided_by", sa.String(254)),
    sa.Column("decided_at", sa.Float),
    sa.Column("exported_at", sa.Float),
)

conv_index = sa.Table(
    "conv_index",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("partner_id", sa.String(100), index=True),
    sa.Column("first_ts", sa.Float, nullable=False, index=True),
    sa.Column("last_ts", sa.Float, nullable=False, index=True),
    sa.Column("day", sa.String(10), nullable=False, index=True),  # Europe/Paris date of first_ts
    sa.Column("n_user", sa.Integer, nullable=False),
    sa.Column("n_bot", sa.Integer, nullable=False),
    sa.Column("fallback", sa.Boolean, nullable=False),
    sa.Column("min_confidence", sa.Float),
    sa.Column("distress", sa.Boolean, nullable=False),
    sa.Column("request_human", sa.Boolean, nullable=False),
    sa.Column("commune", sa.String(5), index=True),
    sa.Column("departement", sa.String(3), index=True),
    sa.Column("first_text", sa.Text),
)

message_index = sa.Table(
    "message_index",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("ts", sa.Float, nullable=False, index=True),
    sa.Column("day", sa.String(10), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("norm_text", sa.Text, nullable=False),  # lower case, no accents: for search
    sa.Column("intent", sa.String(255), index=True),
    sa.Column("confidence", sa.Float),
    sa.Column("fallback", sa.Boolean, nullable=False),
    sa.Column("partner_id", sa.String(100), index=True),
    sa.Column("commune", sa.String(5)),
)

# Periodic jobs shared by every gateway replica (the daily retention): the row is claimed with a
# conditional UPDATE, so only one replica runs a due job, and a crashed run is retried after
# its lease.
jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("last_done", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float),
)

index_state = sa.Table(
    "index_state",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
)


def get_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine for ``url`` (SQLite file directories are created when writable).

    ``read_only=True`` opens SQLite with ``mode=ro`` and sets PostgreSQL's
    ``default_transaction_read_only``, so a bug in a page can never write to the data it browses.
    """
    parsed = make_url(url)
    connect_args: dict = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if read_only and database and database != ":memory:":
            path = Path(database).resolve()
            # SQLite URIs need the path percent-encoded (spaces, "?" or "#" in a folder name).
            parsed = parsed.set(database=f"file:{quote(str(path))}?mode=ro", query={"uri": "true"})
        elif database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Pages run their queries in worker threads. SQLite lets one writer at a time in: the
        # others wait for the lock (30 s rather than 5, for a loaded machine) instead of failing.
        connect_args["check_same_thread"] = False
        connect_args["timeout"] = 30
    elif read_only and parsed.get_backend_name() == "postgresql":
        connect_args["options"] = "-c default_transaction_read_only=on"
    return sa.create_engine(parsed, future=True, connect_args=connect_args)


def insert_missing(conn, table: sa.Table, **values) -> None:
    """Insert a row unless one with the same primary key exists, safely against a concurrent
    insert of the same row (``ON CONFLICT DO NOTHING``, SQLite and PostgreSQL)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the project runs on SQLite and PostgreSQL only
        raise RuntimeError(f"unsupported database: {dialect}")
    conn.execute(insert(table).values(**values).on_conflict_do_nothing())


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
INITIAL_REVISION = "0001_initial"


@dataclass(frozen=True)
class LockName:
    """A lock shared by every process using one application database: its PostgreSQL advisory
    lock key, and the suffix of its lock file beside a SQLite database."""

    key: int
    suffix: str


# One process at a time migrates the schema; one at a time writes the console's index.
MIGRATION_LOCK = LockName(0x626F7573, "migrate")  # "bous"
INDEX_LOCK = LockName(0x626F7569, "index")  # "boui"


@contextmanager
def database_lock(engine: Engine, lock: LockName) -> Iterator[None]:
    """Hold ``lock`` across processes (waits for it): a session-level advisory lock on
    PostgreSQL, released even when the process dies; on SQLite, ``flock`` on a file beside the
    database (an in-memory database has a single process, nothing to lock)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(sa.select(sa.func.pg_advisory_lock(lock.key)))
            connection.commit()
            try:
                yield
            finally:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(lock.key)))
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    lock_path = Path(database).with_name(f"{Path(database).name}.{lock.suffix}.lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def create_schema(engine: Engine) -> None:
    """Bring the application database to the latest schema, with Alembic (bot/migrations/).

    Idempotent, and safe when several processes start at once: they migrate one at a time
    under a lock, and the later ones find nothing left to do. A database created before the
    migrations existed (wave 1's ``metadata.create_all``) is first marked as the initial
    revision, then upgraded like any other.
    """
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    with database_lock(engine, MIGRATION_LOCK), engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        current = MigrationContext.configure(connection).get_current_revision()
        if current is None and sa.inspect(connection).has_table(users.name):
            command.stamp(config, INITIAL_REVISION)
        command.upgrade(config, "head")


def record_feedback(
    engine: Engine,
    *,
    session_id: str,
    message_id: str | None,
    rating: int,
    partner_id: str | None,
    comment: str | None = None,
    now: float | None = None,
) -> None:
    """Store one thumbs up (``rating=1``) or down (``rating=-1``) given in the widget, at
    ``now`` (epoch seconds; the wall clock by default).

    Raises ``ValueError`` with a French message when the rating or the session id is invalid,
    so the gateway can answer 400 without writing anything.
    """
    if isinstance(rating, bool) or rating not in (1, -1):
        raise ValueError("La note doit valoir 1 (utile) ou -1 (pas utile).")
    if not session_id or not str(session_id).strip():
        raise ValueError("L'identifiant de conversation est obligatoire.")
    if comment is not None:
        comment = comment.strip()[:2000] or None
    with engine.begin() as conn:
        conn.execute(
            feedback.insert().values(
                session_id=str(session_id)[:255],
                message_id=message_id[:255] if message_id else None,
                rating=rating,
                partner_id=partner_id or None,
                comment=comment,
                created_at=time.time() if now is None else now,
            )
        )


def write_audit(
    engine: Engine, actor: str, action: str, target: str | None = None, detail: str | None = None
) -> None:
    """Append one line to the audit log (who viewed, exported or deleted what, and when)."""
    with engine.begin() as conn:
        conn.execute(
            audit_log.insert().values(
                at=time.time(), actor=actor, action=action, target=target, detail=detail
            )
        )


def check_database(engine: Engine) -> dict[str, object]:
    """``{"ok", "detail"}`` for health checks: does the database answer a trivial query?"""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return {"ok": False, "detail": type(exc).__name__}
    return {"ok": True, "detail": "ok"}
