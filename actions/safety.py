"""Never a dead end: a fallback that does not repeat itself, and never offers « Détresse ».

The safeguarding answer itself is no action: rules utter ``utter_distress``, which
``python -m bot nlu sync`` writes from contacts.yml into the domain, so that it never waits for
the action server (knowledge/safety.py).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import BoussoleAction
from actions.render import button, parcours_metiers_text
from actions.understanding import entity_values, latest_intent, meaningful

INTENT_LABELS = Path(__file__).resolve().parent.parent / "data" / "intent_labels.csv"
# Intents that are not a topic one could offer as "did you mean…?". Distress is never guessed at
# with a button: a message with a distress cue is answered as distress (bot/nlu/distress_net.py).
_NOT_TOPICS = {
    "distress",
    "nlu_fallback",
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "out_of_scope",
    "insult",
    "inform",
    "find_local_contact",  # always offered, as the last button
}
MAX_SUGGESTIONS = 3
# Actions Rasa runs around every message, which say nothing to the person.
_BOOKKEEPING = {"action_listen", "action_extract_slots", "action_session_start", None}
FALLBACK_ACTION = "action_boussole_fallback"
CONTACT_FORM = "contact_form"


@lru_cache(maxsize=1)
def intent_labels() -> dict[str, str]:
    """French label of each intent (data/intent_labels.csv, shared with the console)."""
    with INTENT_LABELS.open(encoding="utf-8") as handle:
        return {row["intent"]: row["label"] for row in csv.DictReader(handle)}


class ActionBoussoleFallback(BoussoleAction):
    """Low confidence: first the likely topics as buttons; then a human line and a local search.

    "Je ne suis pas sûr de comprendre" is said at most once in a row: a second unclear message
    gets the Parcours Métiers line and the contact search instead. It is also Rasa's core fallback
    (config.yml), when no policy is sure of what follows a message it understood.
    """

    def name(self) -> str:
        return FALLBACK_ACTION

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if self._says_where(tracker):
            # « slt 19a jcherche taf sur Elbeuf »: the question is unclear, but the message
            # says where the person lives (its facts are kept in the slots): the contact search
            # answers it, asking only what is missing, rather than a list of topics.
            return [FollowupAction(CONTACT_FORM)]
        if self._second_in_a_row(tracker):
            dispatcher.utter_message(
                response="utter_fallback_human",
                parcours_metiers=parcours_metiers_text(),
                buttons=[
                    button("Trouver un lieu près de chez moi", "/find_local_contact"),
                    button("Parler à quelqu'un", "/request_human"),
                ],
            )
            return self._forget_unless_unclear(tracker)
        labels = intent_labels()
        ranking = tracker.latest_message.get("intent_ranking") or []
        likely = [
            r["name"]
            for r in ranking
            if r.get("name") not in _NOT_TOPICS and r.get("name") in labels
        ][:MAX_SUGGESTIONS]
        buttons = [button(labels[name], f"/{name}") for name in likely]
        buttons.append(button(labels["find_local_contact"], "/find_local_contact"))
        dispatcher.utter_message(response="utter_fallback_topics", buttons=buttons)
        return self._forget_unless_unclear(tracker)

    @staticmethod
    def _says_where(tracker: Tracker) -> bool:
        """An unclear message, outside any form, that names a commune or a postcode."""
        if latest_intent(tracker) != "nlu_fallback" or tracker.active_loop.get("name"):
            return False
        return any(meaningful("commune", v) for v in entity_values(tracker, "commune"))

    @staticmethod
    def _forget_unless_unclear(tracker: Tracker) -> list[EventType]:
        """As the core fallback, forget the message (as Rasa's own fallback does): otherwise Rasa
        predicts again after this answer, and falls back again, up to ten answers in a row."""
        if latest_intent(tracker) == "nlu_fallback":
            return []  # the rule "Message peu clair" goes on
        return [UserUtteranceReverted()]

    @staticmethod
    def _second_in_a_row(tracker: Tracker) -> bool:
        """Whether the bot's previous answer was already this fallback."""
        for event in reversed(tracker.events):
            if event.get("event") == "action" and event.get("name") not in _BOOKKEEPING:
                return event.get("name") == FALLBACK_ACTION
        return False
