"""bot.nlu.spacy_nlp.SpacyNLP: Rasa's spaCy loader minus unused components, wired by the recipe."""

from __future__ import annotations

import pytest
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.validation import validate
from rasa.nlu.utils.spacy_utils import SpacyNLP as RasaSpacyNLP
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.utils.io import read_config_file

from bot.nlu.spacy_nlp import SpacyNLP
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def spacy_pair():
    """spaCy as Rasa loads it, and as Boussole's component does."""
    return RasaSpacyNLP.load_model("fr_core_news_md").model, SpacyNLP.load_model(
        "fr_core_news_md"
    ).model


def test_the_model_is_loaded_once_per_process(spacy_pair):
    _upstream, ours = spacy_pair
    assert SpacyNLP.load_model("fr_core_news_md").model is ours


def test_spacy_drops_only_unused_components(spacy_pair):
    upstream, ours = spacy_pair
    assert "ner" in upstream.pipe_names and "ner" not in ours.component_names
    assert "parser" not in ours.component_names
    assert {"tok2vec", "morphologizer", "lemmatizer"} <= set(ours.pipe_names)


def test_spacy_features_are_unchanged_on_the_training_data(spacy_pair):
    """What Rasa's SpacyTokenizer and SpacyFeaturizer read: text, offsets, lemmas, tags, vectors."""
    upstream, ours = spacy_pair
    texts = [m.get("text") for m in load_data(str(PROJECT_ROOT / "data" / "nlu")).training_examples]
    assert len(texts) > 1000
    for a, b in zip(upstream.pipe(texts), ours.pipe(texts), strict=True):
        assert [(t.text, t.idx, t.lemma_, t.tag_, t.pos_) for t in a] == [
            (t.text, t.idx, t.lemma_, t.tag_, t.pos_) for t in b
        ], a.text
        assert (a.vector == b.vector).all(), a.text


def test_config_yml_uses_it_and_rasa_accepts_the_graph():
    """Rasa's graph validation checks SpacyTokenizer's and SpacyFeaturizer's requirement."""
    config = read_config_file(str(PROJECT_ROOT / "config.yml"))
    graphs = DefaultV1Recipe().graph_config_for_recipe(config, {})
    validate(graphs)
    for schema in (graphs.train_schema, graphs.predict_schema):
        assert [n for n, node in schema.nodes.items() if node.uses is SpacyNLP]
        assert not [n for n, node in schema.nodes.items() if node.uses is RasaSpacyNLP]
        run = next(
            node for node in schema.nodes.values() if node.uses is SpacyNLP and node.fn != "provide"
        )
        assert schema.nodes[run.needs["model"]].uses is SpacyNLP  # the model comes from ours
