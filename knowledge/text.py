"""Text folding: the one way Boussole compares what people type with names, words and sentences.

``fold`` is used by the commune resolver, the scheme and job search, the actions' word lists, the
console's search and grouping, and the evaluation's check that held-out sentences stay out of the
training data: two texts that fold alike are the same text for all of them. Each character is
lower-cased (``casefold``), decomposed (NFKD) and stripped of its accents; typographic
apostrophes become ``'``.

Two options cover the variants callers really need:

* ``keep_length=True``: one output character per input character, so offsets found in the folded
  text are valid in the original (the resolver's mentions). A character whose folding would
  change the length (``ß`` → ``ss``, ``ﬁ`` → ``fi``) is only lower-cased; spaces are left as they
  are.
* ``words_only=True``: punctuation counts as a space ("J'ai DROIT au CEJ ?!" and "j ai droit au
  cej" fold alike), for keys that compare sentences or names.

Without ``keep_length`` runs of spaces are collapsed and the ends trimmed.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = "\u2019\u2018\u02bc\u00b4\u0060\u2032"  # ’ ‘ ʼ ´ ` ′
_NON_WORD = re.compile(r"[^\w]+")


def _fold_char(char: str) -> str:
    """The folding of one character (possibly longer, or empty for a lone combining mark)."""
    if char in _APOSTROPHES:
        return "'"
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _Table(dict):
    """``str.translate`` table filled on first sight of each character (any script)."""

    def __init__(self, keep_length: bool) -> None:
        super().__init__()
        self.keep_length = keep_length

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = _fold_char(char)
        if self.keep_length and len(folded) != 1:
            lowered = char.lower()
            folded = lowered if len(lowered) == 1 else char
        self[code] = folded
        return folded


_SAME_LENGTH = _Table(keep_length=True)
_FREE_LENGTH = _Table(keep_length=False)


def fold(text: str, *, keep_length: bool = False, words_only: bool = False) -> str:
    """``text`` lower-cased without accents; see the module docstring for the two options.

    >>> fold("  Saint-Étienne   du Rouvray ")
    'saint-etienne du rouvray'
    >>> fold("J’ai DROIT au CEJ ?!", words_only=True)
    'j ai droit au cej'
    >>> fold("Évreux, 27", keep_length=True)
    'evreux, 27'
    """
    if keep_length:
        folded = text.translate(_SAME_LENGTH)
        if words_only:
            # one space per punctuation character, so that offsets stay valid
            folded = _NON_WORD.sub(lambda m: " " * len(m.group()), folded)
        return folded
    folded = text.translate(_FREE_LENGTH)
    if words_only:
        folded = _NON_WORD.sub(" ", folded)
    return " ".join(folded.split())


# -- how a word sounds -------------------------------------------------------------------------
# A phonetic key for French, to find a commune written by ear ("Bernai", "Yvto", "Fécan",
# "Doville"). The maintained French library on PyPI (phonetic-fr 1.0.3, Édouard Bergé's Soundex
# FR) gives good keys but costs about 360 µs a word: 1.5 s to index the 4,000 commune keys
# (target ≤ 1 s) against a budget of 50 µs per whole resolution. These rules draw on it and on
# addok-fr (the French address geocoder's phonemisation) and run in one left-to-right pass.
#
# Each rule: (letters it can start with, pattern, what it sounds like). At each position the
# first rule that matches wins; upper-case letters and digits are sounds, never letters again:
# X "ch", G hard g, N "gn", E "eu", U "ou", @ "an/en", 1 "in/ain/un", 0 "on".
_NOT_NASAL = r"(?![aeiouynm])"  # a vowel + n/m is nasal unless a vowel or n/m follows
_GRAPHEMES = (
    ("s", r"ss", "s"),
    ("s", r"(?<=[aeiouy])s(?=[aeiouy])", "z"),  # "Falaise" = "Faleze"
    ("p", r"ph", "f"),
    ("s", r"sc?h", "X"),
    ("c", r"ch", "X"),
    ("q", r"qu?", "k"),
    ("g", r"gu(?=[eiy])", "G"),
    ("g", r"ge(?=[aou])", "j"),
    ("g", r"g(?=[eiy])", "j"),
    ("g", r"gn", "N"),
    ("g", r"g", "G"),
    ("c", r"cc(?=[eiy])", "ks"),
    ("c", r"c(?=[eiy])", "s"),
    ("c", r"ck?", "k"),
    ("x", r"x$", ""),  # "Lisieux", "Bayeux"
    ("x", r"x", "ks"),
    ("w", r"w", "v"),
    ("h", r"h", ""),
    ("a", r"aen" + _NOT_NASAL, "@"),  # "Caen"
    ("o", r"oin" + _NOT_NASAL, "U1"),
    ("aeiuy", r"(?:ai|ei|i|u|y)[nm]" + _NOT_NASAL, "1"),
    ("ae", r"[ae][nm]" + _NOT_NASAL, "@"),  # "Fécamp" = "Fécan"
    ("o", r"o[nm]" + _NOT_NASAL, "0"),
    ("ea", r"e?au", "o"),  # "Deauville" = "Doville"
    ("oe", r"o?eu|oe", "E"),
    ("o", r"ou", "U"),
    ("o", r"o[iy]", "UA"),
    ("ae", r"[ae][iy]", "e"),  # "Bernay" = "Bernai"
    ("y", r"y", "i"),
)
_BY_LETTER: dict[str, list[tuple[re.Pattern, str]]] = {}
for _letters, _pattern, _sound in _GRAPHEMES:
    for _letter in _letters:
        _BY_LETTER.setdefault(_letter, []).append((re.compile(_pattern), _sound))
_NOT_LETTER = re.compile(r"[^a-z]+")
_DOUBLE_CONSONANT = re.compile(r"([b-df-hj-np-rt-z])\1+")  # not "ss", which is not "s" → "z"
_CONSONANT = "b-df-hj-np-tv-zGNX"
_SOUNDING_VOWEL = "aeiouAEOU@01"
_ENDINGS = (
    (re.compile(r"(?<=.)[stdzp]+$"), ""),  # silent final letters: "Gisors", "Domfront"
    (re.compile(r"(?<=[rU@01])G$"), ""),  # "Cherbourg", "Cabourg"
    (re.compile(r"(?<=i)er$"), "e"),  # "Louviers" = "Louvié"
    (re.compile(r"(?<=[@01])[dt](?=[^aeiouAEOU])"), ""),  # "Grandville" = "Granville"
    (re.compile(r"(?<=..)e$"), ""),  # final mute e: "Houlgate" = "Houlgatte"
    # the mute e between two single consonants: "Yvetot" = "Yvto" (after the final one, so that
    # "Audemère" and "Audemer" lose the same e)
    (
        re.compile(
            rf"(?<=[{_SOUNDING_VOWEL}][{_CONSONANT}])e(?=[{_CONSONANT}][{_SOUNDING_VOWEL}])"
        ),
        "",
    ),
)


def sound_key(text: str) -> str:
    """How ``text`` sounds in French, as a comparison key: words that sound alike share it.

    Spaces, hyphens and apostrophes are ignored ("Pont-Audemer" = "pontaudemère").

    >>> sound_key("Bernai") == sound_key("Bernay")
    True
    >>> sound_key("Yvto") == sound_key("Yvetot")
    True
    >>> sound_key("Houlgatte") == sound_key("Houlgate")
    True
    >>> sound_key("Fécan"), sound_key("Fécamp")
    ('fek@', 'fek@')
    """
    word = fold(text.replace("ç", "s").replace("Ç", "s")).replace("œ", "oe").replace("æ", "ae")
    word = _DOUBLE_CONSONANT.sub(r"\1", _NOT_LETTER.sub("", word))
    sounds = []
    i, n = 0, len(word)
    while i < n:
        for rule, sound in _BY_LETTER.get(word[i], ()):
            m = rule.match(word, i)
            if m:
                sounds.append(sound)
                i = m.end()
                break
        else:
            sounds.append(word[i])
            i += 1
    key = "".join(sounds)
    for rule, replacement in _ENDINGS:
        key = rule.sub(replacement, key)
    return key
