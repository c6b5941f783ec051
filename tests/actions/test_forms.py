"""contact_form: what is asked, in which order, and how answers are understood."""

from __future__ import annotations

import pytest
from action_helpers import all_text, make_tracker, shown
from rasa_sdk.events import SlotSet

from actions.forms import ActionAskCommune, ValidateContactForm, ValidateEligibilityForm


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
    [("11", 11), ("19", 19), ("j'ai 25 ans", 25), ("99", 99), ("16ans", 16)],
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
    assert values["requested_slot"] == "situation"
    assert dispatcher.messages == []


@pytest.mark.parametrize("typed", ["10", "100", "0", "dix-neuf", "12 ou 13"])
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
    assert "écris-le en chiffres" in all_text(dispatcher, domain)


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
    assert values["requested_slot"] == "situation"


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
            {"topic": "emploi", "commune": "27375", "age": 19, "requested_slot": "situation"},
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
        slots={"topic": "emploi", "commune": "27375", "age": 19, "requested_slot": "situation"},
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
        ({"scheme": "cej", "age": 19}, "situation"),
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

    monkeypatch.setattr("actions.knowledge_access._kb", Broken())
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
