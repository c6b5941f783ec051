"""bot.rasa_runtime: Rasa with Boussole's fixes accepts, stores and featurizes exactly like Rasa."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import jsonschema
import pytest
from aiohttp import web
from rasa.core import tracker_store
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.training_data.loading import load_data
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.pool import QueuePool

from bot import rasa_runtime
from bot.settings import PROJECT_ROOT

rasa_runtime.apply()
rasa_runtime.apply()  # idempotent: a second call wraps nothing twice

VALID_ANSWERS = [
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "age", "value": 19, "timestamp": None},
            {"event": "followup", "name": "action_find_contacts"},
            {"event": "active_loop", "name": None},
        ],
        "responses": [{"text": "Salut !", "buttons": [{"title": "Oui", "payload": "/affirm"}]}],
    },
    {"events": [{"event": "user", "text": "bonjour", "parse_data": {"intent": {"name": "greet"}}}]},
]
INVALID_ANSWERS = [
    {"events": "pas une liste"},
    {"events": [{"name": "age"}]},  # no event type
    {"events": [{"event": "slot", "name": "age", "timestamp": "hier"}]},
    {"responses": ["texte seul"]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "commune"}]}}]},
]


@pytest.mark.parametrize("answer", VALID_ANSWERS)
def test_valid_action_answers_are_accepted(answer):
    jsonschema.validate(answer, RemoteAction.action_response_format_spec())  # upstream agrees
    assert RemoteAction(name="action_x", action_endpoint=None)._validate_action_result(answer)


@pytest.mark.parametrize("answer", INVALID_ANSWERS)
def test_invalid_action_answers_fail_with_upstream_error(answer):
    with pytest.raises(jsonschema.ValidationError) as upstream:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        RemoteAction(name="action_x", action_endpoint=None)._validate_action_result(answer)
    assert ours.value.message.startswith(upstream.value.message)
    assert "Failed to validate Action server response" in ours.value.message
    assert list(ours.value.absolute_path) == list(upstream.value.absolute_path)


def test_sqlite_tracker_store_keeps_connections_and_writes_ahead(tmp_path):
    domain = Domain.load(str(PROJECT_ROOT / "domain"))
    store = tracker_store.SQLTrackerStore(
        domain, dialect="sqlite", db=str(tmp_path / "tracker.sqlite3")
    )
    assert isinstance(store.engine.pool, QueuePool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL

    events = [
        ActionExecuted("action_listen"),
        UserUttered("jcherche 1 formation a evreux", {"name": "ask_training", "confidence": 0.9}),
        SlotSet("commune", "27229"),
        ActionExecuted("utter_topic_formation"),
    ]
    tracker = DialogueStateTracker.from_events("sqlite-test", events, slots=domain.slots)
    asyncio.run(store.save(tracker))
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))  # only the new event is added
    stored = asyncio.run(store.retrieve("sqlite-test"))
    assert [e.as_dict()["event"] for e in stored.events] == [
        e.as_dict()["event"] for e in tracker.events
    ]
    assert stored.get_slot("commune") == "27229"


def test_other_databases_keep_rasas_engine_options(monkeypatch):
    monkeypatch.delenv("POSTGRESQL_SCHEMA", raising=False)
    upstream = tracker_store.create_engine_kwargs.__wrapped__
    for url in ("postgresql://boussole@127.0.0.1/test", "sqlite://"):  # sqlite://: in memory
        assert tracker_store.create_engine_kwargs(url) == upstream(url)


@pytest.fixture(scope="module")
def spacy_pair():
    """spaCy as Rasa loads it, and as Boussole's runtime does."""
    import spacy

    upstream = spacy.load("fr_core_news_md", disable=["parser"])
    ours = SpacyNLP.load_model("fr_core_news_md").model
    return upstream, ours


def test_spacy_drops_only_unused_components(spacy_pair):
    upstream, ours = spacy_pair
    assert "ner" in upstream.pipe_names and "ner" not in ours.component_names
    assert "parser" not in ours.component_names
    assert {"tok2vec", "morphologizer", "lemmatizer"} <= set(ours.pipe_names)


def test_spacy_features_are_unchanged_on_the_training_data(spacy_pair):
    """What Rasa's SpacyTokenizer and SpacyFeaturizer read: text, offsets, lemmas, tags, vectors."""
    upstream, ours = spacy_pair
    texts = [m.get("text") for m in load_data(str(PROJECT_ROOT / "data" / "nlu")).training_examples]
    assert len(texts) > 1000
    for a, b in zip(upstream.pipe(texts), ours.pipe(texts), strict=True):
        assert [(t.text, t.idx, t.lemma_, t.tag_, t.pos_) for t in a] == [
            (t.text, t.idx, t.lemma_, t.tag_, t.pos_) for t in b
        ], a.text
        assert (a.vector == b.vector).all(), a.text


def test_the_runtime_runs_rasa_commands():
    completed = subprocess.run(
        rasa_runtime.command("--version"), cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "Rasa Version" in completed.stdout and "3.6.21" in completed.stdout
    assert rasa_runtime.command("run")[:3] == [sys.executable, "-m", "bot.rasa_runtime"]


async def _silent_action_server(aiohttp_server):
    """An action server that accepts the call and never answers (as a frozen one)."""

    async def webhook(_request):
        await asyncio.sleep(3600)

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    return await aiohttp_server(app)


async def test_the_action_endpoint_timeout_bounds_each_call(aiohttp_server):
    server = await _silent_action_server(aiohttp_server)
    endpoint = EndpointConfig(url=str(server.make_url("/webhook")), timeout=0.5)
    action = RemoteAction("action_find_contacts", endpoint)
    tracker = DialogueStateTracker("conv", [])
    domain = Domain.load(str(PROJECT_ROOT / "domain"))
    started = time.perf_counter()
    with pytest.raises(RasaException, match=r"within 0\.5 s"):
        await action.run(CollectingOutputChannel(), None, tracker, domain)
    assert time.perf_counter() - started < 30  # Rasa alone would wait 5 minutes


async def test_without_a_timeout_key_the_call_is_rasas_own(aiohttp_server):
    async def webhook(_request):
        return web.json_response({"events": [], "responses": [{"text": "Salut"}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    server = await aiohttp_server(app)
    action = RemoteAction("action_x", EndpointConfig(url=str(server.make_url("/webhook"))))
    domain = Domain.load(str(PROJECT_ROOT / "domain"))
    events = await action.run(
        CollectingOutputChannel(),
        TemplatedNaturalLanguageGenerator({}),
        DialogueStateTracker("c", []),
        domain,
    )
    assert events[0].text == "Salut"


async def test_a_failed_session_start_falls_back_to_rasas_own(aiohttp_server):
    server = await _silent_action_server(aiohttp_server)
    endpoint = EndpointConfig(url=str(server.make_url("/webhook")), timeout=0.5)
    action = RemoteAction("action_session_start", endpoint)
    domain = Domain.load(str(PROJECT_ROOT / "domain"))
    events = await action.run(
        CollectingOutputChannel(), None, DialogueStateTracker("conv", []), domain
    )
    # Without these, no rule would match the conversation's first message.
    assert isinstance(events[0], SessionStarted)
    assert events[-1] == ActionExecuted("action_listen")
