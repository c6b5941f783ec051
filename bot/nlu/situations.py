"""NLU component that reads a school left in the phrase that says so (« j'ai arrêté le lycée »).

DIET may tag the school word alone as the `situation` (« lycée »), which the synonyms of
data/nlu/synonyms.yml map to `lyceen`: the person who left school is then routed as a pupil
and misses what is there for those who left (E2C, EPIDE). Where a pattern of
``situation_patterns.yml`` matches, this reader puts a `situation` entity `decrocheur` over the
whole phrase and drops the `situation` entities inside it. It runs after the synonym mapper.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
)

from bot.nlu.readers import EntityReader
from knowledge.text import fold

SITUATION = "situation"
PATTERNS_FILE = Path(__file__).with_name("situation_patterns.yml")


@cache
def _patterns(
    path: Path = PATTERNS_FILE,
) -> tuple[tuple[tuple[str, re.Pattern[str]], ...], tuple[re.Pattern[str], ...]]:
    """((situation, pattern) pairs, not_when patterns) of ``path``, compiled."""
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pieces = content.get("pieces") or {}
    patterns = tuple(
        (situation, re.compile(p.format(**pieces)))
        for situation, listed in (content.get("patterns") or {}).items()
        for p in listed
    )
    not_when = tuple(re.compile(p.format(**pieces)) for p in content.get("not_when") or [])
    return patterns, not_when


def read_situations(text: str, entities: list[dict]) -> list[dict]:
    """``entities`` with the situation of each phrase that says it, over what DIET tagged."""
    folded = fold(text, keep_length=True)
    patterns, not_when = _patterns()
    if any(p.search(folded) for p in not_when):
        return entities
    for situation, pattern in patterns:
        for match in pattern.finditer(folded):
            start, end = match.start(), match.end()
            inside = [
                e
                for e in entities
                if e.get(ENTITY_ATTRIBUTE_TYPE) == SITUATION
                and e.get(ENTITY_ATTRIBUTE_START, 0) < end
                and e.get(ENTITY_ATTRIBUTE_END, 0) > start
            ]
            if any(e.get(ENTITY_ATTRIBUTE_VALUE) == situation for e in inside):
                continue  # DIET said it already
            entities = [e for e in entities if e not in inside]
            entities.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: SITUATION,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                    ENTITY_ATTRIBUTE_VALUE: situation,
                    EXTRACTOR: SituationEntityReader.__name__,
                }
            )
    return sorted(entities, key=lambda e: e.get(ENTITY_ATTRIBUTE_START, 0))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class SituationEntityReader(EntityReader):
    """The `situation` of a phrase that says it whole, where DIET tagged a part of it."""

    read = staticmethod(read_situations)
