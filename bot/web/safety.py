"""What the gateway says itself when Rasa cannot: distress never waits, never goes unanswered.

The gateway holds the safety answers of contacts.yml (knowledge/safety.py), loaded at start-up,
and runs the same distress net as Rasa's NLU (bot/nlu/distress_net.py) on every message:

- a message with a distress cue gets Rasa only ``DISTRESS_DEADLINE`` seconds; if Rasa fails,
  is late or answers without the safeguarding numbers, the gateway gives them itself;
- « parler à quelqu'un » (the ``/request_human`` button) likewise gets the free line when Rasa
  cannot answer;
- any other message Rasa cannot answer, or answers with nothing, gets the apology with the
  Parcours Métiers line (``PartnerDirectory.fallback_text``): never silence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.nlu.distress_net import DistressNet, distress_net
from bot.web.messages import widget_message
from knowledge.voice import voice_of

log = logging.getLogger(__name__)

REQUEST_HUMAN_PAYLOAD = "/request_human"


@dataclass
class SafetyNet:
    """The held safety answers (``None`` when contacts.yml could not be read) and the net."""

    answers: Any  # knowledge.safety.SafetyAnswers | None
    net: DistressNet

    @classmethod
    def load(cls) -> SafetyNet:
        """Read contacts.yml now; on failure the gateway still starts, with the apology only."""
        answers = None
        try:
            from knowledge.safety import load_safety_answers

            answers = load_safety_answers()
        except Exception:
            log.exception("the safety answers of contacts.yml could not be loaded")
        return cls(answers, distress_net())

    def urgent(self, text: str | None, payload: str | None) -> str | None:
        """The safety answer this message calls for if Rasa cannot give it, else ``None``."""
        if text is not None and self.net.is_distress(text):
            return "distress"
        if payload is not None and payload.strip() == REQUEST_HUMAN_PAYLOAD:
            return "request_human"
        return None

    def messages(self, answer_id: str, profile: str | None = None) -> list[dict[str, Any]]:
        """The held answer as widget messages, in the voice of ``profile`` (empty when none
        could be loaded)."""
        if self.answers is None:
            return []
        message = widget_message(self.answers.message(answer_id, voice_of(profile)))
        return [message] if message else []

    def given(self, answer_id: str, messages: list[dict[str, Any]]) -> bool:
        """Whether Rasa's answer already gives every phone line of ``answer_id``."""
        if self.answers is None:
            return True
        text = "\n".join(m.get("text", "") for m in messages)
        return all(phone in text for phone in self.answers.phones(answer_id))

    def completed(
        self, answer_id: str | None, messages: list[dict[str, Any]], profile: str | None = None
    ) -> list[dict]:
        """Rasa's answer, preceded by the held safety answer (said to ``profile``) when Rasa
        left its numbers out."""
        if answer_id is None or self.given(answer_id, messages):
            return messages
        log.warning("Rasa's answer lacked the %s lines: the gateway adds them", answer_id)
        return self.messages(answer_id, profile) + messages
