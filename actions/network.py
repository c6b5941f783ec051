"""For referents of partner structures: who they are, the réseau de proximité, their AOM contact.

A professional may name their structure in any message (« je suis référente à Rouen Info
Jeunes, qui est notre interlocutrice à l'Agence ? »). The structure is matched against the
knowledge base (``KnowledgeBase.find_structure``) and the referent profile then applies as it
does from the widget's metadata: slots ``profile`` (referent) and ``partner`` (a partners.yml
id), plus ``structure`` (the name, to speak of it later). Professionals are spoken to with
« vous ». A structure Boussole does not know gets the Agence's own contact, from the data.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import BoussoleAction
from actions.render import WEBSITE, detail, parcours_metiers_text
from actions.understanding import structure_named

AOM_OPERATOR = "aom"  # the Agence's entry in knowledge/data/operators/aom.yml
REFERENT = "referent"


def agency_contact_text(kb: Any) -> str:
    """How to reach the Agence itself: its site (operator ``aom``) and the free Parcours Métiers
    line. Never empty: the line's text has a fallback even when the base cannot say its number."""
    lines = []
    aom = kb.operator(AOM_OPERATOR)
    if aom is not None:
        lines.append(aom.name)
        lines += [detail(label, text) for label, text in ((WEBSITE, aom.website),) if text]
    lines.append(parcours_metiers_text())
    return "\n".join(lines)


class StructureAware(BoussoleAction):
    """An action that first reads the structure the person names in their last message."""

    def structure_events(self, tracker: Tracker) -> tuple[Any, list[EventType]]:
        """(the structure named in the last message or ``None``, the slots it sets)."""
        return structure_named(self.kb, tracker)

    def current_partner(self, tracker: Tracker, match: Any) -> Any:
        """The partner named now, else the one the conversation already knows."""
        if match is not None:
            return match.partner
        partner_id = tracker.get_slot("partner")
        return self.kb.partner(partner_id) if partner_id else None


class ActionNetwork(StructureAware):
    """The charter's reciprocal commitments, the totem and the tools; the partner's own plan."""

    def name(self) -> str:
        return "action_network"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        match, events = self.structure_events(tracker)
        dispatcher.utter_message(response="utter_network_charter")
        partner = self.current_partner(tracker, match)
        if partner is not None:
            lines = [f"Pour {partner.structure or partner.name} :"]
            if partner.charter_signed:
                lines.append(f"• charte signée le {partner.charter_signed.strftime('%d/%m/%Y')}")
            lines += [f"• {action}" for action in partner.planned_actions]
            dispatcher.utter_message(text="\n".join(lines))
        return events


class ActionAgencyContact(StructureAware):
    """The referent's interlocutor at the AOM, from their partner structure's charter.

    Also the answer to a professional who only presents their structure (« je travaille à Rouen
    Info Jeunes »): their interlocutor is the first thing a referent needs.
    """

    def name(self) -> str:
        return "action_agency_contact"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        match, events = self.structure_events(tracker)
        partner = self.current_partner(tracker, match)
        person = partner.aom_interlocutor if partner is not None else None
        if person is not None and person.name:
            dispatcher.utter_message(
                response="utter_agency_interlocutor",
                structure=partner.structure or partner.name,
                name=person.name,
                role=person.role or "interlocutrice ou interlocuteur de l'Agence",
            )
            return events
        aom = agency_contact_text(self.kb)
        if match is not None and not match.known:
            dispatcher.utter_message(
                response="utter_agency_interlocutor_unknown_structure", typed=match.typed, aom=aom
            )
            return events
        structure = (
            match.name
            if match is not None
            else partner.name
            if partner is not None
            else tracker.get_slot("structure")
        )
        if structure:
            dispatcher.utter_message(
                response="utter_agency_interlocutor_unknown", structure=structure, aom=aom
            )
        else:
            dispatcher.utter_message(response="utter_agency_interlocutor_which_structure", aom=aom)
        return events
