"""Realistic conversations written with Rasa's own ``SQLTrackerStore``, for tests and benchmarks.

The console must read exactly what Rasa writes, so nothing here creates tables by hand: trackers
are built from Rasa events (``UserUttered`` with real ``parse_data``, ``BotUttered``,
``ActionExecuted``, ``SlotSet``) and saved by the tracker store itself. Importing Rasa is slow,
hence the imports inside the functions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Turn:
    """One user message, how the NLU read it, and what the bot did."""

    text: str
    intent: str
    confidence: float
    entities: tuple[dict, ...] = ()
    action: str = "utter_default"
    bot_text: str = "D'accord."
    slots: dict = field(default_factory=dict)


def open_store(url: str):
    """A Rasa ``SQLTrackerStore`` writing to the SQLAlchemy ``url`` (SQLite or PostgreSQL)."""
    from rasa.core.tracker_store import SQLTrackerStore

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SQLTrackerStore(dialect="sqlite", db=parsed.database)
    return SQLTrackerStore(
        dialect="postgresql",
        host=parsed.host,
        port=parsed.port or 5432,
        db=parsed.database,
        username=parsed.username,
        password=parsed.password,
    )


def build_tracker(
    sender_id: str,
    turns: list[Turn],
    *,
    start: float,
    partner: str | None = "rouen_info_jeunes",
    step: float = 20.0,
):
    """A ``DialogueStateTracker`` holding a whole conversation that started at ``start``."""
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    ts = start
    events = [
        ActionExecuted("action_session_start", timestamp=ts),
        SessionStarted(timestamp=ts),
        ActionExecuted("action_listen", timestamp=ts),
    ]
    for number, turn in enumerate(turns):
        ts += step
        parse_data = {
            "text": turn.text,
            "intent": {"name": turn.intent, "confidence": turn.confidence},
            "intent_ranking": [{"name": turn.intent, "confidence": turn.confidence}],
            "entities": [dict(e) for e in turn.entities],
        }
        metadata = {"page_url": "https://www.rouen.fr/jeunesse", "profile": "youth"}
        if partner:
            metadata["partner"] = partner
        events.append(
            UserUttered(
                turn.text,
                intent=parse_data["intent"],
                entities=parse_data["entities"],
                parse_data=parse_data,
                timestamp=ts,
                metadata=metadata,
                message_id=f"{sender_id}-{number}",
            )
        )
        for name, value in turn.slots.items():
            events.append(SlotSet(name, value, timestamp=ts + 0.5))
        events.append(ActionExecuted(turn.action, timestamp=ts + 1))
        events.append(BotUttered(turn.bot_text, data={"buttons": []}, timestamp=ts + 1.5))
        events.append(ActionExecuted("action_listen", timestamp=ts + 2))
    return DialogueStateTracker.from_events(sender_id, events)


async def save_conversations(store, trackers) -> None:
    """Save every tracker with the tracker store (Rasa's own insert code)."""
    for tracker in trackers:
        await store.save(tracker)


_COMMUNES = [("Rouen", "76540"), ("Caen", "14118"), ("Évreux", "27229"), ("Cherbourg", "50129")]
_COMMUNES += [("Alençon", "61001"), ("Le Havre", "76351"), ("Lisieux", "14366")]
_PHRASES = {
    "greet": ["bonjour", "slt", "coucou", "salut ça va"],
    "ask_training": [
        "je cherche une formation",
        "une formation en cuisine",
        "reprendre mes etudes",
    ],
    "ask_apprenticeship": [
        "c quoi l'alternance",
        "je veux faire un apprentissage",
        "contrat pro ?",
    ],
    "ask_job_info": ["le métier d'infirmier", "ça gagne combien un plombier", "metier qui recrute"],
    "find_local_contact": ["j'habite à {c}", "qui contacter vers {c}", "mission locale {c}"],
    "request_human": ["je veux parler à quelqu'un", "un numéro svp"],
    "distress": ["je me sens vraiment mal", "on me harcèle au lycée"],
    "ask_scheme_info": ["c'est quoi le CEJ", "service civique", "atouts normandie c'est quoi"],
    "thank": ["merci", "merci bcp"],
    "nlu_fallback": ["azerty", "tu connais fortnite", "kesako le truc là"],
}
_PARTNERS = ["rouen_info_jeunes", "caen-ij", None]


def random_turn(rng: random.Random) -> Turn:
    """One plausible turn; about one in eight is a low-confidence or fallback message."""
    intent = rng.choice(list(_PHRASES))
    name, insee = rng.choice(_COMMUNES)
    text = rng.choice(_PHRASES[intent]).format(c=name)
    entities: tuple[dict, ...] = ()
    slots: dict = {}
    if intent == "find_local_contact":
        start = text.find(name)
        entities = (
            {"entity": "commune", "value": insee, "start": start, "end": start + len(name)},
        )
        slots = {"commune": insee}
    confidence = round(rng.uniform(0.25, 0.55) if rng.random() < 0.12 else rng.uniform(0.7, 1), 3)
    action = "action_default_fallback" if intent == "nlu_fallback" else f"utter_{intent}"
    return Turn(text, intent, confidence, entities, action, "Voici ce que je peux te dire.", slots)


def random_trackers(n_events: int, *, seed: int = 6, days: int = 60, end: float):
    """Trackers totalling about ``n_events`` events, spread over the ``days`` before ``end``."""
    rng = random.Random(seed)
    total = 0
    number = 0
    while total < n_events:
        turns = [random_turn(rng) for _ in range(rng.randint(1, 6))]
        start = end - rng.uniform(0, days * 86400)
        tracker = build_tracker(
            f"bench-{number:06d}", turns, start=start, partner=rng.choice(_PARTNERS)
        )
        total += len(tracker.events)
        number += 1
        yield tracker
