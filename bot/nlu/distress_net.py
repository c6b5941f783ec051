"""The deterministic distress net: patterns that always mean distress, beside the intent model.

The intent model decides most messages; for distress a miss is not acceptable, so a message
carrying one of the cues of ``distress_patterns.yml`` is distress whatever the model says, and a
message the model calls distress without any cue, that speaks of school, orientation or work,
is not (« il ne sait pas quoi faire après la 3e », « elle est au collège ») unless it names
someone acting on the speaker (``acted_on``: « un type du lycée m'attrape le bras »), where the
model's guess stands.

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

        def compile_groups(groups: dict | None) -> dict[str, list[re.Pattern]]:
            return {
                category: compile_all(patterns) for category, patterns in (groups or {}).items()
            }

        texting = {str(k): str(v) for k, v in (spec.get("texting") or {}).items()}
        self.texting = texting
        self._texting = (
            re.compile(
                r"(?<![\w'])(?:"
                + "|".join(map(re.escape, sorted(texting, key=len, reverse=True)))
                + r")(?![\w'])"
            )
            if texting
            else None
        )
        self.texting_rules = [
            (re.compile(pattern), str(replacement))
            for pattern, replacement in spec.get("texting_rules") or []
        ]
        self.neutral = compile_all(spec.get("neutral"))
        self.cues = compile_groups(spec.get("cues"))
        self.soft_cues = compile_groups(spec.get("soft_cues"))
        self.not_distress = compile_all(spec.get("not_distress"))
        self.acted_on = compile_all(spec.get("acted_on"))

    @classmethod
    def from_file(cls, path: Path = PATTERNS_FILE) -> DistressNet:
        """The net described by a patterns file (``distress_patterns.yml`` by default)."""
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    def plain(self, text: str) -> str:
        """``text`` folded, its texting forms written out (« jsui » → « je suis »)."""
        plain = _SPACES.sub(" ", fold(text)).strip()
        if self._texting is not None:
            plain = self._texting.sub(lambda m: self.texting[m.group(0)], plain)
        for pattern, replacement in self.texting_rules:
            plain = pattern.sub(replacement, plain)
        return plain

    def _neutralised(self, text: str) -> str:
        plain = self.plain(text)
        for pattern in self.neutral:
            plain = pattern.sub(" ", plain)
        return _SPACES.sub(" ", plain).strip()

    def cue(self, text: str) -> Cue | None:
        """The first distress cue in ``text``, or ``None`` (always for ``/intent`` payloads).

        A soft cue (« je dors plus », « je vais craquer ») counts only in a message that speaks
        of no ordinary subject (``not_distress``: « je dors plus à cause des révisions »).
        """
        if not text or text.lstrip().startswith("/"):
            return None
        plain = self._neutralised(text)
        found = _first(self.cues, plain)
        if found is None and not self._ordinary(text):
            found = _first(self.soft_cues, plain)
        return found

    def _ordinary(self, text: str) -> bool:
        plain = self.plain(text)
        return any(pattern.search(plain) for pattern in self.not_distress)

    def is_distress(self, text: str) -> bool:
        """Whether ``text`` carries a distress cue."""
        return self.cue(text) is not None

    def overrules_model(self, text: str) -> bool:
        """Whether a distress guess of the model on ``text`` is to be dropped.

        True only when the message has no cue at all, names nobody acting on the speaker
        (:meth:`names_someone_acting_on_me`), and speaks of an ordinary subject (school,
        orientation, work, health, sport, money, leisure, a joke: ``not_distress``) or carries one
        of the net's ``neutral`` idioms (« je meurs de faim », « frapper à toutes les portes »):
        what the model took for distress is then an ordinary worry.
        """
        if not text or self.cue(text) is not None or self.names_someone_acting_on_me(text):
            return False
        return self._ordinary(text) or self._explained(text)

    def names_someone_acting_on_me(self, text: str) -> bool:
        """Whether ``text`` says someone harasses, hits, threatens, touches, insults or rackets
        the speaker (``acted_on``, idioms blanked first): at school or at work that is no
        ordinary worry, so a distress guess of the model is not dropped for the subject."""
        plain = self._neutralised(text)
        return any(pattern.search(plain) for pattern in self.acted_on)

    def _explained(self, text: str) -> bool:
        """Whether an idiom, a subject talked about or an accident (``neutral``) is in ``text``:
        the hard word the model may have reacted to is accounted for."""
        plain = self.plain(text)
        return any(pattern.search(plain) for pattern in self.neutral)


def _first(groups: dict[str, list[re.Pattern]], plain: str) -> Cue | None:
    for category, patterns in groups.items():
        for pattern in patterns:
            match = pattern.search(plain)
            if match:
                return Cue(category, match.group(0).strip())
    return None


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
