"""Helpers of the action tests: trackers as Rasa sends them, answers as the person sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.core.nlg.interpolator import interpolate_text
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

# Boussole's REST channel (bot/channels.py); no response has channel-specific variations.
CHANNEL = "boussole"


@dataclass
class Seen:
    """One message as the person sees it: its text and its button titles and payloads."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

    @property
    def titles(self) -> list[str]:
        return [b["title"] for b in self.buttons]


def variants_for(variants: list[dict[str, Any]], slots: dict[str, Any]) -> list[dict[str, Any]]:
    """The variations Rasa picks one from at random, by its own filter: those whose slot
    conditions all hold, else those without any condition."""
    return ResponseVariationFilter({"response": variants}).responses_for_utter_action(
        "response", CHANNEL, slots
    )


def variant(variants: list[dict[str, Any]], slots: dict[str, Any]) -> dict[str, Any]:
    """The first variation Rasa may pick (:func:`variants_for`)."""
    return variants_for(variants, slots)[0]


def shown(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], slots: dict[str, Any] | None = None
) -> list[Seen]:
    """The dispatcher's messages rendered like Rasa does (domain response + variables).

    ``slots`` choose among conditional variations (« vous » for a parent); without them the
    young person's variation is shown.
    """
    seen = []
    for message in dispatcher.messages:
        name = message.get("response")
        text = message.get("text") or ""
        buttons = list(message.get("buttons") or [])
        if name:
            assert name in domain["responses"], f"response {name} is not in the domain"
            chosen = variant(domain["responses"][name], slots or {})
            text = interpolate_text(chosen.get("text", ""), message)
            buttons = [*chosen.get("buttons", []), *buttons]
        seen.append(Seen(text, buttons))
    return seen


def all_text(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], slots: dict[str, Any] | None = None
) -> str:
    """Everything the person reads, as one string."""
    return "\n".join(m.text for m in shown(dispatcher, domain, slots))


def make_tracker(
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    events: list[dict[str, Any]] | None = None,
    ranking: list[dict[str, Any]] | None = None,
    sender_id: str = "test-user",
    candidates: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker whose last user message is ``text`` classified as ``intent``.

    ``candidates`` are slot values extracted from that message (``SlotSet`` events after it),
    which is what a form's validation action receives from Rasa.
    """
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}],
    }
    user_event = {"event": "user", "text": text, "parse_data": latest}
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": {**(slots or {}), **(candidates or {})},
            "latest_message": latest,
            "events": [
                *(events or []),
                user_event,
                *({"event": "slot", "name": k, "value": v} for k, v in (candidates or {}).items()),
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )
