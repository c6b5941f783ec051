"""« vous » to parents and referents, « tu » to young people (issue 11, point 4).

A referent of a partner structure (``profile`` = referent: the widget's metadata, or a structure
named) asks for a young person they accompany, and reads « vous », like a parent: every response
of the domain as Rasa picks its variation (``domain/``, ``domain/generated/``), and the sentences
the actions put together (knowledge/voice.py).
"""

from __future__ import annotations

import pytest
from action_helpers import all_text, make_tracker, shown, variants_for
from rasa_sdk.executor import CollectingDispatcher

from actions.contacts import ActionFindContacts, where_text
from actions.schemes import ActionCheckEligibility, ActionFunding, ActionYouthOffer
from knowledge.sources import NEEDS
from knowledge.voice import FORMAL, PARENT, REFERENT, Words, informal_words

PARENT_CONDITION = {"type": "slot", "name": "profile", "value": PARENT}
REFERENT_CONDITION = {"type": "slot", "name": "profile", "value": REFERENT}
# The other slot the variations are chosen on: the widget showed its own welcome or not (or the
# session started without Boussole's action, which sets it).
WELCOME_SHOWN = (True, False, None)


def conditions(variation: dict) -> list[dict]:
    return variation.get("condition") or []


# --- the domain's responses ------------------------------------------------------------------


def test_every_response_a_parent_or_a_referent_may_read_says_vous(domain):
    """Whatever variation Rasa picks for them, for every response of the domain."""
    said_tu = []
    for name, variations in domain["responses"].items():
        for profile in FORMAL:
            for shown_before in WELCOME_SHOWN:
                slots = {"profile": profile, "welcome_shown": shown_before}
                for variation in variants_for(variations, slots):
                    found = informal_words(variation.get("text", ""))
                    if found:
                        said_tu.append((name, profile, shown_before, found))
    assert said_tu == []


def test_every_response_with_a_parent_variation_has_a_referent_one(domain):
    responses = domain["responses"]
    for_parents = [
        name
        for name, variations in responses.items()
        if any(PARENT_CONDITION in conditions(v) for v in variations)
    ]
    without = [
        name
        for name in for_parents
        if not any(REFERENT_CONDITION in conditions(v) for v in responses[name])
    ]
    assert without == []
    # every response that says « tu » to a young person (the topic answers, the form's
    # questions, small talk, distress…): 43 on 2026-12-01
    assert len(for_parents) >= 43


def test_young_people_keep_tu(domain):
    responses = domain["responses"]
    for profile in (None, "youth"):
        for shown_before in WELCOME_SHOWN:
            slots = {"profile": profile, "welcome_shown": shown_before}
            assert [v["text"] for v in variants_for(responses["utter_ask_age"], slots)] == [
                "Quel âge as-tu ?"
            ]
        # the first « bonjour », just under the widget's own welcome and its topics
        (under_widget,) = variants_for(
            responses["utter_greet_after_welcome"], {"profile": profile, "welcome_shown": True}
        )
        assert under_widget["text"].startswith("Salut ! Choisis un sujet juste au-dessus")
        (elsewhere,) = variants_for(
            responses["utter_greet_after_welcome"], {"profile": profile, "welcome_shown": False}
        )
        assert elsewhere["text"].startswith("Je t'aide à découvrir un métier")
        assert "/find_local_contact" in [b["payload"] for b in elsewhere["buttons"]]


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("utter_topic_formation", "la personne que vous accompagnez en parle avec la bonne"),
        ("utter_topic_alternance", "aider la personne que vous accompagnez à trouver son contrat"),
        ("utter_topic_emploi", "le bon contact pour la personne que vous accompagnez"),
        ("utter_topic_orientation", "qui peut recevoir la personne que vous accompagnez"),
        ("utter_contacts_intro", "accueillir la personne que vous accompagnez pour Louviers."),
        ("utter_greet_after_welcome", "Dites-moi ce que vous cherchez pour la personne"),
        ("utter_goodbye", "bon courage dans votre accompagnement"),
        ("utter_human_contact", "où la personne que vous accompagnez peut avoir un rendez-vous"),
        ("utter_distress", "Si une personne que vous accompagnez est en détresse"),
    ],
)
def test_a_referent_reads_about_the_person_they_accompany(domain, dispatcher, name, said):
    for shown_before in WELCOME_SHOWN:
        dispatcher.messages.clear()
        dispatcher.utter_message(response=name, commune="Louviers")
        slots = {"profile": REFERENT, "welcome_shown": shown_before}
        assert said in " ".join(all_text(dispatcher, domain, slots).split())


