"""Distress never depends on the action server (issue 13, point 1), on real processes.

The action server is frozen with SIGSTOP (it still accepts connections, never answers), then
killed. Distress said directly or indirectly gets the safeguarding numbers through the gateway's
/api/chat and through Rasa's REST channel; a question only an action can answer gets the apology
with the Parcours Métiers line, never silence. The bound on time is functional and generous
(before this work: 30 s through the gateway, 5 minutes in Rasa); `make bench` measures the
real figure (benchmarks/faults.py).
"""

from __future__ import annotations

import uuid

import pytest

from benchmarks.faults import chat, frozen, kill, rest, said, service
from knowledge.safety import load_safety_answers

pytestmark = pytest.mark.stack

SAFETY = load_safety_answers()
DISTRESS_PHONES = SAFETY.phones("distress")
LINE = SAFETY.phones("request_human")[0]  # the Parcours Métiers line
DIRECT = "je veux mourir"
INDIRECT = "franchement personne ne remarquerait si je disparaissais demain"
ACTION_ONLY = "c'est quoi le contrat d'engagement jeune ?"  # answered by action_scheme_info
GENEROUS = 20  # seconds


def new_session() -> str:
    return f"faults{uuid.uuid4().hex[:16]}"


def gives_every_number(text: str) -> bool:
    return all(phone in text for phone in DISTRESS_PHONES)


@pytest.mark.parametrize("text", [DIRECT, INDIRECT])
def test_distress_with_the_action_server_frozen_through_the_gateway(fault_stack, text):
    with frozen(service(fault_stack, "actions")):
        status, body, seconds = chat(fault_stack, new_session(), text)
    assert status == 200, body
    assert gives_every_number(said(body["messages"])), body
    assert seconds < GENEROUS


@pytest.mark.parametrize("text", [DIRECT, INDIRECT])
def test_distress_with_the_action_server_frozen_through_rasa(fault_stack, text):
    with frozen(service(fault_stack, "actions")):
        messages, seconds = rest(fault_stack, new_session(), text)
    assert gives_every_number(said(messages)), messages
    assert seconds < GENEROUS


def test_distress_in_the_middle_of_a_form_with_the_action_server_frozen(fault_stack):
    session = new_session()
    status, body, _ = chat(fault_stack, session, "je cherche une formation")
    assert status == 200 and "commune" in said(body["messages"])  # the form asks where
    with frozen(service(fault_stack, "actions")):
        status, body, seconds = chat(fault_stack, session, "j'en peux plus de cette vie")
    assert status == 200
    assert gives_every_number(said(body["messages"]))
    assert seconds < GENEROUS


def test_rasa_itself_answers_distress_in_the_middle_of_a_form_with_the_action_server_frozen(
    fault_stack,
):
    # Rasa runs an open form before any rule, and the form asks the action server to check the
    # message: without bot/rasa_runtime.py's fix Rasa gave no numbers here at all.
    session = new_session()
    messages, _ = rest(fault_stack, session, "je cherche une formation")
    assert "commune" in said(messages)  # the form asks where
    with frozen(service(fault_stack, "actions")):
        messages, seconds = rest(fault_stack, session, "j'en peux plus de cette vie")
    assert gives_every_number(said(messages)), messages
    assert seconds < GENEROUS


def test_an_answer_only_an_action_gives_becomes_the_apology_not_silence(fault_stack):
    with frozen(service(fault_stack, "actions")):
        status, body, _ = chat(fault_stack, new_session(), ACTION_ONLY)
    assert status == 503
    assert body["error"] == "rasa_unavailable"
    assert body["message"].startswith("Je ne peux pas te répondre pour le moment")
    assert LINE in said(body["messages"])


def test_talk_to_someone_with_the_action_server_frozen(fault_stack):
    with frozen(service(fault_stack, "actions")):
        messages, seconds = rest(fault_stack, new_session(), "/request_human")
    assert LINE in said(messages)
    assert seconds < GENEROUS


def test_once_resumed_the_action_server_answers_again(fault_stack):
    status, body, _ = chat(fault_stack, new_session(), ACTION_ONLY)
    assert status == 200
    assert "Contrat d'engagement jeune" in said(body["messages"])


# Last: the action server does not come back within this module.
def test_with_the_action_server_killed_distress_is_still_answered(fault_stack):
    in_a_form = new_session()
    assert "commune" in said(rest(fault_stack, in_a_form, "je cherche une formation")[0])
    kill(service(fault_stack, "actions"))
    messages, seconds = rest(fault_stack, in_a_form, "je veux mourir")
    assert gives_every_number(said(messages)), messages  # from Rasa itself, form open
    assert seconds < GENEROUS
    for text in (DIRECT, INDIRECT):
        status, body, seconds = chat(fault_stack, new_session(), text)
        assert status == 200 and gives_every_number(said(body["messages"])), body
        assert seconds < GENEROUS
        messages, seconds = rest(fault_stack, new_session(), text)
        assert gives_every_number(said(messages)), messages
        assert seconds < GENEROUS
    status, body, _ = chat(fault_stack, new_session(), ACTION_ONLY)
    assert status == 503 and LINE in said(body["messages"])
