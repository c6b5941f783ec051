"""contact_form: what is asked, in which order, and how answers are understood."""

from __future__ import annotations

import pytest
from action_helpers import all_text, make_tracker, shown
from rasa_sdk.events import SlotSet

from actions.forms import ActionAskCommune, ValidateContactForm, ValidateEligibilityForm
from knowledge.live import LiveKnowledge


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def validate(dispatcher, domain, slots=None, candidates=None, **message):
    """Run validate_contact_form as Rasa does after the person answered."""
    tracker = make_tracker(
        slots=slots, candidates=candidates, active_loop="contact_form", **message
    )
    return slot_values(await ValidateContactForm().run(dispatcher, tracker, domain))


# --- communes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "insee", "said"),
    [
        ("Louviers", "27375", "C'est noté : Louviers (Eure)."),  # unique name
        ("louvier", "27375", "C'est noté : Louviers (Eure)."),  # typo, no accent
        ("rouen", "76540", "C'est noté : Rouen (Seine-Maritime)."),
        (
            "Tourlaville",  # former commune, now part of a commune nouvelle
            "50129",
            "Tourlaville fait maintenant partie de Cherbourg-en-Cotentin (Manche) : c'est noté.",
        ),
    ],
)
async def test_one_commune_is_confirmed_by_name(kb, domain, dispatcher, typed, insee, said):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "requested_slot": "commune"},
        candidates={"commune": typed},
        text=typed,
    )
    assert values["commune"] == insee
    assert all_text(dispatcher, domain) == said
    assert values["requested_slot"] == "age"  # the routing rules need it for this topic


async def test_insee_code_from_the_nlu_is_kept(kb, domain, dispatcher):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "emploi", "requested_slot": "commune"},
        candidates={"commune": "14118"},
        text="j'habite caen",
        entities=[{"entity": "commune", "value": "14118"}],
    )
    assert values["commune"] == "14118"
    assert "Caen (Calvados)" in all_text(dispatcher, domain)


@pytest.mark.parametrize(
    ("typed", "expected_titles"),
    [
        # homonyms: same name in three départements
        (
            "Cuverville",
            ["Cuverville (Eure)", "Cuverville (Calvados)", "Cuverville (Seine-Maritime)"],
        ),
        (
            "Saint-Aubin-sur-Mer",
            ["Saint-Aubin-sur-Mer (Calvados)", "Saint-Aubin-sur-Mer (Seine-Maritime)"],
        ),
        # shared postcode: Louviers and its neighbours
        ("27400", ["Louviers (Eure)", "Acquigny (Eure)"]),
    ],
)
async def test_several_communes_are_offered_as_buttons(
    kb, domain, dispatcher, typed, expected_titles
):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "requested_slot": "commune"},
        candidates={"commune": typed},
        text=typed,
    )
    assert values["commune"] is None
    assert values["requested_slot"] == "commune"
    (message,) = shown(dispatcher, domain)
    assert f"plusieurs possibilités pour « {typed} »" in message.text
    assert set(expected_titles) <= set(message.titles)
    assert len(message.buttons) <= 6
    assert message.titles[-1] == "Une autre commune"
    insee_payloads = [b["payload"] for b in message.buttons[:-1]]
    assert all(p.startswith('/inform{"commune": "') for p in insee_payloads)


async def test_choosing_a_button_sets_that_commune(kb, domain, dispatcher):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "requested_slot": "commune"},
        candidates={"commune": "76564"},
        text='/inform{"commune":"76564"}',
        entities=[{"entity": "commune", "value": "76564"}],
    )
    assert values["commune"] == "76564"
    assert "Saint-Aubin-sur-Mer (Seine-Maritime)" in all_text(dispatcher, domain)


async def test_another_commune_asks_for_the_name_once(kb, domain, dispatcher):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "requested_slot": "commune"},
        candidates={"commune": "autre"},
        text='/inform{"commune":"autre"}',
        entities=[{"entity": "commune", "value": "autre"}],
    )
    assert values["commune"] is None
    assert values["requested_slot"] == "commune"
    tracker = make_tracker(slots={"requested_slot": "commune", **values})
    await ActionAskCommune().run(dispatcher, tracker, domain)
    assert all_text(dispatcher, domain).startswith("Dans quelle commune habites-tu ?")