def test_buttons_are_kept_for_referents(domain):
    responses = domain["responses"]
    for name, variations in responses.items():
        parent = next((v for v in variations if PARENT_CONDITION in conditions(v)), None)
        referent = next((v for v in variations if REFERENT_CONDITION in conditions(v)), None)
        if parent is None or referent is None:
            continue
        payloads = [b["payload"] for b in parent.get("buttons", [])]
        assert [b["payload"] for b in referent.get("buttons", [])] == payloads, name


# --- sentences written in Python -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Quel âge as-tu ?", ["tu"]),
        ("Je peux t'aider et te dire où aller près de chez toi.", ["t'", "te", "toi"]),
        ("Dis-moi ta commune.", ["Dis-moi", "ta"]),
        ("D'autres conditions peuvent s'appliquer : fais-le confirmer.", ["fais"]),
        ("Coordonnées en cours de vérification : cherche son nom.", ["cherche"]),
        ("Laquelle est la tienne ?", ["tienne"]),
        ("Dans quelle commune habite-t-elle ? Un code postal suffit aussi.", []),
        ("Toute la Normandie, tout de suite : dites-le-moi, donnez-moi son âge.", []),
        ("L'infirmier soigne les patients, donne les traitements prescrits.", []),
        ("Qui contacter près de chez moi ?", []),
    ],
)
def test_informal_words(text, found):
    assert informal_words(text) == found


def test_words_refuse_tu_for_parents_and_referents():
    with pytest.raises(ValueError, match="referent"):
        Words("Tu peux en profiter.", "Votre enfant peut en profiter.", "Tu peux en profiter.")
    with pytest.raises(ValueError, match="parent"):
        Words("Appelle la ligne.", "Appelle la ligne.", "Appelez la ligne.")
    said = Words(
        "À {age} ans, tu peux.", "À {age} ans, il ou elle peut.", "À {age} ans, elle peut."
    )
    assert [said.to(v, age=19) for v in ("youth", PARENT, REFERENT, None)] == [
        "À 19 ans, tu peux.",
        "À 19 ans, il ou elle peut.",
        "À 19 ans, elle peut.",
        "À 19 ans, tu peux.",
    ]


# --- what the actions say to a parent or a referent ------------------------------------------

# Caen, Bayeux (its Mission Locale's head office is in Vire), Dieppe, Lisieux, a village of the
# Orne covered by the Sarthe's Mission Locale, Rouen (a partner of the network), Louviers.
COMMUNES = ("14118", "14047", "76217", "14366", "61319", "76540", "27375")
PEOPLE = [
    (13, "collegien"),
    (15, "decrocheur"),
    (17, "lyceen"),
    (20, "demandeur_emploi"),
    (23, "etudiant"),
    (27, "handicap"),
    (29, "salarie"),
    (None, None),
]


async def _contacts(domain, slots) -> str:
    dispatcher = CollectingDispatcher()
    await ActionFindContacts().run(dispatcher, make_tracker(slots=slots), domain)
    return all_text(dispatcher, domain, slots)


@pytest.mark.parametrize("profile", FORMAL)
async def test_contacts_say_vous_to_parents_and_referents(kb, domain, profile):
    said_tu, how_chosen = [], 0
    for commune in COMMUNES:
        for need in NEEDS:
            for age, situation in PEOPLE:
                slots = {
                    "topic": need,
                    "commune": commune,
                    "age": age,
                    "situation": situation,
                    "profile": profile,
                }
                text = await _contacts(domain, slots)
                how_chosen += text.count("\nOù : ")
                if informal_words(text):
                    said_tu.append((commune, need, age, situation, informal_words(text)))
    assert said_tu == []
    assert how_chosen  # the lines on how an office was chosen were read too


async def test_contacts_still_say_tu_to_young_people(kb, domain):
    text = await _contacts(domain, {"topic": "formation", "commune": "27375", "age": 19})
    assert "appelle la ligne gratuite" in text
    assert informal_words(text)


