"""Which structure a professional names: « je suis référente à Rouen Info Jeunes », « je travaille
à la mission locale de Caen », « animateur au PIJ de Rouen ».

The words after a cue of work (« je travaille à », « référent au », « animatrice au »…) are the
structure as typed. It is matched against the partner structures of the réseau de proximité
(partners.yml) and the operators that have a place of their own (a Mission Locale, a partner's
operator entry): by name first, then by kind of structure and commune (« PIJ de Rouen »). A
structure that matches nothing is returned as typed, so that the bot can say it does not know it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from knowledge.models import Mention, Operator, Partner
from knowledge.text import fold

_ARTICLE = r"(?:la\s+|le\s+|les\s+|l\s*'\s*|une\s+|un\s+)?"
_NAME = r"(?P<structure>[^,.;:!?()]+)"
# What people who work somewhere say before the name of their structure (folded text).
_WORK_CUE = re.compile(
    r"\b(?:travaille|bosse|taffe?|referente?|animat(?:eur|rice)|educat(?:eur|rice)"
    r"|conseill(?:er|ere)|coordinat(?:eur|rice)|informat(?:eur|rice)|charge(?:e)? de mission"
    r"|direct(?:eur|rice)|responsable|benevole|salariee?|agent|intervenante?"
    r"|professionnel(?:le)?)"
    r"(?:\s+\w+){0,3}?"  # « référente jeunesse », « animateur socio-éducatif »
    r"\s+(?:a|au|aux|chez|dans|pour|de|du|des)\s+" + _ARTICLE + _NAME
)
# Weaker: « je suis à… », « on est le… », « je représente… »; they name a structure only when
# the words that follow are a known structure or say a kind of structure (« je suis à Caen »
# is where a young person lives).
_PRESENCE_CUE = re.compile(
    r"\b(?:je suis|j\s*'?\s*suis|jsuis|on est|nous sommes|c\s*'?\s*est|je represente"
    r"|de la part d[eu]?)"
    r"\s+(?:a\s+|au\s+|aux\s+|chez\s+|dans\s+|de\s+|du\s+)?(?:l\s*'?\s*equipe\s+d[eu]?\s+)?"
    + _ARTICLE
    + _NAME
)
_STRUCTURE_WORDS = re.compile(
    r"\b(?:pij|bij|crij|info jeunes?|information jeunesse|mission locale|centre social|mairie"
    r"|ville|service|association|asso|mjc|ccas|foyer|maison|espace|college|lycee|mediatheque"
    r"|structure|club|centre|point)\b"
)
# Where the name stops: the question or the next clause (« …, qui est notre interlocutrice »).
_NAME_END = re.compile(r"\s+(?:et|qui|que|quel|quelle|mais|donc|car|je|j|on|nous|vous)\b.*$")
# Kinds of structure, as people name them, and the operator type they stand for.
_KINDS = (
    (re.compile(r"\b(?:mission locale|ml|missions locales)\b"), "mission_locale"),
    (
        re.compile(
            r"\b(?:pij|bij|crij|info jeunes?|information jeunesse|point info\w*(?: jeunes?)?)\b"
        ),
        "info_jeunes",
    ),
)
_NAME_SCORE = 90  # rapidfuzz token_sort_ratio from which a typed name is the structure's name


@dataclass(frozen=True)
class StructureMatch:
    """A structure named by a professional: the partner and/or operator it is, or neither."""

    typed: str  # the words as the person wrote them (« PIJ de Rouen »)
    partner: Partner | None = None
    operator: Operator | None = None

    @property
    def known(self) -> bool:
        """Whether the structure is one of the knowledge base's."""
        return self.partner is not None or self.operator is not None

    @property
    def name(self) -> str:
        """The structure's public name, or the words typed when it is unknown."""
        if self.partner is not None:
            return self.partner.name
        if self.operator is not None:
            return self.operator.name
        return self.typed


