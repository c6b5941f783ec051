"""NLU component: the deterministic distress net applied to the intent model's decision.

Placed after the intent classifiers and before the ``FallbackClassifier`` (config.yml):

- a message carrying a distress cue (``bot/nlu/distress_patterns.yml``) gets the ``distress``
  intent with confidence 1.0, whatever the model ranked first; the model's other intents follow
  at half their confidence, so that the fallback classifier's ambiguity check (1.0 against a
  second intent the model gave 0.95) never turns a cue into ``nlu_fallback``;
- a message the model calls distress without any cue, that speaks of school, orientation, work
  or a joke, loses the ``distress`` guess: the next intent of the ranking is taken (and the
  fallback classifier then judges its confidence as usual).

``distress_net`` in the parse data says which cue decided (``{"cue": category}``) or that the
model was overruled (``{"overruled": true}``), for the logs and the console.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.distress_net import distress_net

DISTRESS = "distress"
# The model's other intents, after a cue, at this share of their confidence: at most 0.5 behind
# the cue's 1.0, always further than any ambiguity threshold of the fallback classifier.
AFTER_A_CUE = 0.5
NET_KEY = "distress_net"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class DistressNetClassifier(GraphComponent):
    """Makes every message with a distress cue a ``distress`` message, and only those or the
    model's own distress guesses that are not ordinary worries."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DistressNetClassifier:
        return cls()

    def __init__(self) -> None:
        self.net = distress_net()

    def process(self, messages: list[Message]) -> list[Message]:
        """Apply the net to each message's intent and ranking."""
        for message in messages:
            text = message.get(TEXT)
            if text:
                self._decide(message, text)
        return messages

    def _decide(self, message: Message, text: str) -> None:
        intent = message.get(INTENT) or {}
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != DISTRESS]
        cue = self.net.cue(text)
        if cue is not None:
            top = {"name": DISTRESS, "confidence": 1.0}
            message.set(INTENT, top, add_to_output=True)
            rest = [
                {**r, "confidence": float(r.get("confidence") or 0.0) * AFTER_A_CUE}
                for r in ranking
            ]
            message.set(INTENT_RANKING_KEY, [top, *rest], add_to_output=True)
            message.set(NET_KEY, {"cue": cue.category}, add_to_output=True)
        elif intent.get("name") == DISTRESS and self.net.overrules_model(text):
            top = dict(ranking[0]) if ranking else {"name": "nlu_fallback", "confidence": 1.0}
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set(NET_KEY, {"overruled": True}, add_to_output=True)