async def test_yes_is_no_commune(kb, domain, dispatcher):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "requested_slot": "commune"},
        candidates={"commune": "oui"},
        text="oui",
        intent="affirm",
    )
    assert values == {"commune": None, "requested_slot": "commune"}
    assert dispatcher.messages == []


async def test_buttons_are_the_question_no_second_one(kb, domain, dispatcher):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "requested_slot": "commune"},
        candidates={"commune": "Cuverville"},
        text="Cuverville",
    )
    assert set(values["commune_choices"]) == {"14215", "76206", "27194"}
    tracker = make_tracker(slots={"requested_slot": "commune", **values})
    events = await ActionAskCommune().run(dispatcher, tracker, domain)
    assert len(dispatcher.messages) == 1  # only "Laquelle est la tienne ?" and its buttons
    assert events == [SlotSet("commune_choices", None)]


@pytest.mark.parametrize("typed", ["Paris", "Lyon", "asdfgh"])
async def test_outside_normandy_gives_national_directories_and_stops(kb, domain, dispatcher, typed):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "requested_slot": "commune"},
        candidates={"commune": typed},
        text=typed,
    )
    text = all_text(dispatcher, domain)
    assert f"Je ne trouve pas « {typed} » parmi les communes de Normandie" in text
    assert "Boussole couvre seulement la Normandie" in text
    assert kb.contact("annuaire_service_public").website in text
    assert values["search_stopped"] is True
    assert values["requested_slot"] is None  # the form closes


async def test_free_text_is_read_as_the_commune_only_when_it_was_asked(kb, domain, dispatcher):
    # "louvier" typed while the form asks for the age is no commune.
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "commune": "27375", "requested_slot": "age"},
        text="c'est quoi le CEJ",
        intent="ask_scheme_info",
    )
    assert "age" not in values
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("typed", "entity", "value", "kept"),
    [("19 ans", "age", "19", 19), ("je suis au lycée", "situation", "lyceen", "lyceen")],
)
async def test_another_criterion_instead_of_the_commune_is_kept_and_the_commune_asked_again(
    kb, domain, dispatcher, typed, entity, value, kept
):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "requested_slot": "commune"},
        candidates={entity: value},
        text=typed,
        intent="inform",
        entities=[{"entity": entity, "value": value}],
    )
    assert values[entity] == kept
    assert "commune" not in values  # no "« 19 ans » n'est pas en Normandie"
    assert values["requested_slot"] == "commune"
    assert "Normandie" not in all_text(dispatcher, domain)


# --- ages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "age"),
    [
        ("11", 11),
        ("19", 19),
        ("j'ai 25 ans", 25),
        ("99", 99),
        ("16ans", 16),
        ("dix-neuf", 19),  # in words (text2num)
        ("j'ai vingt et un ans", 21),
        ("19a", 19),  # SMS spellings
        ("g 20an", 20),
    ],
)
async def test_ages_from_11_to_99_are_accepted(kb, domain, dispatcher, typed, age):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "commune": "27375", "requested_slot": "age"},
        candidates={"age": typed},
        text=typed,
    )
    assert values["age"] == age
    # Up to 30 a rule picks the person out by age (CIO, Mission Locale, France Travail…): the
    # answer comes at once; at 99 only the situation can still send them somewhere.
    assert values["requested_slot"] == ("situation" if age > 30 else None)
    assert dispatcher.messages == []


@pytest.mark.parametrize("typed", ["10", "100", "0", "12 ou 13", "assez jeune"])
async def test_other_ages_are_asked_again(kb, domain, dispatcher, typed):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "commune": "27375", "requested_slot": "age"},
        candidates={"age": typed},
        text=typed,
    )
    assert values["age"] is None
    assert values["requested_slot"] == "age"
    assert all_text(dispatcher, domain).startswith("Je n'ai pas bien noté ton âge")


@pytest.mark.parametrize(
    ("typed", "intent"),
    [
        ("jsp", "inform"),
        ("je préfère pas", "deny"),
        ("Je prefere ne pas le dire", "inform"),
        ("non", "deny"),
    ],
)
async def test_refusing_to_give_the_age_goes_on_without_it(kb, domain, dispatcher, typed, intent):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "commune": "27375", "requested_slot": "age"},
        text=typed,
        intent=intent,
    )
    assert values["declined_criteria"] == ["age"]
    assert values["age"] is None
    assert values["requested_slot"] == "situation"  # never asked again
    assert all_text(dispatcher, domain) == "Aucun problème, on fait sans."


