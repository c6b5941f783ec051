"""The answers of the custom actions, as the person reads them."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from action_helpers import all_text, make_tracker, shown
from rasa_sdk.events import SlotSet

from actions.addresses import display_address
from actions.contacts import ActionFindContacts
from actions.events import ActionEvents
from actions.jobs import ActionJobInfo
from actions.network import ActionAgencyContact, ActionNetwork
from actions.render import parcours_metiers_text
from actions.safety import ActionBoussoleFallback
from actions.schemes import (
    ActionCheckEligibility,
    ActionFunding,
    ActionSchemeInfo,
    ActionYouthOffer,
)
from actions.session import ActionSessionStart
from knowledge.live import LiveKnowledge


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- find a contact --------------------------------------------------------------------------


async def test_louviers_at_19_gets_its_mission_locale_and_why(kb, domain, dispatcher):
    tracker = make_tracker(slots={"topic": "formation", "commune": "27375", "age": 19})
    await ActionFindContacts().run(dispatcher, tracker, domain)
    text = all_text(dispatcher, domain)
    ml = kb.operator(kb.commune("27375").mission_locale)
    assert text.startswith("Voici où aller pour Louviers.")  # never a message ending on a colon
    assert ml.name in text
    assert f"Adresse : {display_address(ml.address)}, {ml.postcode} " in text
    assert ml.address not in text  # the data's abbreviated form ("4 r septentrion") is not shown
    assert "Pourquoi : À 19 ans, la Mission Locale t'accompagne" in text
    # The UNML table gives only the head office, elsewhere: said as such, never as the local office.
    assert "Où : C'est le siège de la Mission Locale qui couvre Louviers" in text
    assert "l'antenne la plus proche n'est pas encore dans nos données" in text
    # the free line is always the second door
    assert "0 800 05 00 00 (appel gratuit)" in text


@pytest.mark.parametrize(
    ("slots", "ml_expected"),
    [
        ({"age": 19}, True),
        ({"age": 16}, True),
        ({"age": 25}, True),
        ({"age": 26}, False),  # past the Mission Locale's age
        ({"age": 15}, False),
        ({"declined_criteria": ["age"]}, False),  # no age: no age-bound rule
        ({"declined_criteria": ["age"], "situation": "decrocheur"}, True),
    ],
)
async def test_age_boundaries_of_the_mission_locale(kb, domain, dispatcher, slots, ml_expected):
    tracker = make_tracker(slots={"topic": "emploi", "commune": "14118", **slots})
    await ActionFindContacts().run(dispatcher, tracker, domain)
    # The places the person is sent to, without the lines that depend on an unsaid situation.
    cards = [m.text for m in shown(dispatcher, domain) if not m.text.startswith("Selon ta")]
    ml = kb.operator(kb.commune("14118").mission_locale)
    assert (ml.name in "\n".join(cards)) is ml_expected
    assert "0 800 05 00 00" in all_text(dispatcher, domain)


async def test_referents_see_professional_details(kb, domain, dispatcher):
    tracker = make_tracker(
        slots={"topic": "formation", "commune": "27375", "age": 19, "profile": "referent"}
    )
    await ActionFindContacts().run(dispatcher, tracker, domain)
    text = all_text(dispatcher, domain)
    assert "Couverture :" in text
    assert "Dernière vérification :" in text


async def test_a_stopped_search_says_nothing_more(kb, domain, dispatcher):
    tracker = make_tracker(slots={"topic": "formation", "search_stopped": True})
    events = await ActionFindContacts().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []
    assert events == [SlotSet("search_stopped", None)]


def test_request_human_gives_the_free_line_and_the_local_search(kb, domain):
    # A domain response (from contacts.yml), not an action: it never waits for the actions.
    parent, referent, young = domain["responses"]["utter_human_contact"]
    assert parent["condition"] == [{"type": "slot", "name": "profile", "value": "parent"}]
    assert referent["condition"] == [{"type": "slot", "name": "profile", "value": "referent"}]
    assert parent["text"].startswith("Vous pouvez") and young["text"].startswith("Tu peux")
    assert "la personne que vous accompagnez" in referent["text"]
    for variation in (parent, referent, young):
        assert kb.contact("parcours_metiers").phone in variation["text"]
        assert [b["payload"] for b in variation["buttons"]] == ["/find_local_contact"]


# --- safeguarding and fallback ---------------------------------------------------------------


def test_distress_gives_every_national_number(kb, domain):
    # the parent's, the referent's, then the young person's
    for variation in domain["responses"]["utter_distress"]:
        for contact_id in ("distress_3114", "distress_119", "distress_3018", "fil_sante_jeunes"):
            assert kb.contact(contact_id).phone in variation["text"]
        assert "{" not in variation["text"]  # nothing left for an action to fill in


RANKING = [
    {"name": "nlu_fallback", "confidence": 0.7},
    {"name": "ask_funding", "confidence": 0.4},
    {"name": "find_local_contact", "confidence": 0.35},
    {"name": "greet", "confidence": 0.3},
    {"name": "ask_training", "confidence": 0.2},
    {"name": "ask_events", "confidence": 0.1},
    {"name": "ask_network", "confidence": 0.05},
]


async def test_first_fallback_offers_the_likely_topics(kb, domain, dispatcher):
    tracker = make_tracker(text="bla bla formation sous", intent="nlu_fallback", ranking=RANKING)
    assert await ActionBoussoleFallback().run(dispatcher, tracker, domain) == []
    (message,) = shown(dispatcher, domain)
    assert "pas sûr d'avoir bien compris" in message.text
    assert message.titles == [
        "Rémunération et financement",
        "Se former",
        "Événements",
        "Qui contacter près de chez moi",
    ]


async def test_distress_is_never_offered_as_a_topic_button(kb, domain, dispatcher):
    ranking = [RANKING[0], {"name": "distress", "confidence": 0.5}, *RANKING[1:]]
    tracker = make_tracker(text="j'ai 28 ans, la carte ?", intent="nlu_fallback", ranking=ranking)
    await ActionBoussoleFallback().run(dispatcher, tracker, domain)
    (message,) = shown(dispatcher, domain)
    assert "Détresse" not in message.titles
    assert "/distress" not in [b["payload"] for b in message.buttons]


async def test_second_fallback_in_a_row_never_says_it_again(kb, domain, dispatcher):
    before = [
        {"event": "user", "text": "bla", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "action", "name": "action_boussole_fallback"},
        {"event": "action", "name": "action_listen"},
    ]
    tracker = make_tracker(text="hmm", intent="nlu_fallback", ranking=RANKING, events=before)
    await ActionBoussoleFallback().run(dispatcher, tracker, domain)
    (message,) = shown(dispatcher, domain)
    assert "compris" not in message.text
    assert "0 800 05 00 00" in message.text
    assert "/find_local_contact" in [b["payload"] for b in message.buttons]


async def test_as_the_core_fallback_the_message_is_forgotten(kb, domain, dispatcher):
    # Understood ("azerty qsdf" taken for a yes, 0.86) but no policy knew what should follow.
    ranking = [{"name": "affirm", "confidence": 0.86}, {"name": "ask_training", "confidence": 0.1}]
    tracker = make_tracker(text="azerty qsdf", intent="affirm", ranking=ranking)
    events = await ActionBoussoleFallback().run(dispatcher, tracker, domain)
    assert events == [{"event": "rewind", "timestamp": None}]  # else Rasa falls back again
    (message,) = shown(dispatcher, domain)
    assert "pas sûr d'avoir bien compris" in message.text
    assert message.titles == ["Se former", "Qui contacter près de chez moi"]


# --- session start ---------------------------------------------------------------------------


async def test_session_start_keeps_the_partner_profile_and_welcomes(kb, domain, dispatcher):
    metadata = {
        "partner": "rouen_info_jeunes",
        "profile": "referent",
        "page_url": "https://rouen.fr/jeunes",
    }
    tracker = make_tracker(slots={"session_started_metadata": metadata, "commune": "27375"})
    events = await ActionSessionStart().run(dispatcher, tracker, domain)
    assert events[0] == {"event": "session_started", "timestamp": None}
    values = slot_values(events)
    assert values["partner"] == "rouen_info_jeunes"
    assert values["profile"] == "referent"
    assert values["page_url"] == "https://rouen.fr/jeunes"
    assert values["partner_commune"] == "76540"
    assert values["commune"] == "27375"  # carried over
    assert values["welcome_shown"] is False
    # One line: the first message may already be a question, answered right under it; the
    # topics come with the answer to a bare « bonjour » (utter_greet_after_welcome).
    (welcome,) = shown(dispatcher, domain)
    assert welcome.text.startswith("Bonjour, moi c'est Boussole")
    assert "\n" not in welcome.text
    assert welcome.buttons == []
    first_greeting = domain["responses"]["utter_greet_after_welcome"]
    assert "/find_local_contact" in [b["payload"] for b in first_greeting[-1]["buttons"]]
    assert events[-1]["event"] == "action"
    assert events[-1]["name"] == "action_listen"


async def test_session_start_after_the_widget_welcome_does_not_welcome_twice(
    kb, domain, dispatcher
):
    metadata = {"partner": "rouen_info_jeunes", "welcome_shown": True}
    tracker = make_tracker(slots={"session_started_metadata": metadata})
    events = await ActionSessionStart().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []
    assert slot_values(events)["partner"] == "rouen_info_jeunes"
    assert slot_values(events)["welcome_shown"] is True  # « choisis un sujet juste au-dessus »


async def test_unknown_partner_and_profile_are_dropped(kb, domain, dispatcher):
    tracker = make_tracker(slots={"session_started_metadata": {"partner": "x", "profile": "admin"}})
    values = slot_values(await ActionSessionStart().run(dispatcher, tracker, domain))
    assert values["partner"] is None
    assert values["profile"] is None


# --- schemes ---------------------------------------------------------------------------------


async def test_scheme_info_from_the_entity(kb, domain, dispatcher):
    tracker = make_tracker(
        text="c koi le service civik",
        intent="ask_scheme_info",
        entities=[{"entity": "scheme", "value": "service_civique"}],
    )
    events = await ActionSchemeInfo().run(dispatcher, tracker, domain)
    (message,) = shown(dispatcher, domain)
    scheme = kb.get_scheme("service_civique")
    assert message.text.startswith("Service civique : ")
    assert f"\nComment faire : {scheme.how_to_apply}" in message.text
    assert f"\nEn savoir plus : {scheme.link}" in message.text
    assert "Pour les professionnels" not in message.text
    assert message.titles[0] == "Qui contacter ?"
    assert slot_values(events) == {"scheme": "service_civique", "topic": "jeunesse"}


async def test_scheme_info_for_a_referent_adds_conditions_and_verification(kb, domain, dispatcher):
    tracker = make_tracker(slots={"scheme": "cej", "profile": "referent"}, intent="ask_scheme_info")
    await ActionSchemeInfo().run(dispatcher, tracker, domain)
    text = all_text(dispatcher, domain)
    assert "Pour les professionnels" in text
    verified = kb.get_scheme("cej").last_verified
    expected = verified.strftime("%d/%m/%Y") if verified else "inconnue"
    assert f"Dernière vérification : {expected}" in text


async def test_unknown_scheme_gets_the_closest_as_buttons(kb, domain, dispatcher):
    tracker = make_tracker(
        text="le service civik",
        intent="ask_scheme_info",
        entities=[{"entity": "scheme", "value": "servise civik"}],
    )
    events = await ActionSchemeInfo().run(dispatcher, tracker, domain)
    (message,) = shown(dispatcher, domain)
    assert "Je ne connais pas encore ce dispositif" in message.text
    assert "Service civique" in message.titles
    assert slot_values(events) == {"scheme": None}  # the unknown name leaves the context


async def test_scheme_nothing_like_gets_a_human(kb, domain, dispatcher):
    tracker = make_tracker(
        text="le zzkqw",
        intent="ask_scheme_info",
        entities=[{"entity": "scheme", "value": "zzkqw"}],
    )
    await ActionSchemeInfo().run(dispatcher, tracker, domain)
    (message,) = shown(dispatcher, domain)
    assert message.text.startswith("Je ne connais pas ce dispositif.")
    assert "0 800 05 00 00" in message.text


@pytest.mark.parametrize(
    ("age", "said"),
    [
        (19, "\nÀ 19 ans, tu peux en profiter."),
        ("19", "\nÀ 19 ans, tu peux en profiter."),  # raw entity value, before any form
        (27, "\nÀ 27 ans, ce n'est malheureusement pas pour toi (c'est de 15 à 25 ans)."),
    ],
)
async def test_youth_offer_checks_the_age(kb, domain, dispatcher, age, said):
    tracker = make_tracker(slots={"age": age, "commune": "76540"}, intent="ask_youth_offer")
    await ActionYouthOffer().run(dispatcher, tracker, domain)
    text = all_text(dispatcher, domain)
    assert text.startswith("Atouts Normandie : ")
    assert said in text


async def test_youth_offer_without_age_gives_the_age_range(kb, domain, dispatcher):
    await ActionYouthOffer().run(dispatcher, make_tracker(intent="ask_youth_offer"), domain)
    assert "C'est pour les jeunes de 15 à 25 ans." in all_text(dispatcher, domain)


@pytest.mark.parametrize(
    ("slots", "start"),
    [
        (
            {"scheme": "atouts_normandie", "age": 19, "commune": "76540"},
            "D'après ce que tu m'as dit, Atouts Normandie est fait pour toi :",
        ),
        (
            {"scheme": "atouts_normandie", "age": 27, "commune": "76540"},
            "D'après ce que tu m'as dit, Atouts Normandie ne correspond pas à ta situation :",
        ),
        (
            {"scheme": "cej", "age": 19, "situation": "decrocheur", "commune": "76540"},
            "Contrat d'engagement jeune (CEJ) a l'air de te correspondre, à confirmer :",
        ),
    ],
)
async def test_eligibility_answer(kb, domain, dispatcher, slots, start):
    await ActionCheckEligibility().run(dispatcher, make_tracker(slots=slots), domain)
    answer, confirm = shown(dispatcher, domain)
    assert answer.text.startswith(start)
    # « avec le CIO », never « à le CIO »
    assert confirm.text.startswith("Pour en être sûr, vérifie avec ")


async def test_funding_says_what_the_data_says(kb, domain, dispatcher):
    tracker = make_tracker(slots={"scheme": "cej"}, intent="ask_funding")
    await ActionFunding().run(dispatcher, tracker, domain)
    assert kb.get_scheme("cej").money.amount in all_text(dispatcher, domain)


# --- jobs, events, referents -----------------------------------------------------------------


async def test_known_job(kb, domain, dispatcher):
    tracker = make_tracker(
        text="plombier ça consiste en quoi",
        intent="ask_job_info",
        entities=[{"entity": "job", "value": "plombier"}],
    )
    await ActionJobInfo().run(dispatcher, tracker, domain)
    (message,) = shown(dispatcher, domain)
    assert message.text.startswith("Plombier chauffagiste")
    assert "Pour y arriver" in message.text
    assert message.titles[-1] == "Qui contacter pour en parler ?"


async def test_unknown_job_gets_discovery_offers(kb, domain, dispatcher):
    tracker = make_tracker(
        text="astronaute",
        intent="ask_job_info",
        entities=[{"entity": "job", "value": "astronaute"}],
    )
    await ActionJobInfo().run(dispatcher, tracker, domain)
    (message,) = shown(dispatcher, domain)
    assert message.text.startswith("Je n'ai pas encore de fiche sur ce métier")
    assert kb.get_scheme("parcours_metiers").name in message.titles


def _every_event(kb):
    """Every event of the data, soonest first: tests take their days from it, not the calendar."""
    return kb.upcoming_events(on=dt.date.min, limit=10_000)


async def test_no_event_left_gives_the_agenda(kb, domain, dispatcher):
    events = _every_event(kb)
    day = max((e.end or e.start for e in events), default=dt.date(2000, 1, 1)) + dt.timedelta(1)
    tracker = make_tracker(slots={"commune": "76540"}, intent="ask_events")
    await ActionEvents(today=lambda: day).run(dispatcher, tracker, domain)
    text = all_text(dispatcher, domain)
    line = kb.contact("parcours_metiers")
    assert text.startswith("Je n'ai pas d'événement")
    assert not text.rstrip().endswith(":")  # never « L'agenda complet est ici : » and nothing
    assert line.website in text


async def test_agency_contact_of_rouen_info_jeunes(kb, domain, dispatcher):
    tracker = make_tracker(slots={"partner": "rouen_info_jeunes"}, intent="ask_agency_contact")
    await ActionAgencyContact().run(dispatcher, tracker, domain)
    assert "Séverine Lefebvre (coordonnatrice)" in all_text(dispatcher, domain)


async def test_network_explains_the_charter_and_the_partner_plan(kb, domain, dispatcher):
    tracker = make_tracker(slots={"partner": "rouen_info_jeunes"}, intent="ask_network")
    await ActionNetwork().run(dispatcher, tracker, domain)
    text = all_text(dispatcher, domain)
    assert "totem" in text
    assert "charte signée le 11/07/2023" in text


# --- the error net ---------------------------------------------------------------------------


class Broken:
    """A knowledge base whose database went away."""

    def __getattr__(self, name):
        def fail(*_args, **_kwargs):
            raise ConnectionError("database unreachable")

        return fail


async def test_a_knowledge_base_error_gets_an_apology_not_silence(
    kb, domain, dispatcher, caplog, monkeypatch
):
    # Read the line once while the base works, as the running server would have.
    parcours_metiers_text()
    monkeypatch.setattr("actions.knowledge_access._live", LiveKnowledge.fixed(Broken()))
    tracker = make_tracker(
        slots={"topic": "formation", "commune": "27375", "age": 19},
        sender_id="conv-42",
        active_loop="contact_form",
    )
    with caplog.at_level(logging.ERROR):
        events = await ActionFindContacts().run(dispatcher, tracker, domain)
    (message,) = shown(dispatcher, domain)
    assert message.text.startswith("Oups, j'ai eu un souci technique de mon côté, désolé !")
    assert "0 800 05 00 00" in message.text
    assert any("conv-42" in r.getMessage() and r.exc_info for r in caplog.records)
    assert {"event": "active_loop", "name": None, "timestamp": None} in events


async def test_funding_question_makes_the_next_search_about_training(kb, domain, dispatcher):
    tracker = make_tracker(text="je cherche une formation payée", intent="ask_funding")
    events = await ActionFunding().run(dispatcher, tracker, domain)
    (message,) = shown(dispatcher, domain)
    assert message.text.startswith("Ça dépend du dispositif")
    assert message.buttons  # the closest schemes
    assert slot_values(events) == {"scheme": None, "topic": "formation"}


@pytest.mark.parametrize(
    "slots",
    [
        {"topic": "formation", "commune": "14047", "age": 20, "situation": "demandeur_emploi"},
        {"topic": "orientation", "commune": "14366", "age": 13, "situation": "collegien"},
        {"topic": "formation", "commune": "76217", "age": 15, "situation": "decrocheur"},
        {"topic": "formation", "commune": "76217", "age": 15, "situation": "parent"},
    ],
    ids=["bayeux-20-demandeur", "lisieux-collegien", "dieppe-15-decrocheur", "dieppe-parent"],
)
async def test_every_search_gives_a_structure_and_no_message_ends_on_a_colon(
    kb, domain, dispatcher, slots
):
    await ActionFindContacts().run(dispatcher, make_tracker(slots=slots), domain)
    messages = shown(dispatcher, domain)
    assert all(not m.text.rstrip().endswith(":") for m in messages), [m.text for m in messages]
    cards = [m.text for m in messages if "Pourquoi :" in m.text]
    assert cards, "a structure beside the regional line"
    # Bayeux's Mission Locale has its head office in Vire: never given without saying so.
    for card in cards:
        if "Vire" in card:
            assert "le siège de la Mission Locale qui couvre Bayeux" in card
