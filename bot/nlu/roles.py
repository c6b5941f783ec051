"""NLU component that finds who is asking when DIET missed it: a parent or another relative.

« ma fille a 14 ans », « maman d'une fille de 17 ans », « je suis le père d'un lycéen »: the
`role` entity (value "parent") fills the `profile` slot, which switches the answers to « vous »
and makes the age and situation the young person's (domain/actions.yml). DIET learns it from
data/nlu/parents.yml; this reader adds a `role` entity where the patterns of
``role_patterns.yml`` match and DIET found none.

A professional's own workplace is who is asking too, not what is asked: in « je suis animatrice
au PIJ de Vire, vers qui orienter un jeune ? » the `operator_type` entity on « PIJ » would make
the contact search answer with Info Jeunes only; an `operator_type` entity inside the workplace a
work cue names (``knowledge.structures.workplace_span``) is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
from knowledge.structures import workplace_span
from knowledge.text import fold

ROLE = "role"
OPERATOR_TYPE = "operator_type"
PARENT = "parent"
PATTERNS_FILE = Path(__file__).with_name("role_patterns.yml")


@dataclass(frozen=True)
class RoleMention:
    start: int
    end: int
    text: str


@cache
def _patterns(
    path: Path = PATTERNS_FILE,
) -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    """(patterns, not_when) of ``path``, compiled."""
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pieces = content.get("pieces") or {}

    def compiled(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p.format(**pieces)) for p in content.get(key) or [])

    return compiled("patterns"), compiled("not_when")


def find_parent_mentions(text: str) -> list[RoleMention]:
    """Where ``text`` says that an adult speaks of a young person of their family."""
    folded = fold(text, keep_length=True)
    patterns, not_when = _patterns()
    if any(p.search(folded) for p in not_when):
        return []
    found = sorted((m.start(), m.end()) for pattern in patterns for m in pattern.finditer(folded))
    mentions: list[RoleMention] = []
    for start, end in found:
        if mentions and start < mentions[-1].end:
            continue  # overlapping matches: the first one says it
        mentions.append(RoleMention(start, end, text[start:end]))
    return mentions


def read_roles(text: str, entities: list[dict]) -> list[dict]:
    """``entities`` plus a `role` entity for the first parent mention, when DIET found none,
    without the kinds of structure that name the person's own workplace.

    A `role` entity DIET tagged with another value than "parent" (« mon », « notre ado »: no
    synonym maps it) is a stray tag: it is dropped, so it neither hides the parent mention nor
    overwrites the `profile` slot of a parent who said so earlier.
    """
    workplace = workplace_span(text, strong_only=True)
    if workplace is not None:
        entities = [e for e in entities if not _inside(e, workplace, OPERATOR_TYPE)]
    if any(_is_parent(e) for e in entities):
        return entities
    entities = [e for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) != ROLE]
    mentions = find_parent_mentions(text)
    if not mentions:
        return entities
    first = mentions[0]
    entity = {
        ENTITY_ATTRIBUTE_TYPE: ROLE,
        ENTITY_ATTRIBUTE_START: first.start,
        ENTITY_ATTRIBUTE_END: first.end,
        ENTITY_ATTRIBUTE_VALUE: PARENT,
        EXTRACTOR: RoleEntityReader.__name__,
    }
    return sorted([*entities, entity], key=lambda e: e.get(ENTITY_ATTRIBUTE_START, 0))


def _inside(entity: dict, span: tuple[int, int], entity_type: str) -> bool:
    start, end = entity.get(ENTITY_ATTRIBUTE_START, -1), entity.get(ENTITY_ATTRIBUTE_END, -1)
    in_span = span[0] <= start and end <= span[1]
    return entity.get(ENTITY_ATTRIBUTE_TYPE) == entity_type and in_span


def _is_parent(entity: dict) -> bool:
    is_role = entity.get(ENTITY_ATTRIBUTE_TYPE) == ROLE
    return is_role and entity.get(ENTITY_ATTRIBUTE_VALUE) == PARENT


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class RoleEntityReader(EntityReader):
    """The `role` entity of a parent or relative that DIET did not see."""

    read = staticmethod(read_roles)
