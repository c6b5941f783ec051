"""Issue 11, point 2: answer with what is known, and say the rest as conditions.

Once the need and the commune are known and a rule already picks the person out (by age, or by
a situation they said), the contact form asks nothing more: the answer comes with the offices
that would also suit them in a situation they have not said, as « Si tu es… » lines. Stray
entities of the NLU (« en », « au », « la rentrée », « Eure »…) never hide the real ones.
"""

from __future__ import annotations

import pytest
from action_helpers import all_text, make_tracker, shown
from rasa_sdk.events import FollowupAction, SlotSet

from actions.contacts import ActionFindContacts
from actions.forms import ValidateContactForm, ValidateEligibilityForm
from actions.safety import ActionBoussoleFallback
from actions.schemes import ActionCheckEligibility, ActionSchemeInfo
from knowledge.voice import informal_words

LOUVIERS, ROUEN, VERNON, EVREUX, CHERBOURG = "27375", "76540", "27681", "27229", "50129"
INTRO_YOUTH = "Selon ta situation, d'autres lieux peuvent aussi t'aider :"
INTRO_PARENT = "Selon la situation de votre enfant, d'autres structures peuvent aussi l'aider :"


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(dispatcher, domain, slots=None) -> list[str]:
    return [m.text for m in shown(dispatcher, domain, slots)]


# --- the form asks nothing more once a rule picks the person out ----------------------------


@pytest.mark.parametrize(
    ("candidates", "asked"),
    [
        ({"commune": EVREUX, "age": "19"}, None),  # Mission Locale: answer at once
        ({"commune": EVREUX, "age": "15"}, None),  # CIO before 16
        ({"commune": EVREUX, "age": "28"}, None),  # France Travail from 26
        ({"commune": EVREUX, "age": "45"}, "situation"),  # nothing by age: the situation matters
        ({"commune": EVREUX}, "age"),  # the age decides the main door
    ],
)
async def test_the_situation_is_asked_only_when_nothing_picks_the_person_out(
    kb, domain, dispatcher, candidates, asked
):
    tracker = make_tracker(
        slots={"topic": "emploi"},
        candidates=candidates,
        text="je cherche du travail",
        intent="ask_job_search",
    )
    values = slot_values(await ValidateContactForm().run(dispatcher, tracker, domain))
    assert values["requested_slot"] == asked


def test_worth_asking_follows_the_rules(kb):
    assert kb.worth_asking("emploi", 21, None) == ()
    assert kb.worth_asking("emploi", None, None) == ("age", "situation")
    assert kb.worth_asking("emploi", 40, None) == ("situation",)
    # the age withheld: only the situation can still send the person somewhere
    assert kb.worth_asking("emploi", None, None, unknowable=["age"]) == ("situation",)
    assert kb.worth_asking("orientation", None, "lyceen") == ("age",)


# --- the answer: sure offices, then conditional lines, then the free line --------------------


async def test_unknown_situation_gives_conditional_lines_before_the_free_line(
    kb, domain, dispatcher
):
    tracker = make_tracker(slots={"topic": "emploi", "commune": LOUVIERS, "age": 19})
    await ActionFindContacts().run(dispatcher, tracker, domain)
    said = texts(dispatcher, domain)
    ml = kb.operator(kb.commune(LOUVIERS).mission_locale)
    (block,) = [t for t in said if t.startswith(INTRO_YOUTH)]
    assert ml.name not in block  # already given as the main door
    assert "• Si tu es sorti ou sortie de l'école sans diplôme ou sans activité : " in block
    assert "École de la 2e chance (E2C)" in block and "EPIDE" in block
    assert "• Si tu es en situation de handicap" in block and "Cap emploi" in block
    assert block.count("France Travail") == 1  # one office, its conditions joined
    # the conditional lines come after the offices and before the free line and the question
    order = [i for i, t in enumerate(said) if t.startswith(INTRO_YOUTH) or "0 800 05 00 00" in t]
    assert order == sorted(order) and said.index(block) < len(said) - 2
    assert any(ml.name in t for t in said[: said.index(block)])


async def test_conditional_lines_speak_to_a_parent_about_the_child(kb, domain, dispatcher):
    slots = {"topic": "orientation", "commune": EVREUX, "age": 16, "profile": "parent"}
    await ActionFindContacts().run(dispatcher, make_tracker(slots=slots), domain)
    (block,) = [t for t in texts(dispatcher, domain, slots) if t.startswith(INTRO_PARENT)]
    assert (
        "• Si votre enfant est sorti ou sortie de l'école sans diplôme, au collège ou au lycée"
        in (block)
    )
    assert "CIO" in block
    assert informal_words(block) == []