@pytest.mark.parametrize("typed", ["stop", "Annuler", "laisse tomber"])
async def test_stop_closes_the_form(kb, domain, dispatcher, typed):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "commune": "27375", "requested_slot": "age"},
        text=typed,
    )
    assert values["requested_slot"] is None
    assert values["search_stopped"] is True
    assert "on s'arrête là" in all_text(dispatcher, domain)


# --- what is asked ---------------------------------------------------------------------------


async def test_first_message_entities_are_not_asked_again(kb, domain, dispatcher):
    # "je cherche une formation à Louviers, j'ai 19 ans": topic, commune and age are given.
    tracker = make_tracker(
        slots={"topic": "formation"},
        candidates={"commune": "27375", "age": "19"},
        text="je cherche une formation à Louviers, j'ai 19 ans",
        intent="ask_training",
        entities=[{"entity": "commune", "value": "27375"}, {"entity": "age", "value": "19"}],
    )
    values = slot_values(await ValidateContactForm().run(dispatcher, tracker, domain))
    assert values["commune"] == "27375"
    assert values["age"] == 19
    assert values["requested_slot"] is None  # the Mission Locale: the answer comes at once


async def test_topic_is_asked_first_when_unknown(kb, domain, dispatcher):
    tracker = make_tracker(text="qui contacter près de chez moi", intent="find_local_contact")
    values = slot_values(await ValidateContactForm().run(dispatcher, tracker, domain))
    assert values["requested_slot"] == "topic"


async def test_topic_button_answers_the_topic_question(kb, domain, dispatcher):
    values = await validate(
        dispatcher,
        domain,
        slots={"requested_slot": "topic"},
        text="/ask_apprenticeship",
        intent="ask_apprenticeship",
    )
    assert values["topic"] == "alternance"
    assert values["requested_slot"] == "commune"


@pytest.mark.parametrize(
    ("slots", "said", "asked"),
    [
        # The answer to the question, whose buttons list the situations understood.
        (
            {"topic": "emploi", "commune": "27375", "age": 40, "requested_slot": "situation"},
            "Je n'ai pas bien compris ta situation : choisis dans la liste, ça m'aide à mieux "
            "t'orienter.",
            "situation",
        ),
        # Said in passing in the first question: no list was shown yet, it comes with the question.
        ({"topic": "emploi"}, "", "commune"),
    ],
)
async def test_unknown_situation(kb, domain, dispatcher, slots, said, asked):
    values = await validate(
        dispatcher,
        domain,
        slots=slots,
        candidates={"situation": "réfugié"},
        text="je suis réfugié et je veux travailler",
        intent="ask_job_search",
    )
    assert values["situation"] is None
    assert all_text(dispatcher, domain) == said
    assert values["requested_slot"] == asked


async def test_declined_situation_completes_the_form(kb, domain, dispatcher):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "emploi", "commune": "27375", "age": 40, "requested_slot": "situation"},
        text="/deny",
        intent="deny",
    )
    assert values["declined_criteria"] == ["situation"]
    assert values["requested_slot"] is None


@pytest.mark.parametrize(
    ("slots", "asked"),
    [
        ({"scheme": "atouts_normandie"}, "age"),  # 15-25, Normandy residents only
        ({"scheme": "atouts_normandie", "age": 19}, "commune"),
        ({"scheme": "atouts_normandie", "commune": "76540"}, "age"),
        ({"scheme": "atouts_normandie", "commune": "76540", "age": "19"}, None),
        ({"scheme": "cej", "age": 19}, None),  # the answer says which situations it is for
        ({}, "scheme"),
    ],
)
async def test_eligibility_form_asks_only_what_the_scheme_needs(
    kb, domain, dispatcher, slots, asked
):
    tracker = make_tracker(slots=slots, text="j'y ai droit ?", intent="ask_eligibility")
    events = await ValidateEligibilityForm().run(dispatcher, tracker, domain)
    assert SlotSet("requested_slot", asked) in events


@pytest.mark.parametrize(
    ("typed", "intent", "topic"),
    [
        ("la formation", "inform", "formation"),
        ("plutôt l'emploi", "inform", "emploi"),
        ("louvier", "inform", "orientation"),  # not a topic: general orientation, no re-ask
        ("bof", "nlu_fallback", "orientation"),
    ],
)
async def test_typed_answer_to_the_topic_question(kb, domain, dispatcher, typed, intent, topic):
    values = await validate(
        dispatcher, domain, slots={"requested_slot": "topic"}, text=typed, intent=intent
    )
    assert values["topic"] == topic
    assert values["requested_slot"] == "commune"