def workplace_span(text: str, strong_only: bool = False) -> tuple[int, int] | None:
    """Where ``text`` names the person's workplace after a cue (start, end), or ``None``.

    With ``strong_only``, only after a cue of work (« je travaille à », « référente au »).
    """
    folded = fold(text, keep_length=True)
    cues = (_WORK_CUE,) if strong_only else (_WORK_CUE, _PRESENCE_CUE)
    for cue in cues:
        m = cue.search(folded)
        if m is None:
            continue
        start, end = m.span("structure")
        name_end = _NAME_END.search(folded, start, end)
        if name_end is not None:
            end = name_end.start()
        if text[start:end].strip(" -–'’\"«»"):
            return start, end
    return None


def structure_named_in(text: str, strong_only: bool = False) -> str | None:
    """The words naming the person's workplace after a cue, as typed; ``None`` if none.

    With ``strong_only``, only after a cue of work (« je travaille à », « référente au »).
    """
    span = workplace_span(text, strong_only)
    return None if span is None else text[span[0] : span[1]].strip(" -–'’\"«»")


def match_structure(
    text: str,
    partners: Iterable[Partner],
    operators: Iterable[Operator],
    find_mentions: Callable[[str], list[Mention]],
    mission_locale_of: Callable[[str], Operator | None],
) -> StructureMatch | None:
    """The structure a professional names in ``text``; ``None`` when no workplace is named.

    ``find_mentions`` is the commune resolver's; ``mission_locale_of`` gives the Mission Locale of
    a commune (INSEE code).
    """
    typed = structure_named_in(text, strong_only=True)
    weak = typed is None
    if weak:
        typed = structure_named_in(text)
        if typed is None:
            return None
    key = fold(typed, words_only=True)
    partners = list(partners)
    placed = [op for op in operators if op.commune and op.type not in ("aom", "region")]

    def by_name(records: list) -> object | None:
        best, best_score = None, 0.0
        for record in records:
            score = max(fuzz.token_sort_ratio(key, name) for name in _names(record.name))
            if score >= _NAME_SCORE and score > best_score:
                best, best_score = record, score
        return best

    partner = by_name(partners)
    if isinstance(partner, Partner):
        return StructureMatch(typed, partner, _operator_of(partner, placed))
    operator = by_name(placed)
    if isinstance(operator, Operator):
        return StructureMatch(typed, _partner_of(operator, partners), operator)

    # « PIJ de Rouen », « la mission locale du Havre »: a kind of structure and a commune.
    kind = next((k for pattern, k in _KINDS if pattern.search(key)), None)
    if weak and kind is None and not _STRUCTURE_WORDS.search(key):
        return None  # « je suis à Caen »: a place, not a structure
    mentions = find_mentions(typed)
    insee = mentions[0].candidates[0].insee if mentions and mentions[0].candidates else None
    if kind is None or insee is None:
        return StructureMatch(typed)
    if kind == "mission_locale":
        operator = mission_locale_of(insee)
        return StructureMatch(typed, None, operator) if operator else StructureMatch(typed)
    for partner in partners:
        if partner.commune == insee and "info jeunes" in fold(partner.name, words_only=True):
            return StructureMatch(typed, partner, _operator_of(partner, placed))
    for operator in placed:
        if operator.commune == insee and "info jeunes" in fold(operator.name, words_only=True):
            return StructureMatch(typed, _partner_of(operator, partners), operator)
    return StructureMatch(typed)


def _names(name: str) -> tuple[str, ...]:
    """A structure's name as compared (folded), with and without its bracketed part:
    « Rouen Info Jeunes (Ville de Rouen) » is also « Rouen Info Jeunes »."""
    short = re.sub(r"\([^)]*\)", " ", name)
    return tuple(dict.fromkeys(fold(n, words_only=True) for n in (name, short)))


def _same(a: str, b: str) -> bool:
    return any(fuzz.token_sort_ratio(x, y) >= _NAME_SCORE for x in _names(a) for y in _names(b))


def _operator_of(partner: Partner, operators: list[Operator]) -> Operator | None:
    """The operator entry of a partner structure (same commune, same name), if any."""
    return next(
        (op for op in operators if op.commune == partner.commune and _same(op.name, partner.name)),
        None,
    )


def _partner_of(operator: Operator, partners: list[Partner]) -> Partner | None:
    """The charter partner an operator is, if any."""
    return next(
        (p for p in partners if p.commune == operator.commune and _same(p.name, operator.name)),
        None,
    )
