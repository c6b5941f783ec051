"""bot.tracker_store and the endpoints file: what Rasa loads by name, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import psycopg2
import pytest
import redis
import sqlalchemy.exc
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from bot.channels import profile_note
from bot.settings import PROJECT_ROOT, load_settings
from bot.stack import Stack, lock_store_config, rasa_token, write_endpoints
from bot.tracker_store import BoussoleTrackerStore, turn_failures, turn_saved

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain"))
EVENTS = [
    ActionExecuted("action_listen"),
    UserUttered("jcherche 1 formation a evreux", {"name": "ask_training", "confidence": 0.9}),
    SlotSet("commune", "27229"),
    ActionExecuted("utter_topic_formation"),
]


def _store(url: str) -> TrackerStore:
    """The store as Rasa builds it from an endpoints file naming the class by module path."""
    config = EndpointConfig(url=url, type="bot.tracker_store.BoussoleTrackerStore")
    return TrackerStore.create(config, DOMAIN)


def _round_trip(store: TrackerStore, sender: str) -> None:
    tracker = DialogueStateTracker.from_events(sender, EVENTS, slots=DOMAIN.slots)
    asyncio.run(store.save(tracker))
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))  # only the new event is added
    stored = asyncio.run(store.retrieve(sender))
    assert [e.as_dict()["event"] for e in stored.events] == [
        e.as_dict()["event"] for e in tracker.events
    ]
    assert stored.get_slot("commune") == "27229"


def test_rasa_loads_the_store_by_name_and_sqlite_keeps_connections_and_writes_ahead(tmp_path):
    store = _store(f"sqlite:///{tmp_path / 'tracker.sqlite3'}")
    assert isinstance(store, BoussoleTrackerStore)
    assert isinstance(store.engine.pool, QueuePool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    _round_trip(store, "sqlite-test")


def test_the_conversation_saved_at_the_end_of_a_turn_gives_the_gateway_its_profile(tmp_path):
    store = _store(f"sqlite:///{tmp_path / 'tracker.sqlite3'}")
    young = DialogueStateTracker.from_events("young", EVENTS, slots=DOMAIN.slots)
    parent = DialogueStateTracker.from_events(
        "parent", [*EVENTS, SlotSet("profile", "parent")], slots=DOMAIN.slots
    )
    with turn_saved() as saved:
        asyncio.run(store.save(parent))
    assert saved == [parent]
    assert profile_note("parent", saved[-1]) == {
        "recipient_id": "parent",
        "custom": {"profile": "parent"},
    }
    with turn_saved() as saved:
        asyncio.run(store.save(young))
    assert profile_note("young", saved[-1])["custom"] == {"profile": "youth"}
    asyncio.run(store.save(young))  # outside a turn: nothing is kept


def test_postgresql_url_is_used_whole(make_postgres_database, monkeypatch):
    """Driver name and query options reach the connection; Rasa's pool options are kept."""
    monkeypatch.setenv("SQL_POOL_SIZE", "7")
    base = make_url(make_postgres_database("tracker"))
    url = base.set(drivername="postgresql+psycopg2", query={"application_name": "boussole_test"})
    store = _store(str(url))
    assert store.engine.pool.size() == 7
    with store.engine.connect() as connection:
        name = connection.exec_driver_sql("SHOW application_name").scalar()
    assert name == "boussole_test"
    _round_trip(store, "pg-test")
    assert store.is_available()


def test_a_failing_store_is_recorded_for_the_turn(make_postgres_database):
    url = make_url(make_postgres_database("tracker"))
    store = _store(str(url))
    admin = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username, dbname="test")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE "{url.database}" WITH (FORCE)')
    admin.close()
    tracker = DialogueStateTracker.from_events("gone", EVENTS, slots=DOMAIN.slots)
    with turn_failures() as failures, pytest.raises(sqlalchemy.exc.OperationalError):
        asyncio.run(store.save(tracker))
    assert failures, "the failed save was not recorded"
    assert not store.is_available()


