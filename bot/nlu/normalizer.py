"""Length-preserving text normalisation for French user messages, run before tokenising.

French messages typed on phones and copied from web pages mix typographic apostrophes (’),
guillemets (« »), non-breaking and thin spaces with their plain ASCII forms; the tokeniser and the
count-vector featurisers then see ``j’ai`` and ``j'ai`` as different words. The normaliser maps
each character onto exactly one character, so the character offsets of the entities annotated in
the training data, and of the entities extracted at inference, keep pointing at the same span of
what the person typed. Runs of spaces are left as they are for the same reason: the tokeniser
drops whitespace tokens, so they never reach the featurisers.

Lowercasing and accent folding are options, off by default because the held-out set did not
justify them (same data, DIET 60 epochs, intent accuracy / macro-F1): neither 0.917 / 0.915,
lowercasing 0.917 / 0.914 (SpacyNLP and CountVectorsFeaturizer already lowercase), accent
folding 0.900 / 0.900. Reproduce with ``python -m bot eval --extra <config with the option>``.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

# One character in, one character out: offsets of annotated entities must stay valid.
_CHARACTER_MAP: dict[str, str] = {
    # apostrophes and primes typed by phones, word processors and web pages
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u2032": "'",
    "\u00b4": "'",
    "`": "'",
    # quotation marks, French and English
    "\u00ab": '"',
    "\u00bb": '"',
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    # dashes and hyphens that should tokenise like the ASCII hyphen (Saint‑Lô, 11–30 ans)
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    # the ellipsis character becomes one full stop rather than three, to keep the length
    "\u2026": ".",
}


def _normalise_char(char: str, lowercase: bool, fold_accents: bool) -> str:
    mapped = _CHARACTER_MAP.get(char)
    if mapped is not None:
        return mapped
    if char != " " and char.isspace():
        # non-breaking, thin and narrow spaces (French typography), tabs, line breaks
        return " "
    if fold_accents and not char.isascii():
        decomposed = unicodedata.normalize("NFD", char)
        if len(decomposed) > 1 and all(unicodedata.combining(c) for c in decomposed[1:]):
            char = decomposed[0]
    if lowercase:
        lowered = char.lower()
        # a few characters (İ) lowercase to two code points: keep them to keep the length
        if len(lowered) == 1:
            char = lowered
    return char


def normalise_text(text: str, lowercase: bool = False, fold_accents: bool = False) -> str:
    """Return ``text`` with typographic variants unified; the result has the same length.

    ``lowercase`` and ``fold_accents`` (é → e, ç → c; œ and æ are kept because folding them
    would change the length) are optional.
    """
    return "".join(_normalise_char(c, lowercase, fold_accents) for c in text)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class TextNormalizer(GraphComponent):
    """Rasa graph component: normalises the text of every message before SpacyNLP sees it.

    Place it first in the pipeline. It is applied in the same way to the training data and to
    each incoming message, and it also adds the normalised spelling of every entity synonym so
    that EntitySynonymMapper still recognises what DIET extracts from normalised text.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Default options: only the typographic clean-up, no lowercasing or accent folding."""
        return {"lowercase": False, "fold_accents": False}

    def __init__(self, config: dict[str, Any]) -> None:
        self._lowercase = bool(config.get("lowercase", False))
        self._fold_accents = bool(config.get("fold_accents", False))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormalizer:
        """Build the component from its pipeline configuration."""
        return cls(config)

    def normalise(self, text: str) -> str:
        """Normalise one text with this component's options."""
        return normalise_text(text, self._lowercase, self._fold_accents)

    def _normalise_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if isinstance(text, str) and text:
            message.set(TEXT, self.normalise(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Normalise every training example and extend the synonyms with normalised keys."""
        for example in training_data.training_examples:
            self._normalise_message(example)
        synonyms = training_data.entity_synonyms
        for key, value in list(synonyms.items()):
            synonyms.setdefault(self.normalise(key), value)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Normalise incoming messages in place, exactly as the training examples were."""
        for message in messages:
            self._normalise_message(message)
        return messages
