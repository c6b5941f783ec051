"""The deterministic distress net: patterns that always mean distress, beside the intent model.

The intent model decides most messages; for distress a miss is not acceptable, so a message
carrying one of the cues of ``distress_patterns.yml`` is distress whatever the model says, and a
message the model calls distress without any cue, that speaks of school, orientation or work,
is not (« il ne sait pas quoi faire après la 3e », « elle est au collège »).

Pure Python (no Rasa import): the NLU component ``bot.nlu.distress.DistressNetClassifier`` and
the web gateway, which must answer distress when Rasa cannot, use the same net.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.text import fold

PATTERNS_FILE = Path(__file__).with_name("distress_patterns.yml")
_PIECE = re.compile(r"\{([a-z_]\w*)\}")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Cue:
    """What made the net call a message distress: the cue's category and the words matched."""

    category: str
    words: str


class DistressNet:
    """Cues of distress and markers of ordinary worries, compiled from a patterns file."""

    def __init__(self, spec: dict) -> None:
        pieces = {name: str(value) for name, value in (spec.get("pieces") or {}).items()}

        def compile_all(patterns: list[str]) -> list[re.Pattern]:
            return [re.compile(_expand(p, pieces)) for p in patterns or []]

        self.neutral = compile_all(spec.get("neutral"))
        self.cues = {
            category: compile_all(patterns)
            for category, patterns in (spec.get("cues") or {}).items()
        }
        self.not_distress = compile_all(spec.get("not_distress"))

    @classmethod
    def from_file(cls, path: Path = PATTERNS_FILE) -> DistressNet:
        """The net described by a patterns file (``distress_patterns.yml`` by default)."""
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    def _neutralised(self, text: str) -> str:
        plain = fold(text)
        for pattern in self.neutral:
            plain = pattern.sub(" ", plain)
        return _SPACES.sub(" ", plain).strip()

    def cue(self, text: str) -> Cue | None:
        """The first distress cue in ``text``, or ``None`` (always for ``/intent`` payloads)."""
        if not text or text.lstrip().startswith("/"):
            return None
        plain = self._neutralised(text)
        for category, patterns in self.cues.items():
            for pattern in patterns:
                match = pattern.search(plain)
                if match:
                    return Cue(category, match.group(0).strip())
        return None

    def is_distress(self, text: str) -> bool:
        """Whether ``text`` carries a distress cue."""
        return self.cue(text) is not None

    def overrules_model(self, text: str) -> bool:
        """Whether a distress guess of the model on ``text`` is to be dropped.

        True only when the message has no cue at all and speaks of school, orientation, work or
        a joke: what the model took for distress is then an ordinary worry.
        """
        if not text or self.cue(text) is not None:
            return False
        plain = fold(text)
        return any(pattern.search(plain) for pattern in self.not_distress)


def _expand(pattern: str, pieces: dict[str, str]) -> str:
    def piece(match: re.Match) -> str:
        name = match.group(1)
        if name not in pieces:
            raise ValueError(f"distress pattern {pattern!r} names an unknown piece {{{name}}}")
        return pieces[name]

    return _PIECE.sub(piece, pattern)


@lru_cache(maxsize=1)
def distress_net() -> DistressNet:
    """The net of ``distress_patterns.yml``, compiled once per process."""
    return DistressNet.from_file()
