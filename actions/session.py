"""The start of a conversation: a one-line welcome, and the referent profile sent by the widget."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import BoussoleAction

logger = logging.getLogger(__name__)

PROFILES = ("youth", "referent")
# Slots that describe the conversation's context, refilled from each session's metadata.
CONTEXT_SLOTS = ("partner", "profile", "page_url", "welcome_shown")


class ActionSessionStart(BoussoleAction):
    """Start a session: keep the known slots, read the widget's metadata, say welcome.

    The session starts before the first message is read, so the welcome cannot know whether
    that message is a bare « bonjour » or already a question: it is one line, and the topics
    come with the answer to a bare greeting (rule « Premier bonjour »).
    """

    def name(self) -> str:
        return "action_session_start"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        if (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
            events += [
                SlotSet(name, val)
                for name, val in tracker.current_slot_values().items()
                if val is not None and name not in (*CONTEXT_SLOTS, "session_started_metadata")
            ]
        metadata = tracker.get_slot("session_started_metadata") or {}
        events += self._context_slots(metadata)
        # The web widget greets on its own before the first exchange; other channels get ours.
        welcome_shown = bool(metadata.get("welcome_shown"))
        events.append(SlotSet("welcome_shown", welcome_shown))
        if not welcome_shown:
            dispatcher.utter_message(response="utter_welcome")
        events.append(ActionExecuted("action_listen"))
        return events

    def _context_slots(self, metadata: dict[str, Any]) -> list[EventType]:
        """Partner, profile and page from the gateway's metadata; unknown values are dropped."""
        partner_id = metadata.get("partner")
        partner = self.kb.partner(partner_id) if isinstance(partner_id, str) else None
        if partner_id and partner is None:
            logger.warning("unknown partner %r in session metadata", partner_id)
        profile = metadata.get("profile")
        if profile not in PROFILES:
            profile = partner.profile if partner is not None else None
        page_url = metadata.get("page_url")
        events: list[EventType] = [
            SlotSet("partner", partner.id if partner is not None else None),
            SlotSet("profile", profile),
            SlotSet("page_url", page_url if isinstance(page_url, str) else None),
        ]
        if partner is not None and partner.default_commune:
            events.append(SlotSet("partner_commune", partner.default_commune))
        return events
