"""Schemes (dispositifs): what they are, who they are for, whether they pay, and who confirms."""

from __future__ import annotations

from abc import ABC
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import BoussoleAction
from actions.render import (
    HOW_TO_APPLY,
    MORE,
    OPERATOR_TYPE_LABELS,
    button,
    detail,
    intent_payload,
    operator_types_text,
    parcours_metiers_text,
    value,
)
from actions.understanding import is_referent, known_age, known_situation, latest_text, voice
from knowledge.voice import Words

YOUTH_OFFER = "atouts_normandie"
# Whether the person is paid, said to them or about them (knowledge/voice.py).
PAID_DEPENDS = Words(
    "Oui, tu reçois de l'argent, le montant dépend de ta situation.",
    "Oui, votre enfant reçoit de l'argent, le montant dépend de sa situation.",
    "Oui, la personne que vous accompagnez reçoit de l'argent, le montant dépend de sa situation.",
)
NOT_PAID = Words(
    "Tu ne reçois pas d'argent avec ce dispositif, mais il est gratuit pour toi.",
    "Votre enfant ne reçoit pas d'argent avec ce dispositif, mais il est gratuit pour lui ou elle.",
    "La personne que vous accompagnez ne reçoit pas d'argent avec ce dispositif, mais il est "
    "gratuit pour elle.",
)
# The youth offer for the age the conversation knows.
YOUTH_OFFER_FITS = Words(
    "À {age} ans, tu peux en profiter.",
    "À {age} ans, votre enfant peut en profiter.",
    "À {age} ans, la personne que vous accompagnez peut en profiter.",
)
YOUTH_OFFER_TOO_OLD = Words(
    "À {age} ans, ce n'est malheureusement pas pour toi (c'est {ages}). Le Point Information "
    "Jeunesse peut te conseiller d'autres bons plans.",
    "À {age} ans, ce n'est malheureusement pas pour votre enfant (c'est {ages}). Le Point "
    "Information Jeunesse peut vous conseiller d'autres bons plans.",
    "À {age} ans, ce n'est malheureusement pas pour la personne que vous accompagnez (c'est "
    "{ages}). Le Point Information Jeunesse peut vous conseiller d'autres bons plans pour elle.",
)
ELIGIBILITY_LABELS = {
    "yes": "utter_eligibility_yes",
    "no": "utter_eligibility_no",
    "probably": "utter_eligibility_probably",
    "unknown": "utter_eligibility_unknown",
}


def offer_closest_schemes(kb: Any, dispatcher: CollectingDispatcher, text: str, intent: str):
    """Unknown scheme: the closest ones as buttons for ``intent``, or else a human to ask."""
    closest = kb.search_schemes(text, limit=5) if text else []
    if not closest:
        dispatcher.utter_message(
            response="utter_scheme_not_found", parcours_metiers=parcours_metiers_text()
        )
        return
    buttons = [button(s.name, intent_payload(intent, scheme=s.id)) for s in closest]
    dispatcher.utter_message(response="utter_scheme_unknown", buttons=buttons)


# How an office was chosen (knowledge Contact.match) when it is a real place near the person,
# not the region-wide entry that points to the directory.
_LOCAL_MATCHES = ("serves", "nearest", "epci", "departement", "head_office")


def local_offices(kb: Any, types: Any, insee: str | None) -> dict[str, Any]:
    """Operator type → the office of that type for the commune ``insee``, for the types whose
    office near the person the base knows (``{}`` without a commune)."""
    if not insee or kb.commune(insee) is None:
        return {}
    found = {}
    for op_type in types or ():
        located = kb.locate(op_type, insee)
        if located is not None and located.match in _LOCAL_MATCHES:
            found[op_type] = located.operator
    return found


def confirm_with_text(kb: Any, types: Any, insee: str | None) -> str:
    """ "l'EPIDE ou la Mission Locale (Mission Locale Cherbourg)": who confirms, each type with
    its office for the person's commune when the base knows it."""
    offices = local_offices(kb, types, insee)
    labels = []
    for op_type in types or ():
        label = OPERATOR_TYPE_LABELS.get(op_type, op_type)
        office = offices.get(op_type)
        labels.append(f"{label} ({office.name})" if office is not None else label)
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " ou " + labels[-1]


