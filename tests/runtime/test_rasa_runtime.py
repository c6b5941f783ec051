"""bot.rasa_runtime: Rasa with Boussole's one fix accepts and rejects exactly like Rasa."""

from __future__ import annotations

import subprocess
import sys

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

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
    assert rasa_runtime.with_auth_token(run, environ) == [*run, "--auth-token", "t0k3n"]
    assert rasa_runtime.with_auth_token(run, {}) == run
    assert rasa_runtime.with_auth_token(["train"], environ) == ["train"]
    given = [*run, "--auth-token", "other"]
    assert rasa_runtime.with_auth_token(given, environ) == given
