"""Who Boussole is talking to, and so how it says things (« tu » or « vous »).

Three voices, one per value of the ``profile`` slot:

- ``youth``: a young person, spoken to with « tu »;
- ``parent``: a parent or another adult asking for their child, « vous », about the child;
- ``referent``: a professional of a partner structure asking for a young person they accompany,
  « vous », about « la personne que vous accompagnez ».

Rasa's responses pick their variation on the ``profile`` slot (``domain/``: one « vous »
variation per formal voice). Sentences put together in Python are :class:`Words`: one text per
voice, chosen with :meth:`Words.to`. :func:`informal_words` finds what a parent or a referent
must never read (« tu », « ton », « t'aider », « dis-moi », « appelle la ligne »…); the
knowledge loader checks the content's formal texts with it, and so do the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

YOUTH = "youth"
PARENT = "parent"
REFERENT = "referent"
VOICES = (YOUTH, PARENT, REFERENT)
# The voices spoken to with « vous ».
FORMAL = (PARENT, REFERENT)

# « tu » forms: subject, object and stressed pronouns, possessives (whole words, so « toute »,
# « tout », « tension » or « habite-t-elle » are not caught); « t' » before a vowel.
_PRONOUNS = r"\b(?:tu|te|toi|ton|ta|tes|tien|tienne|tiens|tiennes)\b|\bt['’]"
# Imperatives without a pronoun: « dis-moi », « donne-moi » (not « dites-moi », « donnez-moi »,
# « dites-le-moi »), and the verbs Boussole's answers use, when they open a sentence
# (« : appelle la ligne », « Vérifie que… »; after a comma they may be a third person: « il
# soigne les patients, donne les traitements »).
_IMPERATIVE_MOI = r"\b(?!dites-)(?!(?:le|la|les)-moi)\w+(?<!ez)-moi\b"
_IMPERATIVE_VERBS = (
    r"(?:^|[.:;!?]\s*)(?:appelle|cherche|choisis|contacte|demande|dis|donne|écris|essaie"
    r"|fais|inscris|parle|prends|regarde|renseigne|va|vérifie|vois)\b"
)
_INFORMAL = re.compile(
    "|".join((_PRONOUNS, _IMPERATIVE_MOI, _IMPERATIVE_VERBS)), re.IGNORECASE | re.MULTILINE
)


def informal_words(text: str) -> list[str]:
    """The « tu » forms in ``text`` (empty when it can be said to a parent or a referent)."""
    return [match.group(0).strip(" .:;!?,") for match in _INFORMAL.finditer(text or "")]


def voice_of(profile: Any, situation: Any = None) -> str:
    """The voice for a ``profile`` slot value, else for the person's stated situation.

    « Je suis parent » and « je suis éducatrice » come as situations (``situation`` entity)
    before anything sets the profile; a young person is the default.
    """
    for said in (profile, situation):
        if said in FORMAL:
            return said
    return YOUTH


def said_to(voice: str, youth: str, parent: str | None, referent: str | None) -> str:
    """Of one sentence's three texts, the one for ``voice``; the young person's when it has none
    (an unknown voice, or content loaded before that voice's text was written)."""
    text = {PARENT: parent, REFERENT: referent}.get(voice)
    return text or youth


@dataclass(frozen=True)
class Words:
    """One sentence in the three voices; ``{placeholders}`` are filled by :meth:`to`.

    The formal texts are checked when the sentence is written down: a « tu » form in them is a
    programming error (:func:`informal_words`).
    """

    youth: str
    parent: str
    referent: str

    def __post_init__(self) -> None:
        for voice in FORMAL:
            found = informal_words(getattr(self, voice))
            if found:
                raise ValueError(f"« tu » said to a {voice}: {found} in {getattr(self, voice)!r}")

    def to(self, voice: str, **values: Any) -> str:
        """The text for ``voice`` (the young person's for another one), filled with ``values``."""
        text = said_to(voice, self.youth, self.parent, self.referent)
        return text.format(**values) if values else text
