"""Referents who name their structure in their own words (issue 11, point 4)."""

from __future__ import annotations

import pytest

from actions.network import ActionAgencyContact, ActionNetwork
from tests.actions.action_helpers import all_text, make_tracker, shown


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize(
    "text",
    [
        "je travaille à Rouen Info Jeunes",
        "Je suis animatrice au PIJ de Rouen",
        "je suis référent à Rouen Info Jeunes",
        "bonjour, je viens de la part de rouen info jeune",
    ],
)
async def test_a_partner_named_in_words_gives_the_referent_profile(kb, domain, dispatcher, text):
    """A referent who presents their structure gets their interlocutor at the Agence."""
    tracker = make_tracker(text=text, intent="ask_agency_contact")
    events = await ActionAgencyContact().run(dispatcher, tracker, domain)
    assert slot_values(events) == {
        "profile": "referent",
        "partner": "rouen_info_jeunes",
        "structure": "Rouen Info Jeunes",
    }
    (message,) = shown(dispatcher, domain)
    person = kb.partner("rouen_info_jeunes").aom_interlocutor
    assert f"votre interlocutrice ou interlocuteur à l'Agence est {person.name}" in message.text
    assert message.titles == ["La charte et nos actions", "Orienter un jeune"]


async def test_the_question_asked_with_the_structure_is_answered_at_once(kb, domain, dispatcher):
    """The issue's example: the structure and the question in one message."""
    tracker = make_tracker(
        text="je suis référent à Rouen Info Jeunes, qui est notre interlocutrice à l'Agence ?",
        intent="ask_agency_contact",
    )
    events = await ActionAgencyContact().run(dispatcher, tracker, domain)
    partner = kb.partner("rouen_info_jeunes")
    text = all_text(dispatcher, domain)
    assert text == (
        f"Pour {partner.structure}, votre interlocutrice ou interlocuteur à l'Agence est "
        f"{partner.aom_interlocutor.name} ({partner.aom_interlocutor.role})."
    )
    assert slot_values(events)["partner"] == "rouen_info_jeunes"
    assert slot_values(events)["profile"] == "referent"


async def test_a_known_operator_that_is_not_a_partner(kb, domain, dispatcher):
    text = "référente à la mission locale de Caen"
    tracker = make_tracker(text=text, intent="ask_agency_contact")
    events = await ActionAgencyContact().run(dispatcher, tracker, domain)
    ml = kb.operator(kb.commune("14118").mission_locale)
    assert slot_values(events) == {"profile": "referent", "partner": None, "structure": ml.name}
    text = all_text(dispatcher, domain)
    assert f"Je n'ai pas le nom de votre interlocuteur à l'Agence pour {ml.name}." in text
    assert kb.operator("aom").website in text


def _ends_on_a_colon(text: str) -> bool:
    return any(line.rstrip().endswith(":") for line in text.splitlines()[-1:])


async def test_an_unknown_structure_gets_the_agency_contact_from_the_data(kb, domain, dispatcher):
    tracker = make_tracker(
        text="je suis éducateur au centre social de Canteleu", intent="ask_agency_contact"
    )
    events = await ActionAgencyContact().run(dispatcher, tracker, domain)
    assert slot_values(events)["profile"] == "referent"
    assert slot_values(events)["structure"] == "centre social de Canteleu"
    text = all_text(dispatcher, domain)
    assert "Je ne trouve pas « centre social de Canteleu »" in text
    aom = kb.operator("aom")
    assert aom.name in text and aom.website in text
    assert kb.contact("parcours_metiers").phone in text
    assert not _ends_on_a_colon(text)


@pytest.mark.parametrize(
    ("slots", "text"),
    [
        ({}, "qui est mon interlocuteur à l'Agence ?"),  # nothing known about the structure
        ({"partner": "demo_referent"}, "qui est notre contact AOM ?"),  # partner, nobody named
        ({"structure": "MJC de Saint-Lô"}, "et notre interlocuteur à l'Agence ?"),
        ({}, "je bosse à la mairie de Bernay, c'est qui notre contact AOM ?"),
    ],
)
async def test_no_interlocutor_known_never_ends_on_nothing(kb, domain, dispatcher, slots, text):
    """Before: « L'Agence te le donnera : » and nothing (contacts.yml has no `aom` entry)."""
    tracker = make_tracker(slots=slots, text=text, intent="ask_agency_contact")
    await ActionAgencyContact().run(dispatcher, tracker, domain)
    said = all_text(dispatcher, domain)
    assert not _ends_on_a_colon(said)
    assert kb.operator("aom").website in said
    assert "votre interlocuteur" in said  # « vous » to professionals
    assert " tu " not in f" {said} " and " ton " not in f" {said} "


async def test_network_reads_the_structure_named_in_the_question(kb, domain, dispatcher):
    tracker = make_tracker(
        text="je travaille à Rouen Info Jeunes, qu'est-ce que la charte nous engage à faire ?",
        intent="ask_network",
    )
    events = await ActionNetwork().run(dispatcher, tracker, domain)
    assert "charte signée le 11/07/2023" in all_text(dispatcher, domain)
    assert slot_values(events)["partner"] == "rouen_info_jeunes"


async def test_a_young_person_saying_where_they_are_is_not_a_referent(kb, domain, dispatcher):
    tracker = make_tracker(text="je suis à Caen, c'est quoi le réseau ?", intent="ask_network")
    events = await ActionNetwork().run(dispatcher, tracker, domain)
    assert slot_values(events) == {}


async def test_without_a_structure_the_referent_is_asked_for_it(kb, domain, dispatcher):
    text = "qui est mon interlocuteur à l'Agence ?"
    tracker = make_tracker(text=text, intent="ask_agency_contact")
    events = await ActionAgencyContact().run(dispatcher, tracker, domain)
    assert slot_values(events) == {}
    assert "Dans quelle structure" not in all_text(dispatcher, domain)
    assert "Je ne sais pas encore dans quelle structure vous travaillez" in all_text(
        dispatcher, domain
    )
