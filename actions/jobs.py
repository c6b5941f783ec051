"""Jobs (métiers): what the job is, how to get there, and the schemes that lead to it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import BoussoleAction
from actions.render import button, intent_payload
from actions.understanding import latest_text
from knowledge.text import fold

# The AOM's offers to discover jobs (scheme ids of the shared vocabulary).
DISCOVERY_SCHEMES = ("destination_metier", "parcours_metiers", "salon_orientation")


def names_job(job: Any, wanted: str) -> bool:
    """Whether ``wanted`` names ``job`` (its name or an alias, typos aside from accents/case)."""
    folded = fold(wanted)
    names = [fold(job.name), *(fold(a) for a in job.aliases)]
    return any(folded == n or folded in n.split(" ") or n in folded for n in names)


class ActionJobInfo(BoussoleAction):
    """A job from the catalogue; an unknown one gets the closest jobs and discovery offers."""

    def name(self) -> str:
        return "action_job_info"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        wanted = next(
            (
                e.get("value")
                for e in tracker.latest_message.get("entities", [])
                if e.get("entity") == "job"
            ),
            None,
        ) or tracker.get_slot("job")
        query = str(wanted or latest_text(tracker))
        jobs = self.kb.search_jobs(query, limit=5) if query else []
        if wanted and jobs and names_job(jobs[0], str(wanted)):
            return self._describe(dispatcher, jobs[0])
        discovery = [s for s in (self.kb.get_scheme(i) for i in DISCOVERY_SCHEMES) if s]
        buttons = [button(j.name, intent_payload("ask_job_info", job=j.name)) for j in jobs[:4]]
        buttons += [
            button(s.name, intent_payload("ask_scheme_info", scheme=s.id)) for s in discovery
        ]
        dispatcher.utter_message(
            response="utter_job_unknown" if wanted else "utter_job_which", buttons=buttons
        )
        return [SlotSet("topic", "metiers")]

    def _describe(self, dispatcher: CollectingDispatcher, job: Any) -> list[EventType]:
        lines = [f"{job.name} ({job.sector})" if job.sector else job.name, job.description]
        if job.training_routes:
            lines.append("Pour y arriver :")
            lines += [f"• {route}" for route in job.training_routes]
        schemes = [s for s in (self.kb.get_scheme(i) for i in job.related_schemes) if s]
        buttons = [button(s.name, intent_payload("ask_scheme_info", scheme=s.id)) for s in schemes]
        buttons.append(button("Qui contacter pour en parler ?", "/find_local_contact"))
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return [SlotSet("job", job.name), SlotSet("topic", "metiers")]