def ages_text(audience: Any) -> str:
    """ "de 16 à 25 ans", "à partir de 18 ans", "" (no age limit)."""
    low, high = value(audience, "age_min"), value(audience, "age_max")
    if low and high:
        return f"de {low} à {high} ans"
    if low:
        return f"à partir de {low} ans"
    if high:
        return f"jusqu'à {high} ans"
    return ""


def money_text(scheme: Any, said_to: str) -> str:
    """Whether the person is paid, and how much, exactly as far as the data says; said to
    ``said_to`` (a voice of knowledge/voice.py)."""
    money = value(scheme, "money")
    paid, amount = value(money, "paid"), value(money, "amount")
    if paid is True:
        return (
            f"Oui, il y a de l'argent à la clé : {amount}." if amount else PAID_DEPENDS.to(said_to)
        )
    if paid is False:
        return NOT_PAID.to(said_to)
    return "Je n'ai pas d'information fiable sur une rémunération pour ce dispositif."


def scheme_details_for_referents(scheme: Any) -> str:
    """Conditions, operators and verification date, for referents of partner structures."""
    audience = value(scheme, "audience")
    situations = ", ".join(value(audience, "situations") or ()) or "toutes"
    residence = ", ".join(value(audience, "residence") or ()) or "non précisée"
    verified = value(scheme, "last_verified")
    lines = [
        "Pour les professionnels :",
        f"• Âge : {ages_text(audience) or 'sans condition d’âge'}",
        f"• Situations : {situations} ; résidence : {residence}",
        f"• Opérateurs : {operator_types_text(value(scheme, 'operator_types')) or 'non précisés'}",
        f"• Source : {value(scheme, 'source') or 'non précisée'}",
        "• Dernière vérification : "
        + (verified.strftime("%d/%m/%Y") if verified else "inconnue")
        + (" (à revérifier)" if value(scheme, "to_verify") else ""),
    ]
    return "\n".join(lines)


class SchemeAction(BoussoleAction, ABC):
    """Actions about the scheme in context (entity of this message, or the ``scheme`` slot)."""

    @staticmethod
    def context_events(tracker: Tracker, scheme: Any, default_topic: str | None = None):
        """Keep the scheme in context, and give the contact search that may follow a topic."""
        events: list[EventType] = [SlotSet("scheme", scheme.id)]
        topic = scheme.themes[0] if scheme.themes else default_topic
        if topic and not tracker.get_slot("topic"):
            events.append(SlotSet("topic", topic))
        return events

    def scheme_in_context(self, tracker: Tracker) -> tuple[Any, str | None]:
        """(scheme or None, the name the person used if it is unknown).

        The first scheme the message names that the base knows (the NLU may also tag a stray
        word: « la carte atouts normandie » gives « carte » and « atouts_normandie »), else the
        one in context.
        """
        mentioned = [
            str(e.get("value"))
            for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == "scheme" and e.get("value")
        ]
        for wanted in [*mentioned, tracker.get_slot("scheme")]:
            scheme = self.kb.get_scheme(str(wanted)) if wanted else None
            if scheme is not None:
                return scheme, None
        unknown = mentioned[0] if mentioned else tracker.get_slot("scheme")
        return None, (str(unknown) if unknown else None)


class ActionSchemeInfo(SchemeAction):
    """What a named scheme is, for whom, how to apply, with its link and "qui contacter ?"."""

    def name(self) -> str:
        return "action_scheme_info"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        scheme, unknown = self.scheme_in_context(tracker)
        if scheme is None:
            if unknown or latest_text(tracker):
                offer_closest_schemes(
                    self.kb, dispatcher, unknown or latest_text(tracker), "ask_scheme_info"
                )
            else:
                dispatcher.utter_message(response="utter_ask_scheme")
            # An unknown name must not stay in context for the next questions.
            return [SlotSet("scheme", None)]
        parts = [f"{scheme.name} : {scheme.summary}".strip()]
        ages = ages_text(scheme.audience)
        if ages:
            parts.append(f"C'est pour les jeunes {ages}.")
        parts += _how_to_apply(scheme, tracker)
        insee = tracker.get_slot("commune")
        offices = local_offices(self.kb, scheme.operator_types, insee)
        if offices:
            # The commune is known: where to go for it, not only which kind of structure.
            names = ", ".join(dict.fromkeys(op.name for op in offices.values()))
            parts.append(f"Pour {self.kb.commune(insee).name} : {names}.")
        dispatcher.utter_message(
            text="\n".join(parts),
            buttons=[
                button("Qui contacter ?", "/find_local_contact"),
                button("J'y ai droit ?", intent_payload("ask_eligibility", scheme=scheme.id)),
                button("Est-ce payé ?", intent_payload("ask_funding", scheme=scheme.id)),
            ],
        )
        return self.context_events(tracker, scheme)