async def test_a_known_situation_gets_no_conditional_lines(kb, domain, dispatcher):
    tracker = make_tracker(
        slots={"topic": "orientation", "commune": LOUVIERS, "age": 17, "situation": "decrocheur"}
    )
    await ActionFindContacts().run(dispatcher, tracker, domain)
    text = all_text(dispatcher, domain)
    assert "Selon ta situation" not in text
    assert "École de la 2e chance (E2C)" in text  # a sure door now, with its reason
    assert kb.operator(kb.commune(LOUVIERS).mission_locale).name in text


def test_conditional_contacts_skip_what_was_given_and_group_by_condition(kb):
    given = kb.find_contacts(EVREUX, "orientation", age=17)
    groups = kb.conditional_contacts(EVREUX, "orientation", 17, given)
    conditions = [g.condition for g in groups]
    assert len(conditions) == len(set(conditions))
    offices = [c.operator.id for g in groups for c in g.contacts]
    assert len(offices) == len(set(offices))  # each office once
    assert not {c.operator.id for c in given} & set(offices)
    assert all(g.condition.startswith("Si tu es ") for g in groups)
    # an age outside a rule's bounds keeps it out: no EPIDE (17–25) at 40
    late = kb.conditional_contacts(
        EVREUX, "orientation", 40, kb.find_contacts(EVREUX, "orientation", 40)
    )
    assert "epide" not in {c.operator.type for g in late for c in g.contacts}


async def test_a_collegien_in_rouen_is_sent_to_the_partner_too(kb, domain, dispatcher):
    # The charter of Rouen Info Jeunes: public 11–30 and parents, whatever their situation.
    tracker = make_tracker(
        slots={"topic": "orientation", "commune": ROUEN, "age": 15, "situation": "collegien"}
    )
    await ActionFindContacts().run(dispatcher, tracker, domain)
    assert kb.partner("rouen_info_jeunes").name in all_text(dispatcher, domain)


# --- stray entities never hide the real ones -------------------------------------------------


async def test_a_stray_situation_entity_does_not_hide_the_real_one(kb, domain, dispatcher):
    # Rasa fills the slot with the last entity: « la rentrée », not « decrocheur ».
    tracker = make_tracker(
        candidates={"commune": LOUVIERS, "age": "17", "situation": "la rentrée"},
        text="j'ai 17 ans je suis déscolarisé depuis la rentrée, je suis à Louviers",
        entities=[
            {"entity": "age", "value": "17"},
            {"entity": "situation", "value": "decrocheur"},
            {"entity": "situation", "value": "la rentrée"},
            {"entity": "commune", "value": LOUVIERS},
        ],
    )
    values = slot_values(await ValidateContactForm().run(dispatcher, tracker, domain))
    assert values["situation"] == "decrocheur"
    assert values["requested_slot"] is None


async def test_a_stray_commune_entity_does_not_hide_the_commune(kb, domain, dispatcher):
    values = slot_values(
        await ValidateContactForm().run(
            dispatcher,
            make_tracker(
                slots={"topic": "alternance", "age": 19, "requested_slot": "commune"},
                candidates={"commune": "Eure"},
                text="à Vernon dans l'Eure",
                entities=[
                    {"entity": "commune", "value": VERNON},
                    {"entity": "commune", "value": "Eure"},
                ],
                active_loop="contact_form",
            ),
            domain,
        )
    )
    assert values["commune"] == VERNON
    assert "Vernon (Eure)" in all_text(dispatcher, domain)


async def test_a_stray_entity_does_not_keep_a_typed_commune_from_being_read(kb, domain, dispatcher):
    # « au » tagged as a situation is no answer to another question: the text is the commune.
    values = slot_values(
        await ValidateContactForm().run(
            dispatcher,
            make_tracker(
                slots={"topic": "formation", "age": 19, "requested_slot": "commune"},
                candidates={"situation": "au"},
                text="pont audemer",
                intent="nlu_fallback",
                entities=[{"entity": "situation", "value": "au"}],
                active_loop="contact_form",
            ),
            domain,
        )
    )
    assert values["commune"] == "27467"
    assert values["situation"] is None


