"""The privacy corpus of this folder: messages with personal data, and ordinary ones."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
# The day the corpus is masked on: ages after a date of birth are counted from it.
TODAY = date(2026, 12, 1)


@dataclass(frozen=True)
class PiiMessage:
    """A message and the pieces of it that must not survive masking (NFKC-normalised)."""

    text: str
    hidden: tuple[str, ...]

    @property
    def strong(self) -> tuple[str, ...]:
        """Pieces unmistakable wherever they appear (digits, « @ »): searched in every store."""
        return tuple(h for h in self.hidden if re.search(r"[\d@]", h))

    @property
    def words(self) -> tuple[str, ...]:
        """Plain words (names, streets without number): searched in this message's own text."""
        return tuple(h for h in self.hidden if h not in self.strong)


def _lines(name: str) -> list[str]:
    text = (HERE / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def pii_messages() -> list[PiiMessage]:
    """``pii_messages.txt``: ``message || hidden ;; hidden``."""
    messages = []
    for line in _lines("pii_messages.txt"):
        text, hidden = line.split(" || ")
        pieces = tuple(unicodedata.normalize("NFKC", h.strip()) for h in hidden.split(" ;; "))
        messages.append(PiiMessage(text, pieces))
    return messages


def ordinary_messages() -> list[str]:
    """``ordinary_messages.txt``: one message a line, none of them personal data."""
    return _lines("ordinary_messages.txt")


def leaks(message: PiiMessage, stored: str) -> list[str]:
    """The hidden pieces of ``message`` still present in ``stored`` (words as whole words)."""
    found = [h for h in message.strong if h in stored]
    found += [h for h in message.words if re.search(rf"(?<!\w){re.escape(h)}(?!\w)", stored)]
    return found
