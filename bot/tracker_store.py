"""Rasa's SQL tracker store as Boussole runs it, named by module path in the endpoints file.

``python -m bot run`` writes ``tracker_store: {type: bot.tracker_store.BoussoleTrackerStore,
url: ${TRACKER_DB_URL}}``: Rasa reads the URL from the environment when it loads the file, so no
password is ever written to disk, and the URL is used whole (driver such as
``postgresql+psycopg2``, and query options such as ``sslmode=require``, which Rasa's own SQL
store drops when the URL is split into dialect, host, port and database).

What differs from Rasa's ``SQLTrackerStore`` (same tables, same events, same queries):

- SQLite files keep their connections in a pool and use write-ahead logging with
  ``synchronous=NORMAL``. Rasa's store opened and closed the file for every read and write and
  synced it several times per commit: about 25 % of the server's time, measured with py-spy. The
  database stays consistent after a crash (at worst the last turns are lost on a power cut), and
  the console can read while Rasa writes.
- PostgreSQL keeps Rasa's pool options (``SQL_POOL_SIZE``, ``SQL_MAX_OVERFLOW``,
  ``POSTGRESQL_SCHEMA``) and checks a pooled connection before using it, so that the store
  recovers by itself when the database comes back after a restart.
- A failed read or write is logged as an error and recorded for the turn in progress
  (:func:`turn_failures`): Rasa wraps every store in a ``FailSafeTrackerStore`` that would carry on
  silently in memory, so Boussole's input channel (``bot/channels.py``) answers that turn with an
  apology instead of pretending the conversation was saved.
- The conversation as saved at the end of a turn is kept for that turn (:func:`turn_saved`), so
  that Boussole's channel can tell the gateway the conversation's profile without reading the
  conversation again.
- :meth:`BoussoleTrackerStore.answers_to` finds a turn already kept by its message id, so that a
  message sent again (nginx resends it to another replica when the first one died) is answered
  from the conversation instead of being handled twice (``bot/channels.py``).
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

logger = logging.getLogger(__name__)

# The failures of the store during the message being handled (a list set by the input channel).
_TURN_FAILURES: contextvars.ContextVar[list[Exception] | None] = contextvars.ContextVar(
    "boussole_tracker_store_failures", default=None
)
# How long start-up waits for the database before giving up (Rasa's own store waits forever).
STARTUP_WAIT_SECONDS = 120


@contextmanager
def turn_failures() -> Iterator[list[Exception]]:
    """Collect the tracker store's failures while one message is handled (same asyncio task)."""
    failures: list[Exception] = []
    token = _TURN_FAILURES.set(failures)
    try:
        yield failures
    finally:
        _TURN_FAILURES.reset(token)


def _record_failure(error: Exception) -> None:
    failures = _TURN_FAILURES.get()
    if failures is not None:
        failures.append(error)


_TURN_SAVED: contextvars.ContextVar[list[DialogueStateTracker] | None] = contextvars.ContextVar(
    "boussole_tracker_store_saved", default=None
)


@contextmanager
def turn_saved() -> Iterator[list[DialogueStateTracker]]:
    """Collect the conversations saved while one message is handled (same asyncio task); the
    last one is the conversation at the end of the turn."""
    saved: list[DialogueStateTracker] = []
    token = _TURN_SAVED.set(saved)
    try:
        yield saved
    finally:
        _TURN_SAVED.reset(token)


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    """On every new SQLite connection: write-ahead log, fewer syncs (see the module's docstring)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str) -> Engine:
    """The engine for a tracker store URL: pooled WAL SQLite files; PostgreSQL as Rasa has it."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        engine = sa.create_engine(
            parsed, poolclass=QueuePool, connect_args={"check_same_thread": False}
        )
        sa.event.listen(engine, "connect", _sqlite_wal)
        return engine
    # Rasa recognises PostgreSQL by the text of the URL; its URL-object check would miss
    # "postgresql+psycopg2" and drop the pool and schema options.
    kwargs = create_engine_kwargs(str(parsed)) if backend == "postgresql" else {}
    return sa.create_engine(parsed, pool_pre_ping=backend != "sqlite", **kwargs)


class BoussoleTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on a whole SQLAlchemy URL (see the module's docstring)."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        # Rasa passes the endpoint's `url` as `host` to tracker stores it loads by module path.
        db_url = url or host
        if not db_url:
            raise ValueError("BoussoleTrackerStore needs `url`: the SQLAlchemy URL of the database")
        self.engine = create_engine(db_url)
        self._wait_for_tables()
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        TrackerStore.__init__(self, domain, event_broker, **kwargs)

    def _wait_for_tables(self) -> None:
        """Create Rasa's table, waiting for a database that is still starting (bounded)."""
        deadline = time.monotonic() + STARTUP_WAIT_SECONDS
        while True:
            try:
                self.Base.metadata.create_all(self.engine)
                return
            except sa.exc.IntegrityError:
                return  # another replica created it at the same moment
            except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
                if time.monotonic() > deadline:
                    raise
                logger.warning("Tracker store not reachable yet, retrying in 2 s: %s", error)
                time.sleep(2)

    def is_available(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError as error:
            logger.error("Tracker store unavailable: %s", error)
            return False

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the new events of ``tracker``; a failure is logged and recorded for the turn."""
        try:
            await super().save(tracker)
        except Exception as error:
            self._failed("save", tracker.sender_id, error)
            raise
        saved = _TURN_SAVED.get()
        if saved is not None:
            saved.append(tracker)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        try:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        except Exception as error:
            self._failed("retrieve", sender_id, error)
            raise

    def answers_to(self, sender_id: str, message_id: str) -> list[dict[str, Any]] | None:
        """The bot's messages that followed the user message ``message_id`` in the conversation
        ``sender_id`` (each ``{"text": …, "buttons": …}``), or None when no such message is kept.

        ``message_id`` is letters, digits and hyphens only (the channel checks it), so that it
        can stand in a LIKE pattern as it is.
        """
        try:
            return self._answers_to(sender_id, message_id)
        except Exception as error:
            self._failed("look-up", sender_id, error)
            raise

    def _answers_to(self, sender_id: str, message_id: str) -> list[dict[str, Any]] | None:
        event = self.SQLEvent
        pattern = f'%"message_id": "{message_id}"%'
        with self.session_scope() as session:
            first = session.execute(
                sa.select(event.id)
                .where(event.sender_id == sender_id, event.type_name == "user")
                .where(event.data.like(pattern))
                .order_by(event.id)
                .limit(1)
            ).scalar()
            if first is None:
                return None
            rows = session.execute(
                sa.select(event.type_name, event.data)
                .where(event.sender_id == sender_id, event.id > first)
                .order_by(event.id)
            ).all()
        answers = []
        for type_name, data in rows:
            if type_name == "user":
                break
            if type_name == "bot":
                said = json.loads(data)
                answers.append({"text": said.get("text"), **(said.get("data") or {})})
        return answers

    @staticmethod
    def _failed(operation: str, sender_id: str, error: Exception) -> None:
        logger.error("Tracker store %s failed for conversation %s: %s", operation, sender_id, error)
        _record_failure(error)
