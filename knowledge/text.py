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