class ActionCheckEligibility(SchemeAction):
    """After ``eligibility_form``: yes / no / probably, the reasons, and who can confirm."""

    def name(self) -> str:
        return "action_check_eligibility"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("search_stopped"):
            return [SlotSet("search_stopped", None)]
        scheme, _unknown = self.scheme_in_context(tracker)
        if scheme is None:
            dispatcher.utter_message(response="utter_ask_scheme")
            return []
        check = self.kb.check_eligibility(
            scheme,
            age=known_age(tracker),
            situation=known_situation(tracker),
            commune=tracker.get_slot("commune"),
            voice=voice(tracker),
        )
        reasons = "\n".join(f"• {r}" for r in check.reasons)
        dispatcher.utter_message(
            response=ELIGIBILITY_LABELS.get(check.status, "utter_eligibility_unknown"),
            scheme=scheme.name,
            reasons=reasons,
        )
        confirm = confirm_with_text(self.kb, check.confirm_with, tracker.get_slot("commune"))
        if confirm:
            dispatcher.utter_message(
                response="utter_eligibility_confirm_with",
                operators=confirm,
                buttons=[button("Qui contacter près de chez moi ?", "/find_local_contact")],
            )
        return self.context_events(tracker, scheme)


class ActionFunding(SchemeAction):
    """ "Est-ce que je suis payé ?": from the scheme's money block, never more than it says."""

    def name(self) -> str:
        return "action_funding"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        scheme, unknown = self.scheme_in_context(tracker)
        if scheme is None:
            text = unknown or latest_text(tracker)
            closest = self.kb.search_schemes(text, limit=4) if text else []
            dispatcher.utter_message(
                response="utter_funding_which_scheme",
                buttons=[
                    button(s.name, intent_payload("ask_funding", scheme=s.id)) for s in closest
                ],
            )
            events: list[EventType] = [SlotSet("scheme", None)]
            if not tracker.get_slot("topic"):
                # Being paid while training: a contact search that follows is about training.
                events.append(SlotSet("topic", "formation"))
            return events
        dispatcher.utter_message(
            text=f"{scheme.name}\n{money_text(scheme, voice(tracker))}",
            buttons=[button("Qui contacter ?", "/find_local_contact")],
        )
        return self.context_events(tracker, scheme, default_topic="formation")


class ActionYouthOffer(SchemeAction):
    """The Région's youth offer (Atouts Normandie), with the age check when the age is known."""

    def name(self) -> str:
        return "action_youth_offer"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        scheme = self.kb.get_scheme(YOUTH_OFFER)
        if scheme is None:
            raise LookupError(f"schemes.yml has no {YOUTH_OFFER!r}")
        lines = [f"{scheme.name} : {scheme.summary}".strip()]
        age = known_age(tracker)
        if age is not None:
            check = self.kb.check_eligibility(scheme, age=age, commune=tracker.get_slot("commune"))
            status = {"yes": YOUTH_OFFER_FITS, "no": YOUTH_OFFER_TOO_OLD}.get(check.status)
            if status:
                lines.append(status.to(voice(tracker), age=age, ages=ages_text(scheme.audience)))
        elif ages_text(scheme.audience):
            lines.append(f"C'est pour les jeunes {ages_text(scheme.audience)}.")
        lines += _how_to_apply(scheme, tracker)
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[
                button("Qui contacter près de chez moi ?", "/find_local_contact"),
                button("Les prochains événements", "/ask_events"),
            ],
        )
        return [SlotSet("scheme", scheme.id), SlotSet("topic", "jeunesse")]


def _how_to_apply(scheme, tracker: Tracker) -> list[str]:
    """How to apply, the link and, for referents, the professional details of ``scheme``."""
    lines = []
    if scheme.how_to_apply:
        lines.append(detail(HOW_TO_APPLY, scheme.how_to_apply))
    if scheme.link:
        lines.append(detail(MORE, scheme.link))
    if is_referent(tracker):
        lines.append(scheme_details_for_referents(scheme))
    return lines
