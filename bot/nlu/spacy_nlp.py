"""spaCy for Boussole's pipeline: Rasa's ``SpacyNLP`` without the components nothing reads.

Rasa loads the spaCy model with every component but the parser. Boussole's pipeline reads spaCy's
tokens, lemmas, part-of-speech tags and word vectors, never its named entities: dropping ``ner``
saves about half of spaCy's time per message, and the disabled parser is dropped from memory too.
The features the other components see are the same (tests/runtime/test_spacy_nlp.py). The model
is loaded once per process, not once per graph node.

The class is named ``SpacyNLP`` on purpose: Rasa's recipe wires the spaCy model into
``SpacyTokenizer`` and ``SpacyFeaturizer`` by the provider's class *name* (their ``model_from``),
and checks their requirement with ``issubclass``. Named by its module path in config.yml
(``bot.nlu.spacy_nlp.SpacyNLP``), this subclass takes the place of Rasa's in the recipe's
registry, so training, ``make eval`` and plain ``rasa run`` all use it.
"""

from __future__ import annotations

import functools

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.nlu.utils.spacy_utils import SpacyNLP as RasaSpacyNLP

UNUSED_SPACY_COMPONENTS = ("parser", "ner")


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.MODEL_LOADER,
        DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER,
    ],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(RasaSpacyNLP):
    """Rasa's ``SpacyNLP`` with the same checks, minus the spaCy components Boussole never reads."""

    @staticmethod
    @functools.cache
    def load_model(spacy_model_name: str) -> SpacyModel:
        """Load the model as Rasa does (name and version checks), then drop unused components.

        Once per process: Rasa's graph has two nodes of this component (the one that provides the
        model and the one that runs it), and each loaded its own copy of spaCy's model.
        """
        spacy_model = RasaSpacyNLP.load_model(spacy_model_name)
        for name in UNUSED_SPACY_COMPONENTS:
            if name in spacy_model.model.component_names:
                spacy_model.model.remove_pipe(name)
        return spacy_model
