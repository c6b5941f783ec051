"""The forms' validation: ask only what changes the answer and the conversation has not given.

Both forms (finding a contact, checking eligibility for a scheme) collect the same profile —
commune, age, situation — so the extraction and validation of those slots live in one abstract
class, :class:`ProfileValidation`; each form only says which slots it needs. What a message
says is kept whatever its intent (the domain's slot mappings); the forms then skip every
question whose answer is known or would not change who the person is sent to, and never ask
the same question a third time in a row: the conversation goes on with what is known.

For a parent (``profile`` = "parent"), ``age`` and ``situation`` are the young person's.
"""

from __future__ import annotations

import re
from abc import ABC
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.base import BoussoleAction, BoussoleFormValidation
from actions.render import (
    KINDS,
    button,
    contact_entry_text,
    intent_payload,
    parcours_metiers_text,
)
from actions.schemes import ages_text, offer_closest_schemes
from actions.understanding import (
    answers_question,
    entity_values,
    is_cancel,
    is_parent,
    is_referent,
    is_refusal,
    known_age,
    known_situation,
    latest_intent,
    latest_text,
    meaningful,
    structure_named,
)
from knowledge.ages import is_valid_age, parse_age
from knowledge.api import CRITERIA
from knowledge.sources import NEEDS, SITUATIONS
from knowledge.text import fold
from knowledge.voice import PARENT, REFERENT

# The need each topical question is about.
INTENT_NEEDS = {
    "ask_job_info": "metiers",
    "ask_training": "formation",
    "ask_apprenticeship": "alternance",
    "ask_job_search": "emploi",
    "ask_youth_offer": "jeunesse",
    "ask_orientation": "orientation",
}
# Questions whose answer is this very search: asked mid-form, they change its topic. The other
# topical questions (a job, the youth offer) are answered apart, then the form resumes.
SEARCH_INTENTS = ("ask_training", "ask_apprenticeship", "ask_job_search", "ask_orientation")
# Button payload for "my commune is not in this list".
OTHER_COMMUNE = "autre"
MAX_COMMUNE_BUTTONS = 5
# contacts.yml entries to give someone who lives outside Normandy.
NATIONAL_DIRECTORIES = (
    "annuaire_missions_locales",
    "annuaire_info_jeunes",
    "annuaire_service_public",
)
# Slots whose question a refusal ("jsp", "non") answers: the form goes on without them.
SKIPPABLE = ("age", "situation")
# What the forms ask about the person: the commune, then the routing criteria.
PERSON_SLOTS = ("commune", *CRITERIA)
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
# A resolver candidate this far ahead of the next one is taken as the commune meant; closer ones
# (homonyms, communes sharing a postcode, two equally likely typos) are offered as buttons.
_CLEAR_LEAD = 0.05
# A form question is asked at most this many times in a row (issue 11: no loops).
MAX_ASKS = 2
# The need assumed when it is not worth asking (a rule for every need already fits the person).
GENERAL_NEED = "orientation"


def requested_kind(tracker: Tracker) -> str | None:
    """The kind of structure the person asked for (« quelle Mission Locale couvre Bolbec ? »),
    or None: none asked, or a topical question since (« et pour une formation ? ») that does
    not name one, which is a search over every kind again."""
    kind = tracker.get_slot("operator_type")
    if kind not in KINDS:
        return None
    if latest_intent(tracker) in INTENT_NEEDS and kind not in entity_values(
        tracker, "operator_type"
    ):
        return None
    return kind


def times_asked(tracker: Tracker, slot: str) -> int:
    """How many times in a row the form has asked for ``slot`` (its ``utter_ask_<slot>``).

    Counted back from the end of the conversation to the moment the form last asked for
    something else, so an answer to an interruption (a question about a scheme…) counts too.
    """
    asked = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "slot" and event.get("name") == REQUESTED_SLOT and event.get("value") != slot:
            break
        said = (event.get("metadata") or {}).get("utter_action")
        if kind == "bot" and said == f"utter_ask_{slot}":
            asked += 1
    return asked


