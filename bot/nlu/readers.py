"""The base of the NLU components that read entities from a message's text, learning nothing.

A reader (ages: :mod:`bot.nlu.ages`, who is asking: :mod:`bot.nlu.roles`) rewrites the entities
DIET extracted, with its own ``read(text, entities)``: values made usable, entities added where
DIET missed them.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message


class EntityReader(GraphComponent):
    """An entity reader: no options, nothing learnt; subclasses define :meth:`read`."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityReader:
        """Build the component (it has no options and learns nothing)."""
        return cls()

    @staticmethod
    def read(text: str, entities: list[dict]) -> list[dict]:
        """The entities of ``text``, given those found before this component."""
        raise NotImplementedError

    def process(self, messages: list[Message]) -> list[Message]:
        """Rewrite the entities of each message that has a text."""
        for message in messages:
            text = message.get(TEXT)
            if text:
                message.set(ENTITIES, self.read(text, message.get(ENTITIES, [])))
        return messages
