"""Whole conversations through the real stack (Rasa REST channel → action server → knowledge)."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import say, texts

pytestmark = pytest.mark.stack


@pytest.fixture
def sender() -> str:
    return f"actions-e2e-{uuid.uuid4().hex[:10]}"


def talk(stack, sender: str, *lines: str) -> list[str]:
    """Send each line in turn; the bot's answer to each, as text."""
    return [texts(say(stack.settings.rasa_base_url, sender, line)) for line in lines]


def test_louvier_at_19_leaves_with_the_right_mission_locale(live_stack, sender, kb):
    answers = talk(live_stack, sender, "je cherche une formation", "louvier", "19", "étudiant")
    assert "Dans quelle commune habites-tu" in answers[0]
    assert "C'est noté : Louviers (Eure)." in answers[1]
    assert "Quel âge as-tu" in answers[1]
    ml = kb.operator(kb.commune("27375").mission_locale)
    assert ml.name in answers[3]
    assert "qui couvre Louviers" in answers[3]  # its head office, said as such
    assert kb.contact("parcours_metiers").phone in answers[3]


def test_distress_mid_form_is_answered_first_then_the_form_resumes(live_stack, sender, kb):
    answers = talk(live_stack, sender, "je cherche du travail", "je veux mourir", "Caen")
    assert kb.contact("distress_3114").phone in answers[1]
    assert "Dans quelle commune habites-tu" in answers[1]  # asked again after the numbers
    assert "C'est noté : Caen (Calvados)." in answers[2]


def test_outside_normandy_is_told_so(live_stack, sender):
    answers = talk(live_stack, sender, "je cherche une formation", "Lyon")
    assert "Boussole couvre seulement la Normandie" in answers[1]