@pytest.mark.parametrize(("typed", "intent"), [("jsp", "thank"), ("je préfère pas", "goodbye")])
async def test_refusal_is_heard_whatever_the_nlu_made_of_it(kb, domain, dispatcher, typed, intent):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "commune": "27375", "requested_slot": "age"},
        text=typed,
        intent=intent,
    )
    assert values["declined_criteria"] == ["age"]
    assert values["requested_slot"] == "situation"


async def test_unknown_scheme_in_the_eligibility_form_offers_buttons_and_stops(
    kb, domain, dispatcher
):
    tracker = make_tracker(
        slots={"requested_slot": "scheme"},
        candidates={"scheme": "servise civic"},
        text="servise civic",
        active_loop="eligibility_form",
    )
    values = slot_values(await ValidateEligibilityForm().run(dispatcher, tracker, domain))
    (message,) = shown(dispatcher, domain)
    assert "Service civique" in message.titles
    assert values["requested_slot"] is None
    assert values["search_stopped"] is True


async def test_no_to_the_topic_question_is_left_to_the_stop_rule(kb, domain, dispatcher):
    # Nothing extracted: Rasa rejects the form and the rule "non → on s'arrête" answers.
    values = await validate(
        dispatcher, domain, slots={"requested_slot": "topic"}, text="non merci", intent="deny"
    )
    assert "topic" not in values


async def test_stop_at_the_topic_question(kb, domain, dispatcher):
    values = await validate(dispatcher, domain, slots={"requested_slot": "topic"}, text="stop")
    assert values["search_stopped"] is True
    assert values["requested_slot"] is None
    assert "on s'arrête là" in all_text(dispatcher, domain)


async def test_a_failing_validation_apologises_and_closes_the_form(
    kb, domain, dispatcher, monkeypatch
):
    class Broken:
        def __getattr__(self, name):
            raise ConnectionError("database unreachable")

    monkeypatch.setattr("actions.knowledge_access._live", LiveKnowledge.fixed(Broken()))
    tracker = make_tracker(
        slots={"topic": "formation", "requested_slot": "commune"},
        candidates={"commune": "louvier"},
        text="louvier",
        active_loop="contact_form",
    )
    events = await ValidateContactForm().run(dispatcher, tracker, domain)
    assert all_text(dispatcher, domain).startswith("Oups, j'ai eu un souci technique")
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert slot_values(events)["requested_slot"] is None


# --- ask only what changes the answer (issue 11) -------------------------------------------


async def test_a_first_message_that_says_everything_gets_no_question(kb, domain, dispatcher):
    # « j'ai 17 ans, j'ai arrêté le lycée, j'habite à Louviers, qui peut m'aider ? »: the
    # dropout rules apply to every need, so neither the need nor anything else is asked.
    tracker = make_tracker(
        candidates={"commune": "27375", "age": "17", "situation": "decrocheur"},
        text="j'ai 17 ans, j'ai arrêté le lycée, j'habite à Louviers, qui peut m'aider ?",
        intent="find_local_contact",
        entities=[
            {"entity": "age", "value": "17"},
            {"entity": "situation", "value": "decrocheur"},
            {"entity": "commune", "value": "27375"},
        ],
    )
    values = slot_values(await ValidateContactForm().run(dispatcher, tracker, domain))
    assert values["topic"] == "orientation"
    assert values["age"] == 17
    assert values["requested_slot"] is None
    contacts = kb.find_contacts("27375", values["topic"], age=17, situation="decrocheur")
    assert {"mission_locale", "e2c"} <= {c.operator.type for c in contacts}


@pytest.mark.parametrize(
    ("candidates", "asked"),
    [
        ({"commune": "27375"}, "topic"),  # nothing says who the person is: the need matters
        ({"commune": "27375", "situation": "lyceen"}, "topic"),  # CIO, or Info Jeunes, or…
        ({"commune": "27375", "age": "19"}, None),  # the Mission Locale, whatever the need
        ({"commune": "27375", "age": "40"}, "topic"),  # past 30, the need and the situation matter
    ],
)
async def test_the_need_is_asked_only_if_it_can_change_the_answer(
    kb, domain, dispatcher, candidates, asked
):
    tracker = make_tracker(
        candidates=candidates, text="qui peut m'aider ?", intent="find_local_contact"
    )
    values = slot_values(await ValidateContactForm().run(dispatcher, tracker, domain))
    assert values["requested_slot"] == asked


