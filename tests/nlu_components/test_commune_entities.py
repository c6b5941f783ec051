"""The commune component gives the NLU INSEE codes, as the dialogue contract says."""

from __future__ import annotations

import shutil

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.communes import CommuneEntityResolver
from knowledge.loader import load
from knowledge.sources import DATA_DIR


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


def test_a_base_loaded_after_rasa_started_is_used_without_a_restart(tmp_path, clock):
    # Rasa may start before `kb load` (or while the database is down): the resolver used to give
    # up for good after the first failure.
    url = f"sqlite:///{tmp_path / 'knowledge.sqlite3'}"
    component = CommuneEntityResolver({"knowledge_db_url": url}, clock=clock)
    assert communes(component, "je suis a tourlaville") == []  # the bot answers meanwhile
    load(url)
    clock.advance(1)  # the first retry
    assert [e["value"] for e in communes(component, "je suis a tourlaville")] == ["50129"]


def test_a_new_load_reaches_the_resolver_within_the_refresh_interval(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_REFRESH_SECONDS", "30")
    url = f"sqlite:///{tmp_path / 'knowledge.sqlite3'}"
    load(url)
    component = CommuneEntityResolver({"knowledge_db_url": url}, clock=clock)
    (entity,) = communes(component, "j'habite a rouen")
    assert (entity["value"], entity["name"]) == ("76540", "Rouen")
    data = shutil.copytree(DATA_DIR, tmp_path / "data")
    table = data / "territories" / "communes.csv"
    table.write_text(
        table.read_text(encoding="utf-8").replace(",Rouen,", ",Rouen-sur-Seine,"),
        encoding="utf-8",
    )
    load(url, data)
    clock.advance(29)
    (entity,) = communes(component, "j'habite a rouen")
    assert entity["name"] == "Rouen"  # served from memory until the interval has passed
    clock.advance(1)
    (entity,) = communes(component, "j'habite a rouen sur seine")
    assert (entity["value"], entity["name"]) == ("76540", "Rouen-sur-Seine")


def tagged(text: str, span: str, entity: str, value: str | None = None) -> dict:
    """An entity as DIET (then the synonym mapper) leaves it on ``span`` of ``text``."""
    start = text.index(span)
    return {
        "entity": entity,
        "start": start,
        "end": start + len(span),
        "value": span if value is None else value,
        "extractor": "DIETClassifier",
    }


def entities(component, text: str, diet: list[dict]) -> list[tuple[str, str]]:
    message = Message({"text": text, "entities": diet})
    component.process([message])
    return [(e["entity"], str(e["value"])) for e in message.get("entities")]


@pytest.mark.parametrize(
    ("text", "stray"),
    [
        # DIET tags the place, with its preposition, as a situation no synonym maps
        ("je suis décrocheur au Havre, j'ai 16 ans", "au Havre"),
        ("je suis décrocheur au havre", "au havre"),
        ("je suis décrocheur et j'habite Le Havre", "Le Havre"),
        ("je suis décrocheur du côté du Havre", "du Havre"),
    ],
)
def test_a_commune_beats_an_overlapping_stray_situation(component, text, stray):
    diet = [tagged(text, "décrocheur", "situation", "decrocheur"), tagged(text, stray, "situation")]
    found = entities(component, text, diet)
    assert ("commune", "76351") in found  # Le Havre
    assert ("situation", "decrocheur") in found  # the real situation stays
    assert not [e for e in found if e == ("situation", stray)]


@pytest.mark.parametrize(
    ("text", "stray", "insee"),
    [
        ("je suis apprentie à la Ferrière-sur-Risle", "à la Ferrière", "27240"),
        ("je suis au chômage en Vernon", "en Vernon", "27681"),
        ("salarié aux Andelys", "aux Andelys", "27016"),
        ("je suis sur Caen", "sur Caen", "14118"),
    ],
)
def test_a_stray_tag_on_a_place_and_its_preposition_is_dropped(component, text, stray, insee):
    found = entities(component, text, [tagged(text, stray, "situation")])
    assert found == [("commune", insee)]


@pytest.mark.parametrize("kind", ["role", "scheme"])
def test_stray_entities_of_any_closed_type_lose_to_a_commune(component, kind):
    text = "on est au Havre"
    found = entities(component, text, [tagged(text, "au Havre", kind)])
    assert found == [("commune", "76351")]


def test_an_overlapping_entity_with_a_known_value_still_wins(component):
    # A known situation (the synonym mapper gave an id) is not a stray tag: the commune mention
    # under it is not added, as before.
    text = "je suis lycéen au Havre"
    diet = [tagged(text, "lycéen au Havre", "situation", "lyceen")]
    assert entities(component, text, diet) == [("situation", "lyceen")]


def test_a_stray_entity_away_from_any_commune_is_left_to_the_dialogue(component):
    # Only a commune mention overrules a stray tag; elsewhere the actions judge it (« en »).
    text = "je suis en Caen"
    found = entities(component, text, [tagged(text, "en", "situation")])
    assert found == [("situation", "en"), ("commune", "14118")]
