"""The conversation-replay harness against the real stack (Rasa, action server, gateway).

It checks that the harness works — each turn reaches the gateway and comes back with the bot's
messages, and a verdict is given — not that the bot passes these conversations: `make eval`
reports that.
"""

from __future__ import annotations

import pytest

from bot.conversations import load_conversations, mission_locale_names, replay_all

pytestmark = pytest.mark.stack


def test_two_conversations_replay_through_the_gateway(live_stack) -> None:
    conversations = {c.id: c for c in load_conversations()}
    chosen = [conversations["issue_age_in_words"], conversations["referent_widget_which_ml_bolbec"]]
    settings = live_stack.settings
    outcomes = replay_all(
        chosen, f"http://{settings.host}:{settings.web_port}", mission_locale_names()
    )
    assert [o.id for o in outcomes] == [c.id for c in chosen]
    for conversation, outcome in zip(chosen, outcomes, strict=True):
        assert not any(p.startswith("erreur au tour") for p in outcome.problems), outcome.problems
        assert len(outcome.answers) == len(conversation.turns)
        assert outcome.reached == (outcome.problems == ())
    # the gateway's answers were read: the bot said something in these conversations
    assert any(m.text for o in outcomes for turn in o.answers for m in turn)
