"""How records are laid out for the person: labelled details, no pictograms, readable addresses."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import yaml
from action_helpers import all_text, make_tracker

from actions.addresses import STREET_TYPES, display_address
from actions.contacts import ActionFindContacts
from actions.events import ActionEvents
from actions.jobs import ActionJobInfo
from actions.render import operator_card
from actions.schemes import (
    ActionCheckEligibility,
    ActionFunding,
    ActionSchemeInfo,
    ActionYouthOffer,
)
from bot.settings import PROJECT_ROOT
from knowledge.sources import read_knowledge


def test_operator_card_labels_each_detail_in_words():
    operator = {
        "name": "Point Information Jeunesse de test",
        "address": "3 pl de la mairie",
        "postcode": "76000",
        "phone": "01 99 00 12 34",
        "website": "https://exemple.fr/pij",
        "opening_hours": "du lundi au vendredi, 9 h – 17 h",
    }
    assert operator_card(operator, "Il est tout près de chez toi.", "Rouen").split("\n") == [
        "Point Information Jeunesse de test",
        "Adresse : 3 place de la Mairie, 76000 Rouen",
        "Téléphone : 01 99 00 12 34",
        "Site : https://exemple.fr/pij",
        "Horaires : du lundi au vendredi, 9 h – 17 h",
        "Pourquoi : Il est tout près de chez toi.",
    ]


def test_operator_card_without_postcode_or_town():
    card = operator_card({"name": "Lieu", "address": "r du stade"})
    assert card.split("\n")[1] == "Adresse : rue du Stade"


def pictograms(text: str) -> set[str]:
    """Characters drawn from an emoji or symbol font (Unicode "Symbol, other"): on Debian's
    Chromium and on the totems, which have no colour-emoji font, empty boxes."""
    return {c for c in text if unicodedata.category(c) == "So"}


ANSWERS = [
    (ActionFindContacts, {"slots": {"topic": "formation", "commune": "76540", "age": 19}}),
    (ActionSchemeInfo, {"slots": {"scheme": "atouts_normandie"}, "intent": "ask_scheme_info"}),
    (ActionYouthOffer, {"slots": {"age": 19, "commune": "76540"}, "intent": "ask_youth_offer"}),
    (ActionYouthOffer, {"slots": {"age": 27, "commune": "76540"}, "intent": "ask_youth_offer"}),
    (ActionFunding, {"slots": {"scheme": "cej"}, "intent": "ask_funding"}),
    (ActionCheckEligibility, {"slots": {"scheme": "cej", "age": 19, "commune": "76540"}}),
    (ActionEvents, {"slots": {"commune": "76540"}, "intent": "ask_events"}),
    (
        ActionJobInfo,
        {"intent": "ask_job_info", "entities": [{"entity": "job", "value": "plombier"}]},
    ),
]


@pytest.mark.parametrize(("action", "tracker"), ANSWERS)
async def test_answers_use_words_not_pictograms(kb, domain, dispatcher, action, tracker):
    await action().run(dispatcher, make_tracker(**tracker), domain)
    text = all_text(dispatcher, domain)
    assert text
    assert pictograms(text) == set()


def test_domain_responses_use_words_not_pictograms():
    found = {}
    for path in sorted(Path(PROJECT_ROOT, "domain").rglob("*.yml")):  # generated ones too
        responses = (yaml.safe_load(path.read_text("utf-8")) or {}).get("responses") or {}
        for name, variants in responses.items():
            for variant in variants:
                symbols = pictograms(str(variant.get("text", "")))
                symbols |= pictograms(" ".join(b["title"] for b in variant.get("buttons", [])))
                if symbols:
                    found[name] = symbols
    assert found == {}


# --- addresses -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_addresses() -> list[str]:
    """Every street address of knowledge/data (operators and partners), as written there."""
    data, _problems = read_knowledge()
    records = [*data.operators, *data.partners]
    return sorted({r.address for r in records if getattr(r, "address", None)})


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("4 r septentrion", "4 rue Septentrion"),
        ("1 pl de l'europe", "1 place de l'Europe"),
        ("21 r de l'homme de bois", "21 rue de l'Homme de Bois"),
        ("11 r d'orival", "11 rue d'Orival"),
        ("41 bd dubus", "41 boulevard Dubus"),
        ("8 av normandie sussex", "8 avenue Normandie Sussex"),
        ("2B r saint-martin", "2 bis rue Saint-Martin"),
        ("401 rue saint nicolas", "401 rue Saint-Nicolas"),
        ("rue geoffroy de montbray", "rue Geoffroy de Montbray"),
        ("13, rue octave feuillet", "13, rue Octave Feuillet"),
        ("15 rue de la mérillière", "15 rue de la Mérillière"),
        ("r du stade", "rue du Stade"),
        ("parc d'activites du manoir", "parc d'activités du Manoir"),
        ("13 place du champ de foire", "13 place du Champ de Foire"),
        ("27 rue Victor Hugo", "27 rue Victor Hugo"),
    ],
)
def test_addresses_of_the_data_are_shown_as_people_write_them(data_addresses, raw, shown):
    assert raw in data_addresses  # a real address of knowledge/data, as published
    assert display_address(raw) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("12 AV DU GAL DE GAULLE", "12 avenue du Général de Gaulle"),
        ("5 pl st-sever", "5 place Saint-Sever"),
        ("7 b, all des tilleuls", "7 bis, allée des Tilleuls"),
        ("za des champs", "ZA des Champs"),
    ],
)
def test_other_usual_abbreviations(raw, shown):
    assert display_address(raw) == shown


def test_every_address_of_the_data_is_spelt_out_and_capitalised(data_addresses):
    assert len(data_addresses) >= 20
    abbreviations = set(STREET_TYPES) - set(STREET_TYPES.values())
    for raw in data_addresses:
        shown = display_address(raw)
        words = shown.replace(",", "").split()
        assert not set(words) & abbreviations, shown
        last = words[-1].split("'")[-1]
        assert last[0].isupper() or last[0].isdigit(), shown  # a name ends with a capital
        assert display_address(shown) == shown  # formatting twice changes nothing