def test_the_endpoints_file_holds_no_secret_and_rasa_reads_the_url_from_the_environment(
    tmp_path, monkeypatch
):
    tracker_url = "postgresql+psycopg2://boussole:s3cret@db.example:5433/rasa?sslmode=require"
    settings = replace(
        load_settings({}),
        tracker_db_url=tracker_url,
        redis_url="rediss://rasa:r3dis@cache.example:6380/2",
        redis_key_prefix="prod1",
    )
    path = write_endpoints(settings, tmp_path / "endpoints.yml")
    text = path.read_text()
    assert "s3cret" not in text and "r3dis" not in text
    for name, value in Stack(settings=settings).env().items():
        monkeypatch.setenv(name, value)
    tracker = read_endpoint_config(str(path), "tracker_store")
    assert tracker.type == "bot.tracker_store.BoussoleTrackerStore"
    assert tracker.url == tracker_url
    lock = read_endpoint_config(str(path), "lock_store")
    assert (lock.url, lock.kwargs["port"], lock.kwargs["db"]) == ("cache.example", 6380, 2)
    assert lock.kwargs["use_ssl"] is True
    assert (lock.kwargs["username"], lock.kwargs["password"]) == ("rasa", "r3dis")
    assert lock.kwargs["key_prefix"] == "prod1"


def test_rasa_lock_store_writes_under_the_key_prefix():
    config = lock_store_config("redis://127.0.0.1:6379/0", "boussoletest")
    store = LockStore.create(EndpointConfig(**config))
    lock = store.create_lock("conv-1")
    store.save_lock(lock)
    client = redis.Redis(host="127.0.0.1", port=6379, db=0)
    try:
        assert client.exists("boussoletest:lock:conv-1")
    finally:
        store.delete_lock("conv-1")
    assert lock_store_config("", "boussole") == {"type": "in_memory"}
    with pytest.raises(ValueError, match="redis://"):
        lock_store_config("http://127.0.0.1:6379", "boussole")


def test_a_key_prefix_that_rasa_would_ignore_is_refused():
    with pytest.raises(ValueError, match="REDIS_KEY_PREFIX"):
        load_settings({"REDIS_KEY_PREFIX": "boussole:prod"})


def test_the_api_token_is_generated_once_and_kept_private(tmp_path):
    path = tmp_path / "var" / "rasa_token"
    settings = load_settings({})
    first = rasa_token(settings, path)
    assert len(first) >= 32 and path.stat().st_mode & 0o777 == 0o600
    assert rasa_token(settings, path) == first
    assert rasa_token(replace(settings, rasa_token="given"), path) == "given"


def test_services_get_the_configured_host_and_action_url(tmp_path):
    settings = load_settings({"BOUSSOLE_HOST": "10.1.2.3", "ACTION_PORT": "6055"})
    services = {s.name: s for s in Stack(settings=settings, log_dir=tmp_path / "logs").build()}
    assert services["actions"].env["SANIC_HOST"] == "10.1.2.3"
    rasa = services["rasa"].command
    assert rasa[rasa.index("--interface") + 1] == "10.1.2.3"
    assert settings.action_url == "http://10.1.2.3:6055/webhook"
    moved = load_settings({"ACTION_URL": "http://actions.internal:5055/webhook"})
    assert moved.action_url == "http://actions.internal:5055/webhook"


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_kept_turn_is_found_by_its_message_id_with_its_answers(backend, tmp_path, request):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    else:
        url = request.getfixturevalue("make_postgres_database")("tracker")
    store = _store(url)
    buttons = [{"title": "Oui", "payload": "/affirm"}]
    events = [
        ActionExecuted("action_listen"),
        UserUttered("bonjour", {"name": "greet", "confidence": 1.0}, message_id="turn-0001"),
        BotUttered("Salut !", {"buttons": buttons}),
        ActionExecuted("action_listen"),
        UserUttered("merci", {"name": "thank", "confidence": 1.0}, message_id="turn-0002"),
        BotUttered("Avec plaisir."),
        BotUttered("À bientôt."),
        ActionExecuted("action_listen"),
    ]
    tracker = DialogueStateTracker.from_events("kept", events, slots=DOMAIN.slots)
    asyncio.run(store.save(tracker))
    # Another conversation's message is not this one's.
    other = DialogueStateTracker.from_events(
        "other", [UserUttered("salut", message_id="turn-0003")], slots=DOMAIN.slots
    )
    asyncio.run(store.save(other))
    assert store.answers_to("kept", "turn-0001") == [{"text": "Salut !", "buttons": buttons}]
    assert [a["text"] for a in store.answers_to("kept", "turn-0002")] == [
        "Avec plaisir.",
        "À bientôt.",
    ]
    assert store.answers_to("kept", "turn-0003") is None
    assert store.answers_to("kept", "turn-0004") is None
