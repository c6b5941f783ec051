"""Small readings of a free-text answer that the NLU cannot be asked about mid-form.

When the form asks "quel âge as-tu ?", the answer may come as "19", "j'ai 19 ans",
"dix-neuf", "jsp" or "stop"; these helpers tell them apart (ages are read by
``knowledge.ages``). They only run on the text of an answer to a question the form has just
asked, never to classify a free message.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from knowledge.ages import is_valid_age, parse_age
from knowledge.sources import SITUATIONS
from knowledge.text import fold
from knowledge.voice import REFERENT, voice_of

# Said in place of an answer: "I'd rather not say", "I don't know".
_REFUSALS = (
    "jsp",
    "je sais pas",
    "je ne sais pas",
    "sais pas",
    "chais pas",
    "je prefere pas",
    "je prefere ne pas",
    "prefere pas",
    "pas envie",
    "je veux pas",
    "je ne veux pas",
    "aucune idee",
    "secret",
    "je passe",
    "passer",
    "non",
    "nan",
    "pas de reponse",
)
# Said to leave the search altogether. Only whole short messages count: "j'ai arrêté l'école"
# is a situation, not a request to stop.
_CANCELS = {
    "stop",
    "annuler",
    "annule",
    "arrete",
    "arreter",
    "laisse tomber",
    "on arrete",
    "stoppe",
}

# An INSEE code (2A/2B for Corsica) or a postcode: what the NLU puts in a commune entity.
_COMMUNE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")

# Intents that are a new question or a need of their own, never the answer to a form question.
NOT_AN_ANSWER = {
    "distress",
    "request_human",
    "goodbye",
    "greet",
    "thank",
    "insult",
    "bot_challenge",
    "find_local_contact",
    "ask_orientation",
    "ask_job_info",
    "ask_training",
    "ask_apprenticeship",
    "ask_job_search",
    "ask_youth_offer",
    "ask_scheme_info",
    "ask_eligibility",
    "ask_funding",
    "ask_events",
    "ask_network",
    "ask_agency_contact",
}


def latest_intent(tracker: Tracker) -> str | None:
    """Name of the intent of the last user message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    """Text of the last user message (empty for a button payload without text)."""
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text.strip()


def answers_question(tracker: Tracker, slot: str) -> bool:
    """Whether the last message is the answer to the form's question about ``slot``.

    A new question is no answer, except "stop" or "jsp" whatever intent the NLU gave them: the
    form must hear those to stop or to go on without the criterion.
    """
    if tracker.get_slot("requested_slot") != slot:
        return False
    if latest_intent(tracker) not in NOT_AN_ANSWER:
        return True
    text = latest_text(tracker)
    return is_cancel(text) or is_refusal(text)


def is_cancel(text: str) -> bool:
    """ "stop", "annuler", "laisse tomber"… as a whole message."""
    folded = fold(text).strip(" .!")
    return folded in _CANCELS


def is_refusal(text: str, intent: str | None = None) -> bool:
    """ "jsp", "je préfère pas", "non"… given instead of an answer."""
    if intent == "deny":
        return True
    folded = fold(text).strip(" .!?")
    return any(folded == r or folded.startswith(r + " ") for r in _REFUSALS)


def voice(tracker: Tracker) -> str:
    """Who is talking, so how to say things (knowledge/voice.py): ``youth`` (« tu »), ``parent``
    or ``referent`` (« vous »), from the ``profile`` slot (widget, « ma fille », a structure
    named), else from a situation said (« je suis parent », « je suis éducatrice »)."""
    return voice_of(tracker.get_slot("profile"), tracker.get_slot("situation"))


def is_referent(tracker: Tracker) -> bool:
    """A referent of a partner structure (widget profile, or "je suis référent")."""
    return voice(tracker) == REFERENT


def is_parent(tracker: Tracker) -> bool:
    """A parent or another adult asking for a young person: age and situation are theirs."""
    return tracker.get_slot("profile") == "parent"


def known_age(tracker: Tracker) -> int | None:
    """The person's age if the conversation gave a valid one (slots may hold raw entity text)."""
    age = parse_age(tracker.get_slot("age"))
    return age if is_valid_age(age) else None


def known_situation(tracker: Tracker) -> str | None:
    """The situation if the conversation gave a known one (slots may hold raw entity text)."""
    situation = tracker.get_slot("situation")
    return situation if situation in SITUATIONS else None


def meaningful(slot: str, value: Any) -> bool:
    """Whether an entity value found for ``slot`` can be its answer: a known situation, a valid
    age, an INSEE code or a postcode for the commune (the NLU also tags stray words: « en »,
    « au », « la rentrée », « Eure »). Other slots take any value."""
    text = str(value or "").strip()
    if slot == "situation":
        return text in SITUATIONS
    if slot == "age":
        return is_valid_age(parse_age(text))
    if slot == "commune":
        return bool(_COMMUNE_CODE.match(text))
    return bool(text)


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    """The values of the last message's ``entity`` entities, in the order of the message."""
    return [
        str(e.get("value"))
        for e in tracker.latest_message.get("entities", [])
        if e.get("entity") == entity and e.get("value") is not None
    ]


def structure_named(kb: Any, tracker: Tracker) -> tuple[Any, list[EventType]]:
    """(the workplace the last message names, « je suis animateur au PIJ de Lisieux », or
    ``None``; the slots it sets). A professional who names their structure is a referent from
    then on, as from the widget's metadata: slots ``profile``, ``structure`` and ``partner``."""
    match = kb.find_structure(latest_text(tracker))
    if match is None:
        return None, []
    return match, [
        SlotSet("profile", REFERENT),
        SlotSet("structure", match.name),
        SlotSet("partner", match.partner.id if match.partner else None),
    ]
