"""Sending each person to the right local interlocutor, and to a human when they ask."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import BoussoleAction
from actions.render import (
    PARCOURS_METIERS,
    button,
    contact_entry_text,
    operator_card,
    parcours_metiers_text,
    value,
)
from actions.understanding import is_referent, known_age


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
        contacts = self.kb.find_contacts(
            commune.insee,
            tracker.get_slot("topic") or "orientation",
            age=known_age(tracker),
            situation=tracker.get_slot("situation"),
        )
        referent = is_referent(tracker)
        dispatcher.utter_message(response="utter_contacts_intro", commune=commune.name)
        gave_parcours_metiers = False
        for contact in contacts:
            line = value(contact, "line")
            if line is not None and value(line, "id") == PARCOURS_METIERS:
                gave_parcours_metiers = True
            if value(line, "id") == PARCOURS_METIERS and value(contact.operator, "type") == "aom":
                # The Parcours Métiers rule points to the line itself, not to an office.
                dispatcher.utter_message(
                    response="utter_second_door", parcours_metiers=contact_entry_text(line)
                )
                continue
            card = operator_card(contact.operator, contact.reason, self._town(contact.operator))
            if line is not None:
                card += "\n" + contact_entry_text(line)  # "Ligne … : 0 800 …", labelled already
            if referent:
                card += "\n" + professional_details(contact.operator)
            dispatcher.utter_message(text=card)
        if not gave_parcours_metiers:
            dispatcher.utter_message(
                response="utter_second_door", parcours_metiers=parcours_metiers_text()
            )
        dispatcher.utter_message(
            response="utter_after_contacts",
            buttons=[
                button("Ai-je droit à un dispositif ?", "/ask_eligibility"),
                button("Les prochains événements", "/ask_events"),
                button("Chercher pour une autre commune", '/inform{"commune":"autre"}'),
            ],
        )
        return []

    def _town(self, operator: Any) -> str | None:
        insee = value(operator, "commune")
        commune = self.kb.commune(insee) if insee else None
        return commune.name if commune else None


class ActionRequestHuman(BoussoleAction):
    """ "Je veux parler à quelqu'un": the free Parcours Métiers line and the local search."""

    def name(self) -> str:
        return "action_request_human"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_human_contact",
            parcours_metiers=parcours_metiers_text(),
            buttons=[button("Trouver un lieu près de chez moi", "/find_local_contact")],
        )
        return []
