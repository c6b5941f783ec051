"""Upcoming events (salons, forums, open days), near the person's commune, soonest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import BoussoleAction
from actions.render import (
    MORE,
    PARCOURS_METIERS,
    button,
    contact_entry,
    contact_entry_text,
    detail,
)

# Where the agency publishes its programme: the Parcours Métiers line and the agency's site.
AGENDA = PARCOURS_METIERS
MAX_EVENTS = 5


def event_line(event, town: str | None) -> str:
    """ "• 12/03/2027 — Salon Studyrama, Caen (organisé par …)" and "En savoir plus : lien"."""
    when = event.start.strftime("%d/%m/%Y")
    if event.end and event.end != event.start:
        when += f" au {event.end.strftime('%d/%m/%Y')}"
    where = town or ("en ligne" if event.commune is None else "")
    line = f"• {when} — {event.title}" + (f", {where}" if where else "")
    if event.organiser:
        line += f" (organisé par {event.organiser})"
    if event.link:
        line += "\n  " + detail(MORE, event.link)
    return line


def recurring_line(event) -> str:
    """ "• Salon … : chaque année en février, à Caen ou à Rouen ; les dates … non publiées"."""
    line = f"• {event.title} : {event.when}, {event.where} ; {event.next_edition}."
    if event.link:
        line += "\n  " + detail(MORE, event.link)
    return line


class ActionEvents(BoussoleAction):
    """The next events near the commune in context (or all of Normandy), soonest first."""

    def __init__(self, today: Callable[[], dt.date] = dt.date.today) -> None:
        # The day is a parameter so that tests choose it from the data, not from the calendar.
        super().__init__()
        self.today = today

    def name(self) -> str:
        return "action_events"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        insee = tracker.get_slot("commune") or tracker.get_slot("partner_commune")
        commune = self.kb.commune(insee) if insee else None
        events = self.kb.upcoming_events(
            commune=commune.insee if commune else None, on=self.today(), limit=MAX_EVENTS
        )
        # Recurring events have no published date: said as such, never with a guessed one.
        recurring = [
            recurring_line(e)
            for e in self.kb.recurring_events(commune=commune.insee if commune else None)
        ]
        agenda = contact_entry(AGENDA)
        agenda_text = contact_entry_text(agenda) if agenda else ""
        if not events:
            if recurring:
                dispatcher.utter_message(
                    response="utter_events_recurring",
                    events="\n".join(recurring),
                    agenda=agenda_text,
                )
            else:
                dispatcher.utter_message(response="utter_no_events", agenda=agenda_text)
            return []
        lines = [event_line(e, self._town(e.commune)) for e in events]
        if recurring:
            lines += ["Ils reviennent aussi, sans date publiée pour l'instant :", *recurring]
        dispatcher.utter_message(
            response="utter_events_near" if commune else "utter_events_normandy",
            commune=commune.name if commune else "",
            events="\n".join(lines),
            agenda=agenda_text,
            buttons=[] if commune else [button("Près de chez moi", "/find_local_contact")],
        )
        return []

    def _town(self, insee: str | None) -> str | None:
        commune = self.kb.commune(insee) if insee else None
        return commune.name if commune else None
