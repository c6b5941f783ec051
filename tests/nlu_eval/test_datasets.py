"""The NLU training data and the held-out test set: coverage, canonical values, no leakage."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.data import get_data_files, is_nlu_file
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.render import KINDS
from bot.evaluation import DEV_DATA, TEST_DATA, leaked_sentences, sentence_key
from knowledge.sources import SITUATIONS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Only the hand-written files: data/nlu/generated/ is written by `nlu sync` from knowledge/.
TRAIN_DIR = PROJECT_ROOT / "data" / "nlu"
# Development set used to tune the pipeline, so that the held-out set only confirms.
CHIT_CHAT = {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge"}


def _load(directory: Path) -> TrainingData:
    files = [f for f in get_data_files([str(directory)], is_nlu_file) if "/generated/" not in f]
    return TrainingData().merge(*(load_data(f, language="fr") for f in sorted(files)))


@pytest.fixture(scope="module")
def training() -> TrainingData:
    return _load(TRAIN_DIR)


@pytest.fixture(scope="module")
def held_out() -> TrainingData:
    return _load(TEST_DATA)


@pytest.fixture(scope="module")
def intents() -> list[str]:
    domain = yaml.safe_load((PROJECT_ROOT / "domain" / "intents.yml").read_text(encoding="utf-8"))
    return domain["intents"]


def _counts(data: TrainingData) -> Counter:
    return Counter(m.get("intent") for m in data.intent_examples)


def test_every_intent_has_enough_training_examples(training, intents) -> None:
    counts = _counts(training)
    assert set(counts) == set(intents)
    too_few = {
        intent: counts[intent]
        for intent in intents
        if counts[intent] < (20 if intent in CHIT_CHAT | {"out_of_scope", "insult"} else 40)
    }
    assert too_few == {}


def test_every_intent_is_in_the_held_out_set(held_out, intents) -> None:
    counts = _counts(held_out)
    assert set(counts) == set(intents)
    assert min(counts.values()) >= 15


def test_no_held_out_sentence_is_in_the_training_data() -> None:
    assert leaked_sentences() == []


def test_the_dev_set_is_apart_from_the_training_data_and_the_held_out_set() -> None:
    assert leaked_sentences(test_path=DEV_DATA) == []
    assert leaked_sentences(train_path=TEST_DATA, test_path=DEV_DATA) == []


def test_leak_detection_ignores_case_accents_and_punctuation() -> None:
    assert sentence_key("J’ai  DROIT au CEJ ?!") == sentence_key("j'ai droit au cej")
    assert sentence_key("Évreux") == sentence_key("evreux")
    assert sentence_key("je cherche une formation") != sentence_key("je cherche un emploi")


def _values(data: TrainingData, entity: str) -> list[str]:
    return [
        str(e["value"])
        for m in data.intent_examples
        for e in m.get("entities") or []
        if e["entity"] == entity
    ]


@pytest.mark.parametrize("which", ["training", "held_out"])
def test_entity_values_are_canonical(which, request) -> None:
    data = request.getfixturevalue(which)
    schemes = yaml.safe_load(
        (PROJECT_ROOT / "knowledge" / "data" / "schemes.yml").read_text(encoding="utf-8")
    )
    scheme_ids = {s["id"] for s in schemes["schemes"]}
    assert set(_values(data, "situation")) <= set(SITUATIONS)
    assert set(_values(data, "scheme")) <= scheme_ids
    assert all(re.fullmatch(r"\d{1,2}", v) for v in _values(data, "age"))
    # the `profile` slot's value, and the domain's « vous » variations are conditioned on it
    assert set(_values(data, "role")) <= {"parent"}


def test_situation_synonyms_map_onto_the_shared_ids(training) -> None:
    # ages written in words ("dix-huit") map onto digits
    allowed = set(SITUATIONS) | set(_values(training, "scheme")) | set(_values(training, "age"))
    allowed |= set(KINDS)  # the kinds of structure asked for by name (operator_type)
    assert set(training.entity_synonyms.values()) <= allowed
    assert training.entity_synonyms["au chomage"] == "demandeur_emploi"


def test_held_out_communes_are_not_the_training_ones(training, held_out) -> None:
    seen = {sentence_key(v) for v in _values(training, "commune")}
    reused = {v for v in _values(held_out, "commune") if sentence_key(v) in seen}
    assert reused == set()
