"""NLU component that turns place mentions into INSEE codes, with the knowledge base's resolver.

DIET learns *where* a commune is mentioned; the resolver knows *which* commune it is, forgives
typos, reads postcodes and former communes, and finds mentions DIET missed. After this component:

- a `commune` entity naming one commune has the INSEE code as ``value`` (``name`` holds the
  official name);
- an ambiguous one (homonyms, a postcode shared by several communes) keeps the typed text as
  ``value`` and lists the INSEE codes in ``candidates``, best first;
- one that names no Normandy commune keeps the typed text and an empty ``candidates`` list, so
  the dialogue can say Boussole covers Normandy.

A commune mention the resolver finds beats an overlapping entity of another type whose value is
not a known value of that type (« je suis décrocheur au Havre »: DIET may tag « au Havre » as a
`situation`, valued « au Havre », which no synonym maps onto a situation id): that entity is
dropped and the commune kept. An entity with a known value (`situation` « lyceen », `role`
« parent », a scheme id) or of a type without a closed list of values (`job`) still wins.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from knowledge.live import KnowledgeBaseUnavailable, LiveKnowledge
from knowledge.models import CommuneMatch
from knowledge.sources import SCHEME_IDS, SITUATIONS

logger = logging.getLogger(__name__)

COMMUNE = "commune"
# A best candidate this far above the next one is taken as the commune meant.
DEFAULT_MARGIN = 0.05
# Enough to show the dialogue's buttons and narrow by département; keeps trackers small.
MAX_CANDIDATES = 10
# The values an entity of these types may hold once the synonyms are applied (domain/intents.yml);
# an entity of one of these types valued otherwise is a stray tag, and loses to a commune mention.
KNOWN_VALUES: dict[str, frozenset[str]] = {
    "situation": frozenset(SITUATIONS),
    "role": frozenset({"parent"}),
    "scheme": frozenset(SCHEME_IDS),
}


def is_stray(entity: dict) -> bool:
    """Whether ``entity`` is of a type with a closed list of values and holds none of them."""
    known = KNOWN_VALUES.get(entity.get(ENTITY_ATTRIBUTE_TYPE))
    return known is not None and str(entity.get(ENTITY_ATTRIBUTE_VALUE)) not in known


def pick_commune(candidates: list[CommuneMatch], margin: float = DEFAULT_MARGIN) -> str | None:
    """The INSEE code meant when one candidate clearly wins, else ``None``."""
    if not candidates:
        return None
    if len(candidates) == 1 or candidates[0].score - candidates[1].score >= margin:
        return candidates[0].insee
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CommuneEntityResolver(GraphComponent):
    """Resolves `commune` entities to INSEE codes and adds the mentions DIET missed."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"margin": DEFAULT_MARGIN, "knowledge_db_url": None}

    def __init__(self, config: dict[str, Any], clock: Callable[[], float] = time.monotonic) -> None:
        self._margin = float(config.get("margin", DEFAULT_MARGIN))
        # Opened on first use, retried after a failure, re-read after a `kb load`.
        self._knowledge = LiveKnowledge.from_url(config.get("knowledge_db_url"), clock=clock)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CommuneEntityResolver:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Resolve and complete the `commune` entities of each message."""
        try:
            kb = self._knowledge.current()
        except KnowledgeBaseUnavailable:
            # Logged by LiveKnowledge, tried again later: meanwhile the bot still answers,
            # with the communes as typed.
            return messages
        for message in messages:
            text = message.get(TEXT)
            if text:
                message.set(ENTITIES, self._entities(kb, text, message.get(ENTITIES, [])))
        return messages

    def _entities(self, kb, text: str, entities: list[dict]) -> list[dict]:
        mentions = kb.find_mentions(text)
        result: list[dict] = []
        for entity in entities:
            if entity.get(ENTITY_ATTRIBUTE_TYPE) != COMMUNE:
                start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
                stray = is_stray(entity) and start is not None and end is not None
                if not (stray and any(m.start < end and start < m.end for m in mentions)):
                    result.append(entity)
                continue
            start, end = entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
            overlapping = [m for m in mentions if m.start < end and start < m.end]
            if overlapping:
                candidates = _merge(c for m in overlapping for c in m.candidates)
            else:
                candidates = kb.resolve_commune(text[start:end])
            result.append(self._resolved(dict(entity), text[start:end], candidates))
        taken = [(e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END]) for e in result]
        for mention in mentions:
            if any(mention.start < end and start < mention.end for start, end in taken):
                continue
            entity = {
                ENTITY_ATTRIBUTE_TYPE: COMMUNE,
                ENTITY_ATTRIBUTE_START: mention.start,
                ENTITY_ATTRIBUTE_END: mention.end,
                EXTRACTOR: self.__class__.__name__,
            }
            result.append(self._resolved(entity, mention.text, list(mention.candidates)))
        return sorted(result, key=lambda e: e[ENTITY_ATTRIBUTE_START])

    def _resolved(self, entity: dict, typed: str, candidates: list[CommuneMatch]) -> dict:
        insee = pick_commune(candidates, self._margin)
        entity["processors"] = [*entity.get("processors", []), self.__class__.__name__]
        if insee:
            entity[ENTITY_ATTRIBUTE_VALUE] = insee
            entity["name"] = candidates[0].name
        else:
            entity[ENTITY_ATTRIBUTE_VALUE] = typed
            entity["candidates"] = [c.insee for c in candidates[:MAX_CANDIDATES]]
        return entity


def _merge(candidates) -> list[CommuneMatch]:
    best: dict[str, CommuneMatch] = {}
    for c in candidates:
        if c.insee not in best or best[c.insee].score < c.score:
            best[c.insee] = c
    return sorted(best.values(), key=lambda c: -c.score)
