"""Street addresses as people write them, from the abbreviated lower case of source files.

The UNML directory gives "4 r septentrion" or "1 pl de l'europe"; the person should read
"4 rue Septentrion" and "1 place de l'Europe". The data files stay as published (PROVENANCE.md
lists every change made to a source file); only what is shown is formatted, here. Names are not
corrected ("jean jaures" becomes "Jean Jaures"): that would need a dictionary of names.

French usage: the street type in lower case ("rue", "place"), every word of the name capitalised
except articles and prepositions ("rue de l'Homme de Bois"), "saint" joined to the saint's name
("rue Saint-Nicolas"), "2B" written "2 bis".
"""

from __future__ import annotations

import re

# Street types, as abbreviated by La Poste / the BAN, or written without their accents. Only the
# words in the type's place (after the number) are read this way: "pl" elsewhere is not "place".
STREET_TYPES = {
    "r": "rue",
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "boul": "boulevard",
    "pl": "place",
    "imp": "impasse",
    "all": "allée",
    "allee": "allée",
    "che": "chemin",
    "chem": "chemin",
    "rte": "route",
    "sq": "square",
    "crs": "cours",
    "qu": "quai",
    "fg": "faubourg",
    "fbg": "faubourg",
    "pass": "passage",
    "prom": "promenade",
    "espl": "esplanade",
    "lot": "lotissement",
    "res": "résidence",
    "residence": "résidence",
    "cite": "cité",
    "chaussee": "chaussée",
    "rpt": "rond-point",
    "ham": "hameau",
    "za": "ZA",
    "zac": "ZAC",
    "zi": "ZI",
    "parc d'activites": "parc d'activités",
    "zone d'activites": "zone d'activités",
}
# Street types already spelt out: kept, in lower case.
SPELT_OUT = set(STREET_TYPES.values()) | {"parc", "zone", "hameau", "quai", "voie", "sente"}
# Abbreviated titles in names.
NAME_WORDS = {"st": "saint", "ste": "sainte", "gal": "général", "mal": "maréchal", "dr": "docteur"}
# Articles and prepositions stay in lower case inside a name.
PARTICLES = {"de", "du", "des", "la", "le", "les", "et", "à", "au", "aux", "en", "sur", "sous"}
ELIDED = ("l'", "d'", "l’", "d’")
# A street number with its repetition index ("2B", "2bis", "13,"), or the index written apart.
_NUMBER = re.compile(r"(\d+)(bis|ter|quater|b|t|q)?(,?)", re.IGNORECASE)
_INDEX = re.compile(r"(bis|ter|quater|b|t|q)(,?)", re.IGNORECASE)
_INDEX_WORDS = {"b": "bis", "t": "ter", "q": "quater"}


def _number(tokens: list[str]) -> str | None:
    """The street number at the start of ``tokens`` (consumed), as "2 bis", if any."""
    match = _NUMBER.fullmatch(tokens[0]) if tokens else None
    if not match:
        return None
    tokens.pop(0)
    digits, index, comma = match.groups()
    apart = _INDEX.fullmatch(tokens[0]) if not (index or comma) and len(tokens) > 1 else None
    if apart:  # "2 b rue …", "2 bis, rue …"
        tokens.pop(0)
        index, comma = apart.groups()
    if index:
        digits += " " + _INDEX_WORDS.get(index.lower(), index.lower())
    return digits + comma


def _street_type(tokens: list[str]) -> str | None:
    """The street type at the start of ``tokens`` (consumed), spelt out, if any."""
    for size in (2, 1):
        words = " ".join(tokens[:size]).lower().rstrip(".")
        if len(tokens) >= size and (words in STREET_TYPES or words in SPELT_OUT):
            del tokens[:size]
            return STREET_TYPES.get(words, words)
    return None


def _capitalised(word: str) -> str:
    """One word (or part of a hyphenated word) of a name, with its French capital."""
    for elided in ELIDED:
        if word.lower().startswith(elided) and len(word) > len(elided):
            return word[: len(elided)].lower() + _capitalised(word[len(elided) :])
    if word.lower() in PARTICLES:
        return word.lower()
    return word[:1].upper() + word[1:]


def _name(tokens: list[str]) -> str:
    """The name of the street: capitals, abbreviated titles spelt out, "saint" joined."""
    words: list[str] = []
    for token in tokens:
        word = "-".join(NAME_WORDS.get(part.lower(), part) for part in token.split("-"))
        if words and words[-1].lower() in ("saint", "sainte"):
            words[-1] += "-" + word
        else:
            words.append(word)
    return " ".join("-".join(_capitalised(p) for p in word.split("-")) for word in words)


def display_address(raw: str) -> str:
    """The address for display: street type spelt out, the name capitalised (see above)."""
    text = " ".join(raw.split())
    if text.upper() == text:  # all capitals: read as lower case
        text = text.lower()
    tokens = text.split(" ")
    parts = [_number(tokens), _street_type(tokens), _name(tokens) if tokens else None]
    return " ".join(p for p in parts if p)