def need_named_in(text: str) -> str | None:
    """The need whose name starts a word of ``text`` ("formations", "l'emploi"), if any."""
    words = fold(text).replace("'", " ").split()
    return next((n for n in NEEDS if any(w.startswith(n[:5]) for w in words)), None)


def choose_commune(matches: list[Any]) -> list[Any]:
    """The candidates worth showing: the one meant, or the tied best ones (homonyms, postcode)."""
    if not matches:
        return []
    best = matches[0].score
    return [m for m in matches if best - m.score < _CLEAR_LEAD]


class ProfileValidation(BoussoleFormValidation, ABC):
    """Extraction and validation of ``commune``, ``age`` and ``situation`` for any form."""

    # --- stopping -------------------------------------------------------------------------

    def _stop(self, dispatcher: CollectingDispatcher, slot: str) -> dict[str, Any]:
        dispatcher.utter_message(response="utter_search_stopped")
        return {slot: None, "search_stopped": True}

    def _declined(self, tracker: Tracker, criterion: str) -> list[str]:
        declined = list(tracker.get_slot("declined_criteria") or [])
        if criterion not in declined:
            declined.append(criterion)
        return declined

    # --- extraction of free-text answers --------------------------------------------------
    # The NLU fills these slots from entities; when the form asked and the answer carries no
    # entity ("louvier", "jsp", "stop"), the raw text is validated below.

    def _entity_answer(self, tracker: Tracker, slot: str) -> dict[str, Any]:
        """The first sensible value of the message's ``slot`` entities when the slot holds a
        stray one: Rasa fills a slot with the last entity found, and in « j'ai 17 ans je suis
        déscolarisé depuis la rentrée » that is « la rentrée », not « decrocheur »."""
        if meaningful(slot, tracker.get_slot(slot)):
            return {}
        found = next((v for v in entity_values(tracker, slot) if meaningful(slot, v)), None)
        return {slot: found} if found is not None else {}

    def _free_answer(self, tracker: Tracker, slot: str) -> dict[str, Any]:
        chosen = self._entity_answer(tracker, slot)
        if chosen or not answers_question(tracker, slot):
            return chosen
        entities = {
            e.get("entity")
            for e in tracker.latest_message.get("entities", [])
            if meaningful(str(e.get("entity")), e.get("value"))
        }
        if entities & {slot, *PERSON_SLOTS}:
            # The answer carries an entity: this slot's, filled from it, or another criterion's
            # ("19 ans" to "dans quelle commune ?"), kept from it while the form asks again.
            return {}
        text = latest_text(tracker)
        if latest_intent(tracker) == "deny" and slot not in SKIPPABLE:
            # "non" to "dans quelle commune ?" is no commune: the stop rule handles it.
            return {}
        if not text and latest_intent(tracker) != "deny":
            return {}
        return {slot: text or "non"}

    async def extract_topic(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The need from the question that opened the form, a topic button, or a change of mind."""
        intent = latest_intent(tracker)
        need = INTENT_NEEDS.get(intent or "")
        asked = tracker.get_slot("requested_slot")
        if need is None:
            if tracker.get_slot("topic") is None and self._need_is_moot(tracker):
                return {"topic": GENERAL_NEED}
            if asked != "topic" or intent == "deny" or not answers_question(tracker, "topic"):
                return {}  # "non" is left to the stop rule
            text = latest_text(tracker)
            if is_cancel(text):
                return {"topic": text}  # validate_topic stops the form
            # Not a topic button: a typed need ("la formation"), or something else (a commune,
            # an age…); then the general orientation need, rather than asking again.
            return {"topic": need_named_in(text) or "orientation"}
        if asked in (None, "topic") or intent in SEARCH_INTENTS:
            return {"topic": need}
        return {}

    async def extract_commune(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "dans quelle commune ?" when the NLU found no commune in it."""
        return self._free_answer(tracker, "commune")

    async def extract_age(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "quel âge as-tu ?" when the NLU found no age in it."""
        return self._free_answer(tracker, "age")

    async def extract_situation(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "quelle est ta situation ?" when the NLU found none in it."""
        return self._free_answer(tracker, "situation")

    # --- validation -----------------------------------------------------------------------

    async def validate_commune(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """INSEE code as is; text through the resolver: one → confirm, several → buttons."""
        text = str(value or "").strip()
        if is_cancel(text):
            return self._stop(dispatcher, "commune")
        if text == OTHER_COMMUNE or latest_intent(tracker) == "affirm":
            # "autre" (button) or "oui": no commune yet, the form asks for it again.
            return {"commune": None}
        if is_refusal(text):
            dispatcher.utter_message(
                response="utter_commune_declined", parcours_metiers=parcours_metiers_text()
            )
            return {"commune": None, "search_stopped": True}
        # A code the NLU or a button put there is an INSEE code; typed, it is a postcode.
        if _INSEE.match(text) and text not in latest_text(tracker):
            commune = self.kb.commune(text)
            if commune is not None:
                dispatcher.utter_message(
                    response="utter_commune_noted",
                    commune=commune.name,
                    departement=self._departement_name(commune.departement),
                )
                return {"commune": commune.insee}
        candidates = choose_commune(self.kb.resolve_commune(text, limit=MAX_COMMUNE_BUTTONS + 1))
        if len(candidates) == 1:
            match = candidates[0]
            if match.matched.startswith("former_commune"):
                dispatcher.utter_message(
                    response="utter_commune_noted_former",
                    typed=text,
                    commune=match.name,
                    departement=self._departement_name(match.departement),
                )
            else:
                dispatcher.utter_message(
                    response="utter_commune_noted",
                    commune=match.name,
                    departement=self._departement_name(match.departement),
                )
            return {"commune": match.insee}
        if candidates:
            buttons = [
                button(
                    f"{m.name} ({self._departement_name(m.departement)})",
                    intent_payload("inform", commune=m.insee),
                )
                for m in candidates[:MAX_COMMUNE_BUTTONS]
            ]
            buttons.append(button("Une autre commune", intent_payload("inform", commune="autre")))
            dispatcher.utter_message(response="utter_commune_choose", typed=text, buttons=buttons)
            return {"commune": None, "commune_choices": [m.insee for m in candidates]}
        return self._outside_normandy(dispatcher, text)

    def _outside_normandy(self, dispatcher: CollectingDispatcher, text: str) -> dict[str, Any]:
        directories = [
            entry for entry in (self.kb.contact(i) for i in NATIONAL_DIRECTORIES) if entry
        ]
        lines = "\n".join(f"• {contact_entry_text(e)}" for e in directories)
        dispatcher.utter_message(
            response="utter_commune_outside_normandy", typed=text, directories=lines
        )
        return {"commune": None, "search_stopped": True}

    def _departement_name(self, code: str) -> str:
        departement = self.kb.departement(code)
        return departement.name if departement else code

    async def validate_age(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Digits from 11 to 99; a refusal is accepted and the age is no longer asked."""
        text = str(value or "").strip()
        if is_cancel(text):
            return self._stop(dispatcher, "age")
        age = parse_age(value)
        if is_valid_age(age):
            return {"age": age}
        if tracker.get_slot(REQUESTED_SLOT) != "age":
            return {"age": None}  # a number said in passing is no answer to a question
        if age is None and is_refusal(text, latest_intent(tracker)):
            dispatcher.utter_message(response="utter_age_declined")
            return {"age": None, "declined_criteria": self._declined(tracker, "age")}
        if times_asked(tracker, "age") < MAX_ASKS:
            dispatcher.utter_message(response="utter_age_invalid")  # then the question again
        return {"age": None}

    async def validate_situation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """One of the shared situation ids; a refusal is accepted like for the age."""
        text = str(value or "").strip()
        if text == PARENT:
            # « Je suis parent »: from now on « vous », and the situation asked is the child's.
            # An age given before was the parent's own, asked with « tu ».
            switch = {} if is_parent(tracker) else {"profile": PARENT, "age": None}
            return {"situation": None, **switch}
        if text == REFERENT and tracker.get_slot("profile") != PARENT:
            # « Je suis éducatrice »: a professional, spoken to with « vous » from the next
            # question on, like a referent whose structure is known (the routing keeps the
            # situation: the Agence is a referent's own interlocutor).
            return {"situation": REFERENT, "profile": REFERENT}
        if text in SITUATIONS:
            return {"situation": text}
        if is_cancel(text):
            return self._stop(dispatcher, "situation")
        if is_refusal(text, latest_intent(tracker)):
            return {"situation": None, "declined_criteria": self._declined(tracker, "situation")}
        # Said in passing ("je suis réfugié et…"): the question comes later, with its list.
        if (
            tracker.get_slot(REQUESTED_SLOT) == "situation"
            and times_asked(tracker, "situation") < MAX_ASKS
        ):
            dispatcher.utter_message(response="utter_situation_invalid")
        return {"situation": None}

    async def validate_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """One of the shared needs (set from the intent of the question)."""
        if is_cancel(str(value or "")):
            return self._stop(dispatcher, "topic")
        return {"topic": value if value in NEEDS else None}

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType:
        """Always say which slot comes next (rasa_sdk leaves it to Rasa when the lists match)."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        missing = (slot for slot in required if tracker.slots.get(slot) is None)
        return SlotSet(REQUESTED_SLOT, next(missing, None))

    def _need_is_moot(self, tracker: Tracker) -> bool:
        """Whether a rule for every need already fits what the person said (age, situation)."""
        return self.kb.answers_every_need(known_age(tracker), known_situation(tracker))

    def _criteria(self, tracker: Tracker, needed: list[str] | tuple[str, ...]) -> list[str]:
        declined = tracker.get_slot("declined_criteria") or []
        return [c for c in CRITERIA if c in needed and c not in declined]

    # --- never a third time ---------------------------------------------------------------

    async def validate_turn(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The stock validation, then: a question already asked twice in a row is dropped.

        Before it, a professional who names their workplace in the message (« je suis
        animateur au PIJ de Lisieux, vers qui orienter un jeune ? ») becomes a referent, spoken
        to with « vous » in this very answer.
        """
        named: list[EventType] = []
        if not is_parent(tracker) and not is_referent(tracker):
            _match, named = structure_named(self.kb, tracker)
            tracker.add_slots(named)
        events = named + await super().validate_turn(dispatcher, tracker, domain)
        for _ in range(len(PERSON_SLOTS) + 2):  # each slot is given up at most once
            asked = next(
                (e.get("value") for e in reversed(events) if e.get("name") == REQUESTED_SLOT),
                tracker.get_slot(REQUESTED_SLOT),
            )
            if asked is None or times_asked(tracker, asked) < MAX_ASKS:
                break
            if any(e.get("name") == "commune_choices" and e.get("value") for e in events):
                break  # the buttons just shown are a new question, not the same one again
            given_up = [SlotSet(k, v) for k, v in self._give_up(dispatcher, tracker, asked).items()]
            tracker.add_slots(given_up)
            # Rasa asks for the first requested slot it finds in the events: only the new one.
            events = [e for e in events if e.get("name") != REQUESTED_SLOT] + given_up
            events.append(await self.next_requested_slot(dispatcher, tracker, domain))
        return events

    def _give_up(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str
    ) -> dict[str, Any]:
        """Go on without ``slot``: skip a criterion, assume the general need, or stop."""
        if slot in SKIPPABLE:
            dispatcher.utter_message(response="utter_move_on")
            return {slot: None, "declined_criteria": self._declined(tracker, slot)}
        if slot == "topic":
            return {"topic": GENERAL_NEED}
        if slot == "commune":
            # Without a commune there is no nearest place: the free line, and the form ends.
            dispatcher.utter_message(
                response="utter_commune_declined", parcours_metiers=parcours_metiers_text()
            )
            return {"commune": None, "search_stopped": True}
        return self._stop(dispatcher, slot)


class ValidateContactForm(ProfileValidation):
    """``contact_form``: topic, commune, then the age and situation the routing rules need."""

    def name(self) -> str:
        return "validate_contact_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The commune, and the need, age and situation only while they can change the answer.

        The need is not asked when a rule for every need already fits the person (a
        17-year-old who left school: Mission Locale and E2C); the age is asked if a routing
        rule that can still apply depends on it, the situation only while nothing picks the
        person out (``KnowledgeBase.worth_asking``): otherwise the answer comes at once, with
        the situation's extras as conditional lines. Criteria already given stay in the list,
        so that their raw values are validated.
        """
        if tracker.get_slot("search_stopped"):
            return []
        if requested_kind(tracker) is not None:
            # A kind of structure named: its office for the commune, whoever asks and whatever
            # for; the need, age and situation would not change it.
            return ["commune"]
        topic = tracker.get_slot("topic")
        if topic not in NEEDS:
            if not self._need_is_moot(tracker):
                return ["topic", "commune"]
            topic = GENERAL_NEED  # extract_topic fills it
        declined = tracker.get_slot("declined_criteria") or []
        still_open = self.kb.worth_asking(
            topic, known_age(tracker), known_situation(tracker), unknowable=declined
        )
        given = [c for c in CRITERIA if tracker.get_slot(c) is not None]
        return ["topic", "commune", *self._criteria(tracker, [*still_open, *given])]


class ValidateEligibilityForm(ProfileValidation):
    """``eligibility_form``: the scheme, then whatever its conditions still miss."""

    def name(self) -> str:
        return "validate_eligibility_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The scheme, then the commune and age ``check_eligibility`` reports missing (not
        declined); never the situation, which the answer gives as a condition instead."""
        if tracker.get_slot("search_stopped"):
            return []
        scheme = self.kb.get_scheme(tracker.get_slot("scheme") or "")
        if scheme is None:
            return ["scheme"]
        check = self.kb.check_eligibility(
            scheme,
            age=known_age(tracker),
            situation=known_situation(tracker),
            commune=tracker.get_slot("commune"),
        )
        # Criteria already given stay in the list, so that their raw values are validated.
        given = [c for c in PERSON_SLOTS if tracker.get_slot(c) is not None]
        if check.status == "no":
            return ["scheme", *given]  # already a no (« 28 ans » for Atouts): nothing to ask
        # The situation is not asked: the answer says which situations the scheme is for.
        missing = [m for m in check.missing if m in PERSON_SLOTS and m != "situation"]
        declined = tracker.get_slot("declined_criteria") or []
        return ["scheme", *given, *[m for m in missing if m not in declined and m not in given]]

    async def extract_scheme(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A scheme the base knows among those the message names (the slot holds the last
        one, maybe a stray word), or the answer to "de quel dispositif parles-tu ?" when the NLU
        found none in it."""
        if self.kb.get_scheme(tracker.get_slot("scheme") or "") is None:
            named = entity_values(tracker, "scheme")
            known = next((v for v in named if self.kb.get_scheme(v) is not None), None)
            if known is not None:
                return {"scheme": known}
        return self._free_answer(tracker, "scheme")

    async def validate_scheme(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A known scheme id or alias; otherwise the closest schemes as buttons."""
        text = str(value or "").strip()
        if is_cancel(text):
            return self._stop(dispatcher, "scheme")
        scheme = self.kb.get_scheme(text)
        if scheme is not None:
            ages = ages_text(scheme.audience)
            if ages and known_age(tracker) is None:
                # The age is asked next: first the condition it is checked against, which is
                # also the answer to « quelles sont les conditions d'âge pour… ? ».
                dispatcher.utter_message(text=f"{scheme.name} est pour les jeunes {ages}.")
            return {"scheme": scheme.id}
        # The buttons restart the question with a known scheme; asking again in the form would
        # loop on the same unknown name.
        offer_closest_schemes(self.kb, dispatcher, text, intent="ask_eligibility")
        return {"scheme": None, "search_stopped": True}


class ActionAskCommune(BoussoleAction):
    """The forms' question for the commune, unless the choices were just shown as buttons."""

    def name(self) -> str:
        return "action_ask_commune"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("commune_choices"):
            # "Laquelle est la tienne ?" with the buttons is the question: asking again would
            # read as if the answer had been ignored.
            return [SlotSet("commune_choices", None)]
        dispatcher.utter_message(response="utter_ask_commune")
        return []
