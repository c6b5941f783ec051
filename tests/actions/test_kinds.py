"""A kind of structure asked for by name (issue 11): « Quelle Mission Locale couvre Bolbec ? »,
« c'est quel CIO pour Vernon ? ». The office of that kind for the commune comes at once, with
the details the data holds, without asking the need; none in the data is said plainly, with the
official directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from action_helpers import all_text, make_tracker, shown

from actions.addresses import display_address
from actions.contacts import ActionFindContacts
from actions.forms import ValidateContactForm
from actions.render import KINDS
from bot.settings import PROJECT_ROOT
from knowledge.voice import informal_words

BOLBEC, YVETOT, FECAMP, VERNON, LISIEUX = "76114", "76758", "76259", "27681", "14366"


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def asked_for(kind: str, insee: str | None, text: str, intent: str = "find_local_contact"):
    """The tracker of a message naming ``kind`` (and the commune ``insee``), as the NLU reads it."""
    entities = [{"entity": "operator_type", "value": kind}]
    candidates = {"operator_type": kind}
    if insee:
        entities.append({"entity": "commune", "value": insee})
        candidates["commune"] = insee
    return make_tracker(candidates=candidates, text=text, intent=intent, entities=entities)


async def answer(dispatcher, domain, slots, intent="find_local_contact", entities=None):
    tracker = make_tracker(slots=slots, intent=intent, entities=entities or [])
    return await ActionFindContacts().run(dispatcher, tracker, domain)


# --- the data the code names -----------------------------------------------------------------


def test_every_kind_and_its_directory_exist_in_the_data(kb):
    for kind, (_name, _of_kind, directory) in KINDS.items():
        assert kb.locate(kind, BOLBEC) is not None, kind  # an office, or the region-wide entry
        assert kb.contact(directory) is not None, directory


def test_every_operator_type_value_of_the_training_data_is_a_kind():
    annotated = set()
    for path in (Path(PROJECT_ROOT) / "data" / "nlu").glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        annotated |= set(re.findall(r'"entity":\s*"operator_type",\s*"value":\s*"(\w+)"', text))
    assert annotated == set(KINDS)


def test_the_slot_is_not_filled_when_a_referent_names_their_own_structure(domain):
    mapping = domain["slots"]["operator_type"]["mappings"][0]
    assert mapping["entity"] == "operator_type"
    assert {"ask_agency_contact", "ask_network"} <= set(mapping["not_intent"])
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    assert set(mapping["not_intent"]) <= intents


# --- the form asks only the commune ----------------------------------------------------------


async def test_a_kind_and_a_commune_get_no_question(kb, domain, dispatcher):
    tracker = asked_for("mission_locale", BOLBEC, "Quelle Mission Locale couvre Bolbec ?")
    values = slot_values(await ValidateContactForm().run(dispatcher, tracker, domain))
    assert values["commune"] == BOLBEC
    assert values["requested_slot"] is None  # neither the need nor the age: the answer at once
    assert values.get("topic") is None


async def test_a_kind_without_a_commune_asks_only_the_commune(kb, domain, dispatcher):
    tracker = asked_for("cio", None, "c'est quel CIO pour mon lycée ?")
    values = slot_values(await ValidateContactForm().run(dispatcher, tracker, domain))
    assert values["requested_slot"] == "commune"


async def test_a_topical_question_afterwards_is_a_search_over_every_kind(kb, domain, dispatcher):
    tracker = make_tracker(
        slots={"operator_type": "mission_locale", "commune": BOLBEC},
        text="et pour une formation ?",
        intent="ask_training",
    )
    values = slot_values(await ValidateContactForm().run(dispatcher, tracker, domain))
    assert values["topic"] == "formation"
    assert values["requested_slot"] == "age"  # the usual questions again


# --- the answer ------------------------------------------------------------------------------


async def test_bolbec_gets_the_head_office_of_its_mission_locale_said_as_such(
    kb, domain, dispatcher
):
    events = await answer(
        dispatcher, domain, {"operator_type": "mission_locale", "commune": BOLBEC}
    )
    text = all_text(dispatcher, domain)
    ml = kb.operator(kb.commune(BOLBEC).mission_locale)
    assert text.startswith("La Mission Locale qui couvre Bolbec :\n" + ml.name)
    assert f"Adresse : {display_address(ml.address)}, {ml.postcode}" in text
    assert "Où : C'est le siège de la Mission Locale qui couvre Bolbec" in text
    # Only that kind: no routing reason, no E2C, no CIO, no second door.
    assert "Pourquoi" not in text
    assert "CIO" not in text and "2e Chance" not in text
    assert "Tu veux que je t'aide sur autre chose ?" in text
    assert "operator_type" not in slot_values(events)  # kept for « une autre commune »


async def test_yvetot_gets_the_mission_locale_in_yvetot(kb, domain, dispatcher):
    await answer(dispatcher, domain, {"operator_type": "mission_locale", "commune": YVETOT})
    text = all_text(dispatcher, domain)
    ml = kb.operator(kb.commune(YVETOT).mission_locale)
    assert ml.commune == YVETOT
    assert text.startswith("La Mission Locale qui couvre Yvetot :\n" + ml.name)
    assert "Où :" not in text  # it serves Yvetot: nothing to explain


async def test_fecamp_gets_its_own_mission_locale_not_a_nearer_one(kb, domain, dispatcher):
    await answer(dispatcher, domain, {"operator_type": "mission_locale", "commune": FECAMP})
    ml = kb.operator(kb.commune(FECAMP).mission_locale)
    assert ml.name in all_text(dispatcher, domain)


@pytest.mark.parametrize(
    ("kind", "insee", "said", "directory"),
    [
        ("cio", VERNON, "l'adresse du CIO qui couvre Vernon.", "annuaire_service_public"),
        (
            "info_jeunes",
            LISIEUX,
            "l'adresse du Point Information Jeunesse qui couvre Lisieux.",
            "annuaire_info_jeunes",
        ),
    ],
)
async def test_no_office_of_that_kind_is_said_plainly_with_the_directory(
    kb, domain, dispatcher, kind, insee, said, directory
):
    located = kb.locate(kind, insee)
    assert located.match == "directory"  # the data has no local office of that kind yet
    await answer(dispatcher, domain, {"operator_type": kind, "commune": insee})
    text = all_text(dispatcher, domain)
    assert text.startswith("Je n'ai pas encore dans mes données " + said)
    assert located.operator.website in text  # the network's site, as the data names it
    assert kb.contact(directory).website in text
    assert "Pourquoi" not in text


async def test_referents_get_vous_and_the_professional_details(kb, domain, dispatcher):
    slots = {"operator_type": "mission_locale", "commune": FECAMP, "profile": "referent"}
    await answer(dispatcher, domain, slots)
    text = all_text(dispatcher, domain, slots)
    assert "Public : " in text and "Couverture : " in text
    assert "Puis-je vous aider sur autre chose ?" in text
    assert informal_words(text) == []


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("profile", ["parent", "referent"])
async def test_parents_and_referents_never_read_tu(kb, domain, dispatcher, kind, profile):
    slots = {"operator_type": kind, "commune": BOLBEC, "profile": profile}
    await answer(dispatcher, domain, slots)
    assert informal_words(all_text(dispatcher, domain, slots)) == []


async def test_a_topical_question_afterwards_forgets_the_kind(kb, domain, dispatcher):
    slots = {"operator_type": "mission_locale", "commune": "27375", "age": 19, "topic": "formation"}
    events = await answer(dispatcher, domain, slots, intent="ask_training")
    assert slot_values(events) == {"operator_type": None}
    assert all_text(dispatcher, domain).startswith("Voici où aller pour Louviers.")


async def test_an_unknown_kind_value_is_the_usual_search(kb, domain, dispatcher):
    slots = {"operator_type": "mairie", "commune": "27375", "age": 19, "topic": "formation"}
    await answer(dispatcher, domain, slots)
    assert shown(dispatcher, domain)[0].text.startswith("Voici où aller pour Louviers.")


async def test_another_commune_afterwards_keeps_the_kind(kb, domain, dispatcher):
    # « et pour Lisieux ? » after the Mission Locale of Fécamp: the Mission Locale of Lisieux.
    tracker = make_tracker(
        slots={"operator_type": "mission_locale", "commune": FECAMP},
        candidates={"commune": LISIEUX},
        text="et pour Lisieux ?",
        entities=[{"entity": "commune", "value": LISIEUX}],
    )
    values = slot_values(await ValidateContactForm().run(dispatcher, tracker, domain))
    assert values["commune"] == LISIEUX
    assert values["requested_slot"] is None
