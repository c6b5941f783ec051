"""The real stack (`make run`'s services) answers in French through Rasa's REST channel."""

from __future__ import annotations

import pytest

from benchmarks.faults import chat, new_session, said
from knowledge.voice import informal_words
from tests.e2e.conftest import buttons, say, texts

pytestmark = pytest.mark.stack


def rasa_url(stack) -> str:
    return stack.settings.rasa_base_url


def test_bonjour_gets_the_welcome_with_topic_buttons(live_stack, sender):
    messages = say(rasa_url(live_stack), sender, "bonjour")
    assert "Boussole" in texts(messages)
    assert "Me former" in buttons(messages)


def test_training_question_is_answered_in_french(live_stack, sender):
    messages = say(rasa_url(live_stack), sender, "je cherche une formation")
    answer = texts(messages).lower()
    assert answer, "the bot must never stay silent"
    assert "formation" in answer
    assert "sorry" not in answer and "i don't" not in answer


def test_informal_typing_with_a_commune_reaches_a_french_answer(live_stack, sender):
    messages = say(rasa_url(live_stack), sender, "jcherche 1 formation a evreux")
    answer = texts(messages)
    assert answer
    assert "Évreux" in answer or "evreux" in answer.lower()


def test_each_turn_ends_with_the_conversations_profile_for_the_gateway(live_stack, sender):
    young = say(rasa_url(live_stack), sender, "bonjour")
    assert young[-1] == {"recipient_id": sender, "custom": {"profile": "youth"}}
    parent = say(rasa_url(live_stack), f"{sender}-p", "ma fille a 14 ans, on habite à Évreux")
    assert parent[-1] == {"recipient_id": f"{sender}-p", "custom": {"profile": "parent"}}
    # Through the gateway: the note is taken out and the profile comes back for the widget.
    status, body, _ = chat(live_stack, new_session(), "ma fille a 14 ans, on habite à Évreux")
    assert status == 200 and body["profile"] == "parent"
    assert all("custom" not in m or "profile" not in m["custom"] for m in body["messages"])
    assert informal_words(said(body["messages"])) == []
