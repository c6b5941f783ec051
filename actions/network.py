"""For referents of partner structures: the réseau de proximité and their AOM interlocutor."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import BoussoleAction
from actions.render import PARCOURS_METIERS, contact_entry, contact_entry_text

AOM_CONTACT = PARCOURS_METIERS  # the agency's free line: its advisers know the interlocutors


class ActionNetwork(BoussoleAction):
    """The charter's reciprocal commitments, the totem and the tools; the partner's own plan."""

    def name(self) -> str:
        return "action_network"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_network_charter")
        partner_id = tracker.get_slot("partner")
        partner = self.kb.partner(partner_id) if partner_id else None
        if partner is not None:
            lines = [f"Pour {partner.structure or partner.name} :"]
            if partner.charter_signed:
                lines.append(f"• charte signée le {partner.charter_signed.strftime('%d/%m/%Y')}")
            lines += [f"• {action}" for action in partner.planned_actions]
            dispatcher.utter_message(text="\n".join(lines))
        return []


class ActionAgencyContact(BoussoleAction):
    """The referent's interlocutor at the AOM, from their partner structure's charter."""

    def name(self) -> str:
        return "action_agency_contact"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        partner_id = tracker.get_slot("partner")
        partner = self.kb.partner(partner_id) if partner_id else None
        person = partner.aom_interlocutor if partner is not None else None
        if person is not None and person.name:
            dispatcher.utter_message(
                response="utter_agency_interlocutor",
                structure=partner.structure or partner.name,
                name=person.name,
                role=person.role or "interlocutrice ou interlocuteur de l'Agence",
            )
            return []
        aom = contact_entry(AOM_CONTACT)
        dispatcher.utter_message(
            response="utter_agency_interlocutor_unknown",
            aom=contact_entry_text(aom) if aom else "",
        )
        return []
