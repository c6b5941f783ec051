"""Issue 11's held-out sets are well formed, big enough, name only what exists, and share no
sentence with the training data. Nothing here looks at what the bot answers."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.data import get_data_files, is_nlu_file
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.conversations import ML_TOKEN, load_conversations, mission_locale_names
from bot.distress_eval import FROM_ISSUE, load_distress_set
from bot.evaluation import V2_DATA, heldout_leaks, heldout_texts, sentence_key
from knowledge.sources import SITUATIONS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMMUNES = PROJECT_ROOT / "knowledge" / "data" / "territories" / "communes.csv"
# The examples issue 11 lists, each of which must be a conversation (by a word of its wording).
ISSUE_EXAMPLES = ("Louviers", "atouts", "50180", "Évreux", "Rouen Info Jeunes", "dix-neuf")


@pytest.fixture(scope="module")
def v2() -> TrainingData:
    files = sorted(get_data_files([str(V2_DATA)], is_nlu_file))
    return TrainingData().merge(*(load_data(f, language="fr") for f in files))


@pytest.fixture(scope="module")
def domain_intents() -> list[str]:
    path = PROJECT_ROOT / "domain" / "intents.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["intents"]


@pytest.fixture(scope="module")
def postcodes() -> dict[str, set[str]]:
    """Postcode → INSEE codes of the communes it serves."""
    found: dict[str, set[str]] = {}
    with COMMUNES.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            for code in row["codes_postaux"].split():
                found.setdefault(code, set()).add(row["code_insee"])
    return found


@pytest.fixture(scope="module")
def conversations():
    return load_conversations()


def test_v2_has_300_messages_over_every_intent_of_the_domain(v2, domain_intents) -> None:
    counts = Counter(m.get("intent") for m in v2.intent_examples)
    assert sum(counts.values()) >= 300
    assert set(counts) == set(domain_intents)
    assert min(counts.values()) >= 10


def test_v2_entities_are_canonical_and_name_communes_the_knowledge_base_knows(
    v2, postcodes, knowledge_db_url
) -> None:
    from knowledge.api import KnowledgeBase

    kb = KnowledgeBase.from_url(knowledge_db_url)
    entities = [e for m in v2.intent_examples for e in m.get("entities") or []]
    by_type = Counter(e["entity"] for e in entities)
    assert {"commune", "age", "situation"} <= set(by_type)
    assert set(by_type) <= {"commune", "age", "situation", "scheme", "job"}
    for entity in entities:
        value = str(entity["value"])
        if entity["entity"] == "age":
            assert re.fullmatch(r"\d{1,2}", value), entity
        elif entity["entity"] == "situation":
            assert value in SITUATIONS, entity
        elif entity["entity"] == "commune":
            # an INSEE code the knowledge base knows, or a postcode of Normandy
            assert kb.commune(value) is not None or value in postcodes, entity


def test_v2_has_no_duplicate_sentence(v2) -> None:
    keys = Counter(sentence_key(m.get("text")) for m in v2.intent_examples)
    assert [k for k, n in keys.items() if n > 1] == []


def test_distress_set_has_80_positives_and_150_hard_negatives() -> None:
    distress = load_distress_set()
    positives = [t for texts in distress.positives.values() for t in texts]
    negatives = [t for texts in distress.negatives.values() for t in texts]
    assert len(positives) >= 80 and len(negatives) >= 150
    assert len(distress.positives) >= 6  # many registers
    keys = Counter(sentence_key(t) for t in positives + negatives)
    assert [k for k, n in keys.items() if n > 1] == []


def test_conversations_are_60_with_unique_ids_and_each_of_the_issue_s_examples(
    conversations,
) -> None:
    assert len(conversations) >= 60
    assert len({c.id for c in conversations}) == len(conversations)
    for word in ISSUE_EXAMPLES:
        assert any(word.casefold() in " ".join(c.turns).casefold() for c in conversations), word
    assert sum(c.from_issue for c in conversations) >= 6
    assert {"youth", "parent", "referent"} <= {c.who for c in conversations}


def test_conversations_name_missions_locales_of_communes_the_knowledge_base_knows(
    conversations, knowledge_db_url
) -> None:
    from knowledge.api import KnowledgeBase

    kb = KnowledgeBase.from_url(knowledge_db_url)
    names = mission_locale_names()
    expected = [
        text
        for c in conversations
        for text in (*c.expect.contains, *(t for group in c.expect.any_of for t in group))
    ]
    tokens = [ML_TOKEN.match(t) for t in expected if t.startswith("ml:")]
    assert tokens and all(tokens)
    for match in tokens:
        insee = match.group(1)
        assert insee in names and kb.commune(insee) is not None, insee
    for c in conversations:
        assert c.partner in {p.id for p in kb.partners()}, c.id


def test_no_held_out_sentence_is_training_data() -> None:
    assert heldout_leaks() == {}


def test_only_the_issue_s_own_wording_is_exempt_from_the_leak_check() -> None:
    everything = heldout_texts(exempt_issue=False)
    checked = heldout_texts()
    exempt = {name: len(everything[name]) - len(checked[name]) for name in everything}
    assert exempt["tests/nlu_heldout_v2"] == 0
    assert 0 < exempt["tests/conversations/conversations.yml"] <= 20
    issue_negatives = len(load_distress_set().negatives[FROM_ISSUE])
    assert exempt["tests/distress_eval/distress.yml"] == issue_negatives <= 5
