"""Answers that never depend on the action server, made from contacts.yml alone.

Distress and « parler à quelqu'un » are words and phone lines that must reach the person whatever
is down. They are written once, in
``knowledge/data/contacts.yml`` (``answers:``, with the lines of ``contacts:``); this module
puts them into words, and two holders keep them ready:

- Rasa, through its domain: ``python -m bot nlu sync`` writes ``domain/generated/safety.yml``
  (git-ignored) with one response per answer, which rules utter without calling the actions;
- the web gateway, which loads them at start-up and answers with them when Rasa fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.models import ContactEntry, SafetyAnswer
from knowledge.voice import FORMAL, YOUTH

DISTRESS = "distress"
REQUEST_HUMAN = "request_human"
# Rasa's domain response for each answer, and the buttons that follow it (the gateway shows the
# same message when it answers in Rasa's place).
RESPONSES = {DISTRESS: "utter_distress", REQUEST_HUMAN: "utter_human_contact"}
# A national short number as contacts.yml writes it: 3 or 4 digits.
_SHORT_NUMBER = re.compile(r"\d{3,4}")
BUTTONS = {
    REQUEST_HUMAN: [{"title": "Trouver un lieu près de chez moi", "payload": "/find_local_contact"}]
}


def _field(record: Any, key: str) -> Any:
    return record.get(key) if isinstance(record, dict) else getattr(record, key, None)


def contact_line(entry: Any) -> str:
    """One line for a phone line or directory of contacts.yml: label, number, hours, site."""
    parts = [_field(entry, "label") or ""]
    phone = _field(entry, "phone")
    if phone:
        parts.append(f" : {phone}")
        if _field(entry, "free"):
            parts.append(" (appel gratuit)")
    hours = _field(entry, "hours")
    if hours:
        parts.append(f", {hours}")
    website = _field(entry, "website")
    if website:
        parts.append(f" — {website}")
    return "".join(parts)


@dataclass(frozen=True)
class SafetyAnswers:
    """The safety answers of contacts.yml with the entries they name, ready to be said."""

    answers: dict[str, SafetyAnswer]
    contacts: dict[str, ContactEntry]

    def text(self, answer_id: str, voice: str = YOUTH) -> str:
        """The whole answer: its text, one line per contact (bullets when several), its closing;
        for a parent or a referent (``voice``), their words where contacts.yml has them."""
        answer = self.answers[answer_id]
        entries = [self.contacts[c] for c in answer.contacts]
        if len(entries) == 1:
            lines = contact_line(entries[0])
        else:
            lines = "\n".join(f"• {contact_line(e)}" for e in entries)
        opening, closing = answer.text, answer.closing
        if voice in FORMAL and getattr(answer, f"{voice}_text"):
            opening, closing = getattr(answer, f"{voice}_text"), getattr(answer, f"{voice}_closing")
        return "\n\n".join(part for part in (opening, lines, closing) if part)

    def message(self, answer_id: str, voice: str = YOUTH) -> dict[str, Any]:
        """The answer as one bot message: ``{"text", "buttons"?}`` (Rasa's response format)."""
        message: dict[str, Any] = {"text": self.text(answer_id, voice)}
        if BUTTONS.get(answer_id):
            message["buttons"] = [dict(b) for b in BUTTONS[answer_id]]
        return message

    def variations(self, answer_id: str) -> list[dict[str, Any]]:
        """The answer as Rasa response variations: the parent's and the referent's first, each
        conditioned on the ``profile`` slot, then the young person's."""
        variations = []
        for voice in FORMAL:
            if getattr(self.answers[answer_id], f"{voice}_text"):
                condition = [{"type": "slot", "name": "profile", "value": voice}]
                variations.append({"condition": condition, **self.message(answer_id, voice)})
        return [*variations, self.message(answer_id)]

    def phones(self, answer_id: str) -> list[str]:
        """The phone numbers an answer gives, in order."""
        entries = (self.contacts[c] for c in self.answers[answer_id].contacts)
        return [e.phone for e in entries if e.phone]

    def short_numbers(self) -> tuple[str, ...]:
        """The short national numbers of every line of contacts.yml (3114, 119, 3018…).

        Only the lines' own ``phone`` fields count: a number becomes a ``tel:`` link in the
        widget (bot/web/messages.py) because it is in contacts.yml, never because of a pattern.
        """
        phones = (c.phone for c in self.contacts.values() if c.phone)
        return tuple(dict.fromkeys(p for p in phones if _SHORT_NUMBER.fullmatch(p)))


class SafetyDataError(ValueError):
    """contacts.yml cannot give the safety answers (the message lists the problems)."""


def load_safety_answers(data_dir: Path | str | None = None) -> SafetyAnswers:
    """Read and check contacts.yml; raise :class:`SafetyDataError` on any error."""
    from knowledge.sources import DATA_DIR, entries, references
    from knowledge.sources.files import Collector

    reader = Collector(Path(data_dir or DATA_DIR))
    entries.read_contacts(reader)
    entries.read_safety_answers(reader)
    references.check_safety_answer_refs(reader)
    problems = [p for p in reader.problems if p.severity == "error"]
    if problems:
        raise SafetyDataError("\n".join(str(p) for p in problems))
    return SafetyAnswers(
        answers={a.id: a for a in reader.data.safety_answers},
        contacts={c.id: c for c in reader.data.contacts},
    )
