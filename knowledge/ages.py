"""Ages as people write them: « 19 », « 19 ans », « dix-neuf ans », « 19a », « g 20an ».

One reader for the NLU component that finds ages in a message (``bot/nlu/ages.py``) and for the
forms that read a free-text answer to « quel âge as-tu ? » (``actions/understanding.py``).
French number words are read by ``text2num`` (a maintained parser), not by a table of our own.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from text_to_num import text2num

AGE_MIN, AGE_MAX = 11, 99

# A word, with its position; hyphenated numbers (« dix-neuf ») are split on the hyphen and
# joined again below.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Digits written against their unit: « 19a », « 20an », « 17ans ». A lone « a » after a space
# is too often the verb (« 19 a Rouen ») to count.
_DIGITS_WITH_UNIT = re.compile(r"(?<![\w,.])(\d{1,2})(?:\s*ans?|a)\b", re.IGNORECASE)
_UNIT = {"an", "ans"}
# Words before a number that make it a duration or a bound, not the person's age:
# « depuis 2 ans », « les moins de 26 ans », « entre 16 et 25 ans », « à 18 ans on peut ? ».
_NOT_AN_AGE_BEFORE = {
    "depuis",
    "pendant",
    "durant",
    "pdt",
    "dans",
    "ya",
    "de",
    "d",
    "à",
    "entre",
    "et",
    "jusqu",
    "partir",
    "dès",
    "des",
    "avant",
    "après",
    "apres",
    "moins",
    "plus",
    "les",
    "aux",
}
# … except « de » after someone: « une fille de dix-sept ans », « mon fils de 16 ans » (a bound
# or a duration has no person before its « de »: « moins de 26 ans », « un contrat de 2 ans »).
_PERSON_BEFORE_DE = {
    "fille",
    "fils",
    "enfant",
    "garçon",
    "garcon",
    "gars",
    "ado",
    "adolescent",
    "adolescente",
    "neveu",
    "nièce",
    "niece",
    "gamin",
    "gamine",
    "jeune",
    "frère",
    "frere",
    "sœur",
    "soeur",
    "cousin",
    "cousine",
    "filleul",
    "filleule",
    "fiston",
    "élève",
    "eleve",
    "lycéen",
    "lycéenne",
    "collégien",
    "collégienne",
    "apprenti",
    "apprentie",
}
# … and after it: « 15 ans d'expérience », « 3 ans de chômage ».
_NOT_AN_AGE_AFTER = {"de", "d"}
# Number words spread over at most this many words (« quatre vingt dix neuf »).
_MAX_NUMBER_WORDS = 4


@dataclass(frozen=True)
class AgeMention:
    """An age found in a text: where the number is (``text[start:end]``) and its value."""

    start: int
    end: int
    value: int


def is_valid_age(age: int | None) -> bool:
    """Ages Boussole takes: 11 to 99 (younger children are referred by an adult)."""
    return age is not None and AGE_MIN <= age <= AGE_MAX


def number_in_words(text: str) -> int | None:
    """The number written in French words (« dix-neuf », « vingt et un »), ``None`` if it is not."""
    words = " ".join(w.group(0) for w in _WORD.finditer(text.lower()))
    if not words or any(c.isdigit() for c in words):
        return None
    try:
        return int(text2num(words, "fr"))
    except ValueError:
        return None


def parse_age(value: object) -> int | None:
    """The age in a value or a short answer (« 19 », « 19 ans », « dix-neuf », « g 20an »).

    ``None`` when there is none or more than one number (« 12 ou 13 »).
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    text = str(value or "")
    digits = re.findall(r"\d+", text)
    if digits:
        return int(digits[0]) if len(digits) == 1 else None
    mentions = find_ages(text)
    if len(mentions) == 1:
        return mentions[0].value
    # a bare number word, without « ans »: « dix-neuf », « j'ai seize »
    words = [w.group(0) for w in _WORD.finditer(text.lower())]
    for size in range(min(len(words), _MAX_NUMBER_WORDS), 0, -1):
        number = number_in_words(" ".join(words[-size:]))
        if number is not None:
            return number
    return None


def find_ages(text: str) -> list[AgeMention]:
    """The ages a message states (« j'ai dix-neuf ans », « ma fille a 14 ans », « il a seize
    ans », « une fille de dix-sept ans », « g 20an »).

    Only numbers followed by « an(s) » (or « a » glued to digits) count, and never a duration or
    a bound (« depuis 2 ans », « les moins de 26 ans »); ages outside 11–99 are left out.
    """
    words = [(m.start(), m.end(), m.group(0).lower()) for m in _WORD.finditer(text)]
    found: list[AgeMention] = []
    for match in _DIGITS_WITH_UNIT.finditer(text):
        start, end = match.span(1)
        first = next(i for i, w in enumerate(words) if w[0] <= start < w[1])
        if _stated(words, first, _unit_index(words, end)):
            found.append(AgeMention(start, end, int(match.group(1))))
    for unit, (_, _, word) in enumerate(words):
        if word not in _UNIT or unit == 0:
            continue
        mention = _number_words_before(text, words, unit)
        if mention is not None and _stated(words, mention[0], unit):
            found.append(mention[1])
    return sorted(
        (m for m in found if is_valid_age(m.value)),
        key=lambda m: m.start,
    )


def _unit_index(words: list[tuple[int, int, str]], number_end: int) -> int:
    """Index of the word holding the unit right after the digits (« 19 ans », « 19ans »)."""
    return next(i for i, w in enumerate(words) if w[1] > number_end)


def _number_words_before(
    text: str, words: list[tuple[int, int, str]], unit: int
) -> tuple[int, AgeMention] | None:
    """The longest run of number words just before ``words[unit]``, with its first word's index."""
    for size in range(min(unit, _MAX_NUMBER_WORDS), 0, -1):
        first = unit - size
        run = words[first:unit]
        # only spaces and hyphens between the words of one number (« dix-neuf », « vingt et un »)
        gaps = [text[a[1] : b[0]] for a, b in itertools.pairwise(run)]
        if any(g.strip(" -") for g in gaps) or text[run[-1][1] : words[unit][0]].strip():
            continue
        number = number_in_words(" ".join(w[2] for w in run))
        if number is not None:
            return first, AgeMention(run[0][0], run[-1][1], number)
    return None


def _stated(words: list[tuple[int, int, str]], first: int, unit: int) -> bool:
    """Whether the number starting at ``words[first]`` is an age, not a duration or a bound."""
    before = words[first - 1][2] if first > 0 else ""
    someone_of = before in ("de", "d") and first > 1 and words[first - 2][2] in _PERSON_BEFORE_DE
    if before in _NOT_AN_AGE_BEFORE and not someone_of:
        return False
    if first > 1 and (words[first - 2][2], before) == ("y", "a"):
        return False  # « il y a 3 ans »
    after = words[unit + 1][2] if unit + 1 < len(words) else ""
    return after not in _NOT_AN_AGE_AFTER