def test_open_criteria_follow_what_is_known(kb):
    assert kb.open_criteria("orientation", 14, "lyceen") == ()
    assert kb.open_criteria("emploi", 21, None) == ("situation",)
    assert kb.open_criteria("formation", None, None) == ("age", "situation")
    # an age the person preferred not to give rules out every rule bounded by age
    assert kb.open_criteria("formation", None, None, unknowable=["age"]) == ("situation",)
    assert kb.answers_every_need(17, "decrocheur")
    assert kb.answers_every_need(19, None)
    assert not kb.answers_every_need(None, "lyceen")
    assert not kb.answers_every_need(40, None)
    assert not kb.answers_every_need(None, None)


async def test_an_eligibility_already_refused_asks_nothing_more(kb, domain, dispatcher):
    # « j'ai 28 ans, je peux avoir la carte Atouts Normandie ? »: 15-25, so no, at once.
    tracker = make_tracker(
        slots={"scheme": "atouts_normandie", "age": "28"},
        text="j'ai 28 ans, je peux avoir la carte atouts normandie ?",
        intent="ask_eligibility",
    )
    events = await ValidateEligibilityForm().run(dispatcher, tracker, domain)
    assert SlotSet("requested_slot", None) in events


# --- never a third time ----------------------------------------------------------------------


def asked_twice(slot: str) -> list[dict]:
    """The events of a form that has asked for ``slot`` twice in a row."""
    ask = {"event": "bot", "text": "…", "metadata": {"utter_action": f"utter_ask_{slot}"}}
    answer = {"event": "user", "text": "bof", "parse_data": {"intent": {"name": "inform"}}}
    requested = {"event": "slot", "name": "requested_slot", "value": slot}
    return [
        {"event": "slot", "name": "requested_slot", "value": "commune"},
        requested,
        ask,
        answer,
        requested,
        ask,
    ]


async def test_a_situation_not_understood_twice_is_not_asked_a_third_time(kb, domain, dispatcher):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "emploi", "commune": "27375", "age": 40, "requested_slot": "situation"},
        candidates={"situation": "ça dépend des jours"},
        text="ça dépend des jours",
        events=asked_twice("situation"),
    )
    assert values["declined_criteria"] == ["situation"]
    assert values["requested_slot"] is None  # the answer comes with what is known
    assert all_text(dispatcher, domain) == "Pas de souci, je fais avec ce que je sais."


async def test_an_age_not_understood_twice_moves_on_to_the_next_question(kb, domain, dispatcher):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "commune": "27375", "requested_slot": "age"},
        candidates={"age": "assez jeune"},
        text="assez jeune",
        events=asked_twice("age"),
    )
    assert values["declined_criteria"] == ["age"]
    assert values["requested_slot"] == "situation"
    assert "noté ton âge" not in all_text(dispatcher, domain)  # no « pas compris » and move on


async def test_interruptions_count_as_asks_too(kb, domain, dispatcher):
    # The age was asked, a scheme question came in between, the age was asked again, and now
    # another question: the form goes on without the age rather than asking it a third time.
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "commune": "27375", "requested_slot": "age"},
        text="et le service civique c'est quoi ?",
        intent="ask_scheme_info",
        events=asked_twice("age"),
    )
    assert values["requested_slot"] == "situation"


async def test_the_second_ask_comes_with_a_way_out(domain):
    for name in ("utter_ask_age", "utter_ask_situation"):
        for variation in domain["responses"][name]:
            payloads = {b["title"]: b["payload"] for b in variation["buttons"]}
            assert payloads["Je préfère ne pas dire"] == "/deny"


# --- parents -----------------------------------------------------------------------------------


async def test_je_suis_parent_switches_to_the_childs_situation_and_age(kb, domain, dispatcher):
    values = await validate(
        dispatcher,
        domain,
        slots={
            "topic": "orientation",
            "commune": "27229",
            "age": 45,
            "requested_slot": "situation",
        },
        candidates={"situation": "parent"},
        text='/inform{"situation":"parent"}',
        entities=[{"entity": "situation", "value": "parent"}],
    )
    assert values["profile"] == "parent"
    assert values["situation"] is None
    assert values["age"] is None  # 45 was the parent's own age
    assert values["requested_slot"] == "age"