# --- schemes: the known one, the situations as a condition, the local office -----------------


async def test_the_known_scheme_is_taken_among_stray_ones(kb, domain, dispatcher):
    tracker = make_tracker(
        slots={"scheme": "atouts_normandie", "age": "28"},
        text="j'ai 28 ans, je peux avoir la carte atouts normandie ?",
        intent="ask_eligibility",
        entities=[
            {"entity": "age", "value": "28"},
            {"entity": "scheme", "value": "carte"},
            {"entity": "scheme", "value": "atouts_normandie"},
        ],
    )
    await ActionCheckEligibility().run(dispatcher, tracker, domain)
    text = all_text(dispatcher, domain)
    assert "Atouts Normandie" in text and "25 ans" in text
    assert "De quel dispositif" not in text


async def test_eligibility_says_the_situations_instead_of_asking_and_names_the_office(
    kb, domain, dispatcher
):
    form = make_tracker(
        slots={"scheme": "epide", "age": "17", "commune": CHERBOURG},
        text="l'epide c'est pour qui ?",
        intent="ask_eligibility",
    )
    assert SlotSet("requested_slot", None) in await ValidateEligibilityForm().run(
        dispatcher, form, domain
    )
    await ActionCheckEligibility().run(dispatcher, form, domain)
    text = all_text(dispatcher, domain)
    assert "EPIDE est pour toi si tu es sorti de l'école sans diplôme, sans activité ou en " in text
    ml = kb.operator(kb.commune(CHERBOURG).mission_locale)
    assert f"la Mission Locale ({ml.name})" in text


async def test_scheme_info_names_the_office_for_a_known_commune(kb, domain, dispatcher):
    tracker = make_tracker(
        slots={"commune": CHERBOURG},
        text="c'est quoi le CEJ ?",
        intent="ask_scheme_info",
        entities=[{"entity": "scheme", "value": "cej"}],
    )
    await ActionSchemeInfo().run(dispatcher, tracker, domain)
    ml = kb.operator(kb.commune(CHERBOURG).mission_locale)
    assert f"Pour Cherbourg-en-Cotentin : {ml.name}" in all_text(dispatcher, domain)


# --- an unclear message that says where the person lives -------------------------------------


async def test_an_unclear_message_naming_a_commune_starts_the_contact_search(
    kb, domain, dispatcher
):
    tracker = make_tracker(
        slots={"commune": EVREUX, "age": "19"},
        text="bjr 19a taf evreux",
        intent="nlu_fallback",
        entities=[{"entity": "age", "value": "19"}, {"entity": "commune", "value": EVREUX}],
    )
    events = await ActionBoussoleFallback().run(dispatcher, tracker, domain)
    assert events == [FollowupAction("contact_form")]
    assert dispatcher.messages == []  # no « pas sûr d'avoir compris »


async def test_an_unclear_message_without_a_commune_still_offers_topics(kb, domain, dispatcher):
    tracker = make_tracker(
        text="bof",
        intent="nlu_fallback",
        entities=[{"entity": "situation", "value": "au"}],
        ranking=[{"name": "nlu_fallback", "confidence": 0.4}],
    )
    events = await ActionBoussoleFallback().run(dispatcher, tracker, domain)
    assert FollowupAction("contact_form") not in events
    assert shown(dispatcher, domain)[0].titles  # the topic buttons


async def test_the_age_condition_comes_before_the_age_question(kb, domain, dispatcher):
    tracker = make_tracker(
        candidates={"scheme": "cej"},
        text="quelles sont les conditions d'âge pour le contrat d'engagement jeune ?",
        intent="ask_eligibility",
        entities=[{"entity": "scheme", "value": "cej"}],
        active_loop="eligibility_form",
    )
    values = slot_values(await ValidateEligibilityForm().run(dispatcher, tracker, domain))
    assert values["requested_slot"] == "age"
    said = all_text(dispatcher, domain)
    assert said == f"{kb.get_scheme('cej').name} est pour les jeunes de 16 à 25 ans."


async def test_no_age_condition_is_said_when_the_age_is_known(kb, domain, dispatcher):
    tracker = make_tracker(
        slots={"age": "19"},
        candidates={"scheme": "cej"},
        text="j'ai droit au CEJ ?",
        intent="ask_eligibility",
        entities=[{"entity": "scheme", "value": "cej"}],
        active_loop="eligibility_form",
    )
    await ValidateEligibilityForm().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []
