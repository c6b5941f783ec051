"""bot.rasa_runtime: Rasa with Boussole's two fixes accepts and rejects exactly like Rasa, and
bounds each action call by the endpoint's timeout."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time

import jsonschema
import pytest
from aiohttp import web
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_runtime
from bot.settings import PROJECT_ROOT

rasa_runtime.apply()
rasa_runtime.apply()  # idempotent

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


def test_the_fix_applies_only_to_the_rasa_version_it_was_written_for():
    rasa_runtime.check_version()  # the installed one
    with pytest.raises(rasa_runtime.UnsupportedRasaVersion, match=r"3\.7\.0"):
        rasa_runtime.check_version("3.7.0")


def test_the_runtime_runs_rasa_commands():
    completed = subprocess.run(
        rasa_runtime.command("--version"), cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "Rasa Version" in completed.stdout and "3.6.21" in completed.stdout
    assert rasa_runtime.command("run")[:3] == [sys.executable, "-m", "bot.rasa_runtime"]


def test_rasa_run_gets_the_api_token_from_the_environment():
    environ = {"RASA_TOKEN": "t0k3n"}
    run = ["run", "--enable-api", "--port", "5005"]
    assert rasa_runtime.with_auth_token(run, environ) == [*run, "--auth-token=t0k3n"]
    assert rasa_runtime.with_auth_token(run, {}) == run
    assert rasa_runtime.with_auth_token(["train"], environ) == ["train"]
    for given in ([*run, "--auth-token", "other"], [*run, "--auth-token=other"]):
        assert rasa_runtime.with_auth_token(given, environ) == given


def test_rasa_reads_a_token_that_starts_with_a_dash():
    """secrets.token_urlsafe gives one in 64 tokens a leading « - » (var/rasa_token)."""
    from rasa.__main__ import create_argument_parser

    run = ["run", "--enable-api", "--port", "5005"]
    args = rasa_runtime.with_auth_token(run, {"RASA_TOKEN": "-I-t0k3n"})
    assert create_argument_parser().parse_args(args).auth_token == "-I-t0k3n"


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


async def test_session_start_has_its_own_shorter_wait(aiohttp_server):
    server = await _silent_action_server(aiohttp_server)
    endpoint = EndpointConfig(
        url=str(server.make_url("/webhook")), timeout=3600, session_start_timeout=0.5
    )
    action = RemoteAction("action_session_start", endpoint)
    domain = Domain.load(str(PROJECT_ROOT / "domain"))
    events = await asyncio.wait_for(
        action.run(CollectingOutputChannel(), None, DialogueStateTracker("conv", []), domain),
        timeout=60,  # would hang for the hour of `timeout` if session_start_timeout were ignored
    )
    assert isinstance(events[0], SessionStarted)
    with pytest.raises(asyncio.TimeoutError):  # an ordinary action waits `timeout`
        await asyncio.wait_for(
            RemoteAction("action_find_contacts", endpoint).run(
                CollectingOutputChannel(), None, DialogueStateTracker("conv", []), domain
            ),
            timeout=2,
        )


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


# --- an open form and the safety answers -------------------------------------------------------

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain"))


def _in_the_contact_form(text: str, intent: str, *after: Event) -> DialogueStateTracker:
    """A conversation whose contact form asked for the commune, then got ``text``."""
    events = [
        ActionExecuted("action_listen"),
        UserUttered("je cherche une formation", {"name": "ask_training", "confidence": 1.0}),
        ActionExecuted("contact_form"),
        ActiveLoop("contact_form"),
        SlotSet("requested_slot", "commune"),
        ActionExecuted("action_listen"),
        UserUttered(text, {"name": intent, "confidence": 1.0}),
        *after,
    ]
    return DialogueStateTracker.from_events("conv", events, slots=DOMAIN.slots)


async def _counting_action_server(aiohttp_server):
    """An action server that answers at once with nothing, and counts the calls."""
    calls: list[str] = []

    async def webhook(request):
        calls.append((await request.json())["next_action"])
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    server = await aiohttp_server(app)
    return server, calls


async def _run_form(endpoint: EndpointConfig, tracker: DialogueStateTracker) -> list[Event]:
    form = FormAction("contact_form", endpoint)
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    return await form.run(CollectingOutputChannel(), nlg, tracker, DOMAIN)


@pytest.mark.parametrize(
    "text, intent", [("je veux mourir", "distress"), ("/request_human", "request_human")]
)
async def test_an_open_form_steps_aside_for_a_safety_message_without_the_action_server(
    aiohttp_server, text, intent
):
    server, calls = await _counting_action_server(aiohttp_server)
    endpoint = EndpointConfig(url=str(server.make_url("/webhook")), timeout=10)
    with pytest.raises(ActionExecutionRejection):  # the rule for the intent answers instead
        await _run_form(endpoint, _in_the_contact_form(text, intent))
    assert calls == []
    # Any other answer is checked by the action server first, as Rasa does (here it finds
    # nothing to fill, and Rasa itself rejects).
    with contextlib.suppress(ActionExecutionRejection):
        await _run_form(endpoint, _in_the_contact_form("bof", "inform"))
    assert calls[:1] == ["validate_contact_form"]


async def test_the_form_resuming_after_a_safety_answer_waits_only_the_short_limit(aiohttp_server):
    server = await _silent_action_server(aiohttp_server)
    endpoint = EndpointConfig(
        url=str(server.make_url("/webhook")), timeout=3600, session_start_timeout=0.5
    )
    answered = _in_the_contact_form(
        "je veux mourir",
        "distress",
        ActionExecuted("utter_distress"),
        BotUttered("3114 …"),
        ActionExecuted("utter_distress_resume"),
        BotUttered("On reprend ?"),
    )
    with pytest.raises(RasaException, match=r"within 0\.5 s"):  # then Rasa listens again
        # would hang for the hour of `timeout` if the resume waited as long as other actions
        await asyncio.wait_for(_run_form(endpoint, answered), timeout=60)
