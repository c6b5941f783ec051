"""The text normaliser: what it changes, what it must never change (lengths, entity offsets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.data import TrainingType
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import read_yaml_file

from bot.nlu.normalizer import TextNormalizer, normalise_text

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("j’ai 17 ans", "j'ai 17 ans"),
        ("« CEJ » ?", '" CEJ " ?'),
        ("j\u00a0habite\u202fà\tRouen", "j habite à Rouen"),
        ("Saint\u2011Lô", "Saint-Lô"),
        ("jsp\u2026", "jsp."),
        ("c’est l‘EPIDE", "c'est l'EPIDE"),
    ],
)
def test_typographic_variants_become_ascii(typed: str, expected: str) -> None:
    assert normalise_text(typed) == expected


def test_letters_and_accents_are_kept_by_default() -> None:
    assert normalise_text("Évreux, Hérouville-Saint-Clair") == "Évreux, Hérouville-Saint-Clair"


def test_options_lowercase_and_fold_accents() -> None:
    assert normalise_text("Évreux Œuvre", lowercase=True) == "évreux œuvre"
    assert normalise_text("Évreux ça", fold_accents=True) == "Evreux ca"
    assert normalise_text("LYCÉENNE", lowercase=True, fold_accents=True) == "lyceenne"


@given(st.text(max_size=200), st.booleans(), st.booleans())
def test_length_is_preserved_for_any_text(text: str, lowercase: bool, fold: bool) -> None:
    assert len(normalise_text(text, lowercase, fold)) == len(text)


def _component(**config: bool) -> TextNormalizer:
    return TextNormalizer({**TextNormalizer.get_default_config(), **config})


def test_training_entities_still_point_at_their_words() -> None:
    text = "j’habite à «\u00a0Saint‑Lô\u00a0» et j’ai 19 ans"
    start = text.index("Saint")
    age = text.index("19")
    entities = [
        {"start": start, "end": start + len("Saint‑Lô"), "value": "Saint‑Lô", "entity": "commune"},
        {"start": age, "end": age + 2, "value": "19", "entity": "age"},
    ]
    message = Message(data={"text": text, "intent": "inform", "entities": entities})
    data = _component().process_training_data(TrainingData([message]))
    normalised = data.training_examples[0].get("text")
    spans = [normalised[e["start"] : e["end"]] for e in data.training_examples[0].get("entities")]
    assert spans == ["Saint-Lô", "19"]
    assert "’" not in normalised and "\u00a0" not in normalised


def test_synonyms_gain_their_normalised_spelling() -> None:
    data = TrainingData(entity_synonyms={"Lycéenne": "lyceen", "j’ai arrêté l’école": "decrocheur"})
    synonyms = _component(fold_accents=True).process_training_data(data).entity_synonyms
    assert synonyms["Lyceenne"] == "lyceen"
    assert synonyms["j'ai arrete l'ecole"] == "decrocheur"
    assert synonyms["Lycéenne"] == "lyceen"


def test_incoming_messages_are_normalised_like_training_examples() -> None:
    messages = [Message(data={"text": "c’est quoi le « CEJ »"}), Message(data={})]
    processed = _component().process(messages)
    assert processed[0].get("text") == 'c\'est quoi le " CEJ "'
    assert processed[1].get("text") is None


def test_config_runs_the_normaliser_before_spacy_at_training_and_inference() -> None:
    config = read_yaml_file(PROJECT_ROOT / "config.yml")
    graphs = DefaultV1Recipe().graph_config_for_recipe(config, {}, training_type=TrainingType.NLU)
    # config.yml names Boussole's SpacyNLP by its module path (bot/nlu/spacy_nlp.py).
    train_spacy = graphs.train_schema.nodes["run_bot.nlu.spacy_nlp.SpacyNLP1"]
    predict_spacy = graphs.predict_schema.nodes["run_bot.nlu.spacy_nlp.SpacyNLP1"]
    assert train_spacy.needs["training_data"] == "run_bot.nlu.normalizer.TextNormalizer0"
    assert predict_spacy.needs["messages"] == "run_bot.nlu.normalizer.TextNormalizer0"
