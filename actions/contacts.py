"""Sending each person to the right local interlocutor, and to a human when they ask."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import BoussoleAction
from actions.forms import requested_kind
from actions.render import (
    DIRECTORY,
    KINDS,
    OPERATOR_TYPE_LABELS,
    PARCOURS_METIERS,
    button,
    contact_entry,
    contact_entry_text,
    operator_card,
    parcours_metiers_text,
    value,
)
from actions.understanding import known_age, known_situation, voice
from knowledge.voice import PARENT, REFERENT, Words

# How the office was chosen (knowledge.models.Contact.match), said under its card; {area} is the
# person's intercommunalité or département (AREA). A head office is never given as if it were
# the local office.
WHERE_TEXT = {
    "nearest": "c'est le lieu le plus proche de {commune} que nous connaissons, à environ {km} km.",
    "epci": (
        "ce lieu est dans {area} ; nos données ne disent pas encore s'il est le plus proche de "
        "{commune}."
    ),
    "departement": (
        "ce lieu est dans {area} ; nos données ne disent pas encore s'il est le plus proche de "
        "{commune}."
    ),
    "head_office": (
        "c'est le siège de {structure} qui couvre {commune}{far} ; l'antenne la plus proche "
        "n'est pas encore dans nos données. {directory}"
    ),
    "directory": (
        "nous n'avons pas encore l'adresse du lieu le plus proche de {commune}. {directory}"
    ),
}
AREA = {
    "epci": Words(
        "ton intercommunalité", "votre intercommunalité", "la même intercommunalité que {commune}"
    ),
    "departement": Words(
        "ton département", "votre département", "le même département que {commune}"
    ),
}
# Before the conditional lines: what else would suit the person, depending on a situation they
# have not said (issue 11: answer with what is known rather than ask).
DEPENDING_ON_SITUATION = Words(
    "Selon ta situation, d'autres lieux peuvent aussi t'aider :",
    "Selon la situation de votre enfant, d'autres structures peuvent aussi l'aider :",
    "Selon la situation de la personne que vous accompagnez, d'autres structures peuvent aussi "
    "l'aider :",
)


def where_text(contact: Any, commune: str, said_to: str, directory: str) -> str | None:
    """How the office of ``contact`` was chosen for ``commune``, or None when it serves it;
    said to ``said_to`` (a voice of knowledge/voice.py)."""
    match = value(contact, "match")
    template = WHERE_TEXT.get(match)
    if template is None:
        return None
    km = value(contact, "distance_km")
    about = max(1, round(km)) if km is not None else None
    area = AREA.get(match)
    text = template.format(
        commune=commune,
        area=area.to(said_to, commune=commune) if area else "",
        structure=OPERATOR_TYPE_LABELS.get(
            value(value(contact, "operator"), "type"), "la structure"
        ),
        km=about,
        far=f", à environ {about} km" if about else "",
        directory=directory,
    ).strip()
    return text[0].upper() + text[1:]


def _directory_sentence(directory: str = DIRECTORY) -> str:
    """Where to look an office up: the official directory of contacts.yml (never code)."""
    site = value(contact_entry(directory, safe=True), "website")
    return f"L'annuaire officiel donne les adresses et les horaires : {site}" if site else ""


def _coverage_text(operator: Any) -> str:
    coverage = value(operator, "coverage")
    parts = []
    if value(coverage, "region"):
        parts.append("toute la Normandie")
    departements = value(coverage, "departements") or ()
    if departements:
        parts.append("départements " + ", ".join(departements))
    communes = value(coverage, "communes") or ()
    if communes:
        parts.append(f"{len(communes)} communes")
    epcis = value(coverage, "epcis") or ()
    if epcis:
        parts.append(f"{len(epcis)} intercommunalités")
    return " ; ".join(parts) or "non précisée"


def professional_details(operator: Any) -> str:
    """What a referent needs beyond the address: public, coverage, when it was last checked."""
    publics = value(operator, "publics")
    ages = ""
    if value(publics, "age_min") or value(publics, "age_max"):
        ages = f"{value(publics, 'age_min') or '…'}–{value(publics, 'age_max') or '…'} ans"
    verified = value(operator, "last_verified")
    lines = [
        f"Public : {ages or 'tous âges'}",
        f"Couverture : {_coverage_text(operator)}",
        f"Dernière vérification : {verified.strftime('%d/%m/%Y') if verified else 'inconnue'}"
        + (" (à revérifier)" if value(operator, "to_verify") else ""),
    ]
    return "\n".join(lines)


def conditional_text(groups: Any, said_to: str, town: Any) -> str:
    """The conditional lines (knowledge ``ConditionalContacts``) under their introduction:
    « • Si tu es au lycée : CIO (https://…) ». Each office with its town when it is a local
    one, and its phone, else its website; ``town(operator)`` gives the town's name."""
    lines = [DEPENDING_ON_SITUATION.to(said_to)]
    for group in groups:
        offices = []
        for contact in value(group, "contacts"):
            op = value(contact, "operator")
            where = town(op) if value(contact, "match") in ("serves", "nearest") else None
            reach = value(op, "phone") or value(op, "website")
            label = value(op, "name") + (f" à {where}" if where else "")
            offices.append(f"{label} ({reach})" if reach else label)
        lines.append(f"• {value(group, 'condition')} : {' ; '.join(offices)}")
    return "\n".join(lines)


class ActionFindContacts(BoussoleAction):
    """The answer of ``contact_form``: who to contact, where, and why it fits."""

    def name(self) -> str:
        return "action_find_contacts"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("search_stopped"):
            # The form was stopped ("stop", commune outside Normandy) and already said why.
            return [SlotSet("search_stopped", None)]
        insee = tracker.get_slot("commune")
        commune = self.kb.commune(insee) if insee else None
        if commune is None:
            dispatcher.utter_message(response="utter_ask_commune")
            return []
        said_to = voice(tracker)
        kind = requested_kind(tracker)
        if kind is not None:
            self._answer_kind(dispatcher, kind, commune, said_to)
            return []
        # A kind asked before, then a topical question (« et pour une formation ? »): all kinds.
        forget = [SlotSet("operator_type", None)] if tracker.get_slot("operator_type") else []
        situation = known_situation(tracker)
        situation = None if situation == PARENT else situation
        # A parent is routed on the child's age and situation; parents and referents are spoken
        # to with « vous ».
        need = tracker.get_slot("topic") or "orientation"
        age = known_age(tracker)
        contacts = self.kb.find_contacts(
            commune.insee, need, age=age, situation=situation, voice=said_to
        )
        # The young person's situation unknown (a referent's is their own): what else would
        # suit them, said as « Si tu es… » lines rather than asked.
        extras = (
            self.kb.conditional_contacts(commune.insee, need, age, contacts, voice=said_to)
            if situation in (None, REFERENT)
            else []
        )
        directory = _directory_sentence()
        dispatcher.utter_message(response="utter_contacts_intro", commune=commune.name)
        line_on_a_card = False  # the Parcours Métiers line came with an office's card
        door_rule = False  # a rule gives the line itself
        second_door = parcours_metiers_text()
        for contact in contacts:
            line = value(contact, "line")
            if value(line, "id") == PARCOURS_METIERS:
                if value(contact.operator, "type") == "aom":
                    # The Parcours Métiers rule points to the line itself, not to an office:
                    # said last, after the conditional lines.
                    second_door, door_rule = contact_entry_text(line), True
                    continue
                line_on_a_card = True
            card = operator_card(
                contact.operator,
                contact.reason,
                self._town(contact.operator),
                where_text(contact, commune.name, said_to, directory),
                said_to,
            )
            if line is not None:
                card += "\n" + contact_entry_text(line)  # "Ligne … : 0 800 …", labelled already
            if said_to == REFERENT:
                card += "\n" + professional_details(contact.operator)
            dispatcher.utter_message(text=card)
        if extras:
            dispatcher.utter_message(text=conditional_text(extras, said_to, self._town))
        if door_rule or not line_on_a_card:
            dispatcher.utter_message(response="utter_second_door", parcours_metiers=second_door)
        dispatcher.utter_message(
            response="utter_after_contacts",
            buttons=[
                button("Ai-je droit à un dispositif ?", "/ask_eligibility"),
                button("Les prochains événements", "/ask_events"),
                button("Chercher pour une autre commune", '/inform{"commune":"autre"}'),
            ],
        )
        return forget

    def _answer_kind(
        self, dispatcher: CollectingDispatcher, kind: str, commune: Any, said_to: str
    ) -> None:
        """The office of ``kind`` covering ``commune`` and its details from the data, whatever
        the need, age or situation; when the data has none, said so with the official
        directory. The kind is kept: « une autre commune » gets the same kind."""
        name, of_kind, directory_id = KINDS[kind]
        directory = _directory_sentence(directory_id)
        located = self.kb.locate(kind, commune.insee)
        match = value(located, "match")
        if located is None or match in ("directory", "region"):
            dispatcher.utter_message(
                response="utter_kind_not_known", of_kind=of_kind, commune=commune.name
            )
            if located is not None:
                # The region-wide entry of the kind: its network's site, then the directory.
                dispatcher.utter_message(
                    text=operator_card(located.operator, None, None, None, said_to)
                )
            if directory:
                dispatcher.utter_message(text=directory)
        else:
            dispatcher.utter_message(response="utter_kind_found", kind=name, commune=commune.name)
            card = operator_card(
                located.operator,
                None,
                self._town(located.operator),
                where_text(located, commune.name, said_to, directory),
                said_to,
            )
            if said_to == REFERENT:
                card += "\n" + professional_details(located.operator)
            dispatcher.utter_message(text=card)
        dispatcher.utter_message(
            response="utter_after_contacts",
            buttons=[
                button("Chercher pour une autre commune", '/inform{"commune":"autre"}'),
                button("Ai-je droit à un dispositif ?", "/ask_eligibility"),
            ],
        )

    def _town(self, operator: Any) -> str | None:
        insee = value(operator, "commune")
        commune = self.kb.commune(insee) if insee else None
        return commune.name if commune else None
