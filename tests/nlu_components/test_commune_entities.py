"""The commune component gives the NLU INSEE codes, as the dialogue contract says."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.communes import CommuneEntityResolver


@pytest.fixture(scope="module")
def component(knowledge_db_url) -> CommuneEntityResolver:
    return CommuneEntityResolver({"knowledge_db_url": knowledge_db_url})


def communes(component, text: str, entities: list[dict] | None = None) -> list[dict]:
    message = Message({"text": text, "entities": entities or []})
    component.process([message])
    return [e for e in message.get("entities") if e["entity"] == "commune"]


@pytest.mark.parametrize(
    ("text", "insee"),
    [
        ("jcherche 1 formation a evreux", "27229"),
        ("je suis a tourlaville", "50129"),  # former commune → Cherbourg-en-Cotentin
        ("jhabite st etienne du rouvray", "76575"),
        ("mission locale 14000", "14118"),  # postcode of one commune
        ("louvier", "27375"),  # typo, whole message
    ],
)
def test_one_commune_gets_its_insee_code(component, text, insee):
    found = communes(component, text)
    assert [e["value"] for e in found] == [insee]
    assert text[found[0]["start"] : found[0]["end"]]  # offsets point into the original text


@pytest.mark.parametrize("text", ["j'ai eu mon bac", "je vis à Paris", "je cherche une formation"])
def test_no_commune_is_invented(component, text):
    assert communes(component, text) == []


def test_homonyms_keep_the_typed_text_and_list_candidates(component):
    (entity,) = communes(component, "j'habite à saint aubin")
    assert entity["value"] == "saint aubin"
    assert len(entity["candidates"]) > 1


def test_a_diet_entity_outside_normandy_is_kept_with_no_candidates(component):
    text = "j'habite a Lyon"
    start = text.index("Lyon")
    diet = {
        "entity": "commune",
        "start": start,
        "end": start + 4,
        "value": "Lyon",
        "extractor": "DIET",
    }
    (entity,) = communes(component, text, [diet])
    assert entity["value"] == "Lyon"
    assert entity["candidates"] == []


def test_a_diet_entity_is_resolved_not_duplicated(component):
    text = "je suis sur caen"
    start = text.index("caen")
    diet = {
        "entity": "commune",
        "start": start,
        "end": start + 4,
        "value": "caen",
        "extractor": "DIET",
    }
    found = communes(component, text, [diet])
    assert [(e["value"], e["extractor"]) for e in found] == [("14118", "DIET")]
