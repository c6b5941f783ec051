"""NLU component that gives every `age` entity its value in digits, and finds the ages DIET missed.

People write their age « 19 », « dix-neuf ans », « 19a », « g 20an »; DIET learns where an age is
said but its value is the typed text. After this component each `age` entity's ``value`` is the
age in digits (« 19 »), an `age` entity that holds no age (« 3 » of « en 3e ») is dropped, and an
age stated with its unit that DIET missed is added (``knowledge.ages.find_ages``).
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
)

from bot.nlu.readers import EntityReader
from knowledge.ages import find_ages, is_valid_age, parse_age

AGE = "age"


def read_ages(text: str, entities: list[dict]) -> list[dict]:
    """``entities`` with each `age` valued in digits, non-ages dropped, missed ages added."""
    mentions = find_ages(text)
    result: list[dict] = []
    for entity in entities:
        if entity.get(ENTITY_ATTRIBUTE_TYPE) != AGE:
            result.append(entity)
            continue
        start, end = entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
        overlapping = [m for m in mentions if m.start < end and start < m.end]
        # a mention read with its unit wins over DIET's span (« dix » of « dix-neuf ans »)
        age = overlapping[0].value if overlapping else parse_age(entity.get(ENTITY_ATTRIBUTE_VALUE))
        if not is_valid_age(age):
            continue
        if overlapping:
            start, end = overlapping[0].start, overlapping[0].end
        result.append(_valued(entity, start, end, age))
    taken = [(e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END]) for e in result]
    for mention in mentions:
        if any(mention.start < end and start < mention.end for start, end in taken):
            continue
        entity = {ENTITY_ATTRIBUTE_TYPE: AGE, EXTRACTOR: AgeEntityReader.__name__}
        result.append(_valued(entity, mention.start, mention.end, mention.value))
    return sorted(result, key=lambda e: e[ENTITY_ATTRIBUTE_START])


def _valued(entity: dict, start: int, end: int, age: int) -> dict:
    entity = dict(entity)
    entity.update(
        {
            ENTITY_ATTRIBUTE_START: start,
            ENTITY_ATTRIBUTE_END: end,
            ENTITY_ATTRIBUTE_VALUE: str(age),
        }
    )
    entity["processors"] = [*entity.get("processors", []), AgeEntityReader.__name__]
    return entity


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class AgeEntityReader(EntityReader):
    """Ages in digits for the dialogue, whatever way they were written."""

    read = staticmethod(read_ages)
