"""The real stack (`make run`'s services) answers in French through Rasa's REST channel."""

from __future__ import annotations

import pytest

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