async def test_a_referent_reads_why_each_place_fits_the_young_person(kb, domain):
    slots = {
        "topic": "orientation",
        "commune": "14118",
        "age": 13,
        "situation": "collegien",
        "profile": REFERENT,
    }
    text = await _contacts(domain, slots)
    assert text.startswith(
        "Voici les structures qui peuvent accueillir la personne que vous accompagnez pour Caen."
    )
    assert (
        "Pourquoi : Dans son collège ou son lycée, le psychologue de l'Éducation nationale reçoit "
        "la personne que vous accompagnez pour parler d'orientation ; le CIO l'accueille aussi, "
        "gratuitement."
    ) in text
    assert "la ligne gratuite est ouverte à la personne que vous accompagnez comme à vous" in text
    assert "Couverture :" in text  # the professional details stay


@pytest.mark.parametrize(
    ("match", "said_to", "said"),
    [
        ("epci", "youth", "Ce lieu est dans ton intercommunalité ;"),
        ("epci", PARENT, "Ce lieu est dans votre intercommunalité ;"),
        ("epci", REFERENT, "Ce lieu est dans la même intercommunalité que Louviers ;"),
        ("departement", REFERENT, "Ce lieu est dans le même département que Louviers ;"),
    ],
)
def test_how_an_office_was_chosen_is_said_to_each(match, said_to, said):
    assert where_text({"match": match}, "Louviers", said_to, "").startswith(said)


@pytest.mark.parametrize("profile", FORMAL)
async def test_eligibility_says_vous_for_every_scheme(kb, domain, profile):
    said_tu = []
    for scheme in kb.schemes():
        for age, situation in ((19, "demandeur_emploi"), (27, "salarie"), (None, None)):
            dispatcher = CollectingDispatcher()
            slots = {
                "scheme": scheme.id,
                "age": age,
                "situation": situation,
                "commune": "76540",
                "profile": profile,
            }
            await ActionCheckEligibility().run(dispatcher, make_tracker(slots=slots), domain)
            text = all_text(dispatcher, domain, slots)
            if informal_words(text):
                said_tu.append((scheme.id, age, informal_words(text)))
    assert said_tu == []


async def test_eligibility_for_a_referent_speaks_of_the_young_person(kb, domain, dispatcher):
    slots = {"scheme": "atouts_normandie", "age": 19, "commune": "76540", "profile": REFERENT}
    await ActionCheckEligibility().run(dispatcher, make_tracker(slots=slots), domain)
    answer, confirm = shown(dispatcher, domain, slots)
    assert answer.text.startswith(
        "D'après ce que vous m'avez dit, Atouts Normandie correspond à la personne que vous "
        "accompagnez :"
    )
    assert "• À 19 ans, la personne que vous accompagnez est dans la tranche d'âge" in answer.text
    assert confirm.text.startswith("Pour en être sûr, vérifiez avec ")


@pytest.mark.parametrize("profile", FORMAL)
async def test_funding_says_vous(kb, domain, profile):
    # The amounts are content (schemes.yml); the sentences around them are the code's.
    schemes = [s for s in kb.schemes() if not s.money.amount]
    assert {s.money.paid for s in schemes} >= {False}
    for scheme in schemes:
        dispatcher = CollectingDispatcher()
        slots = {"scheme": scheme.id, "profile": profile}
        await ActionFunding().run(dispatcher, make_tracker(slots=slots), domain)
        text = all_text(dispatcher, domain, slots)
        assert informal_words(text) == [], scheme.id


@pytest.mark.parametrize(
    ("age", "said"),
    [
        (19, "\nÀ 19 ans, la personne que vous accompagnez peut en profiter.\n"),
        (
            27,
            "\nÀ 27 ans, ce n'est malheureusement pas pour la personne que vous accompagnez "
            "(c'est de 15 à 25 ans). Le Point Information Jeunesse peut vous conseiller d'autres "
            "bons plans pour elle.\n",
        ),
    ],
)
async def test_youth_offer_for_a_referent(kb, domain, dispatcher, age, said):
    slots = {"age": age, "commune": "76540", "profile": REFERENT}
    await ActionYouthOffer().run(dispatcher, make_tracker(slots=slots), domain)
    assert said in all_text(dispatcher, domain, slots)