async def test_a_parent_is_asked_about_the_child_with_vous(kb, domain, dispatcher):
    parent = {"profile": "parent"}
    for name, said in [
        ("utter_ask_age", "Quel âge a votre enfant ?"),
        ("utter_ask_situation", "Il ou elle est au collège, au lycée… ?"),
        ("utter_ask_commune", "Dans quelle commune habitez-vous ?"),
    ]:
        dispatcher.messages.clear()
        dispatcher.utter_message(response=name)
        assert all_text(dispatcher, domain, parent).startswith(said)
    dispatcher.messages.clear()
    dispatcher.utter_message(response="utter_ask_age")
    assert all_text(dispatcher, domain) == "Quel âge as-tu ?"


# --- referents of partner structures (issue 11, point 4) ---------------------------------------


async def test_a_referent_is_asked_about_the_young_person_with_vous(kb, domain, dispatcher):
    referent = {"profile": "referent"}
    for name, said in [
        ("utter_ask_topic", "Sur quel sujet cherchez-vous de l'aide pour la personne que vous"),
        (
            "utter_ask_commune",
            "Dans quelle commune habite la personne que vous accompagnez ? Un code postal suffit "
            "aussi.",
        ),
        ("utter_ask_age", "Quel âge a la personne que vous accompagnez ?"),
        ("utter_ask_situation", "Quelle est sa situation en ce moment ?"),
    ]:
        dispatcher.messages.clear()
        dispatcher.utter_message(response=name)
        assert all_text(dispatcher, domain, referent).startswith(said)
    (question,) = shown(dispatcher, domain, referent)
    # the young person's situations, without « Je suis parent »
    assert "Je suis parent" not in question.titles
    assert question.titles[-1] == "Je préfère ne pas dire"


async def test_je_suis_educatrice_mid_form_turns_to_vous(kb, domain, dispatcher):
    # « Je suis éducatrice » said to the situation question: a professional, so from the next
    # question on the form speaks to a referent; the routing keeps the situation.
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "commune": "27375", "requested_slot": "situation"},
        candidates={"situation": "referent"},
        text="je suis éducatrice",
        entities=[{"entity": "situation", "value": "referent"}],
    )
    assert values["profile"] == "referent"
    assert values["situation"] == "referent"
    dispatcher.messages.clear()
    dispatcher.utter_message(response=f"utter_ask_{values['requested_slot']}")
    assert "la personne que vous accompagnez" in all_text(dispatcher, domain, values)


async def test_communes_offered_as_buttons_are_a_new_question(kb, domain, dispatcher):
    # Asked twice already, then a name shared by several communes: the buttons are shown, the
    # search goes on.
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "requested_slot": "commune"},
        candidates={"commune": "Cuverville"},
        text="Cuverville",
        events=asked_twice("commune"),
    )
    assert values["requested_slot"] == "commune"
    assert "search_stopped" not in values
    (message,) = shown(dispatcher, domain)
    assert message.titles[-1] == "Une autre commune"


async def test_a_commune_asked_twice_without_answer_ends_with_the_free_line(kb, domain, dispatcher):
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "formation", "requested_slot": "commune"},
        text="c'est quoi le CEJ ?",
        intent="ask_scheme_info",
        events=asked_twice("commune"),
    )
    assert values["search_stopped"] is True
    assert values["requested_slot"] is None
    assert "Sans ta commune" in all_text(dispatcher, domain)


async def test_a_professional_naming_their_workplace_is_answered_as_a_referent(
    kb, domain, dispatcher
):
    # « je suis animateur au PIJ de Lisieux, … vers qui l'orienter ? » from a page whose
    # widget says nothing of the profile: « vous » from this very answer on.
    text = (
        "je suis animateur au PIJ de Lisieux, un jeune de 22 ans sans emploi, vers qui l'orienter ?"
    )
    values = await validate(
        dispatcher,
        domain,
        slots={"topic": "emploi"},
        candidates={"commune": "14366", "age": "22"},
        text=text,
        intent="find_local_contact",
    )
    assert values["profile"] == "referent"
    assert values["structure"]
    young = await validate(
        dispatcher,
        domain,
        slots={"topic": "emploi"},
        candidates={"commune": "14366", "age": "22"},
        text="j'ai 22 ans, je suis au chômage à Lisieux",
        intent="find_local_contact",
    )
    assert "profile" not in young
