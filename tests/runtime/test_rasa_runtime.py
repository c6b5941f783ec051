"""bot.rasa_runtime: Rasa with Boussole's two fixes accepts and rejects exactly like Rasa, and
bounds each action call by the endpoint's timeout."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import jsonschema
import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted
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
