"""Field checkers: a raw YAML or CSV value in, a clean value out, or :class:`Invalid` with a
French message saying what was expected. The readers record that message as a :class:`Problem`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from knowledge.sources.vocabulary import NEEDS, OPERATOR_TYPES, SITUATIONS

ID = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
INSEE = re.compile(r"^\d[0-9AB]\d{3}$")
POSTCODE = re.compile(r"^\d{5}$")
_PHONE = re.compile(r"^(?:0\d{9}|\+33\d{9}|\d{3,4})$")  # national, international or short (3114)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_ORIGIN = re.compile(r"^https?://[a-z0-9.\-]+(?::\d+)?$", re.IGNORECASE)
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$", re.IGNORECASE)


class Invalid(ValueError):
    """A field value that does not fit its format."""


def text(value: Any) -> str:
    """Non-empty text, whitespace collapsed."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Invalid(f"texte attendu, trouvé {type(value).__name__}")
    s = " ".join(str(value).split())
    if not s:
        raise Invalid("texte vide")
    return s


def ident(value: Any) -> str:
    """A snake_case id."""
    s = text(value)
    if not ID.match(s):
        raise Invalid(f"identifiant invalide {s!r} (minuscules, chiffres et _)")
    return s


def _code(pattern: re.Pattern, what: str, width: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        # YAML reads 14118 as an int; a leading zero would be lost, so pad back.
        s = str(value).zfill(width) if isinstance(value, int) else text(value)
        s = s.replace(" ", "") if what == "code postal" else s
        if not pattern.match(s):
            raise Invalid(f"{what} invalide {s!r}")
        return s

    return check


insee = _code(INSEE, "code INSEE", 5)
postcode = _code(POSTCODE, "code postal", 5)


def _matching(
    pattern: re.Pattern, what: str, hint: str = "", strip: str = ""
) -> Callable[[Any], str]:
    """Checker of a text matching ``pattern`` once the characters of ``strip`` are removed."""

    def check(value: Any) -> str:
        s = text(value)
        if not pattern.match(re.sub(f"[{strip}]", "", s) if strip else s):
            raise Invalid(f"{what} invalide {s!r}{hint}")
        return s

    return check


phone = _matching(
    _PHONE,
    "numéro de téléphone",
    " (10 chiffres, +33 suivi de 9 chiffres, ou un numéro court)",
    r"\s.\-",
)
email = _matching(_EMAIL, "adresse e-mail")
url = _matching(_URL, "URL", " (http:// ou https:// attendu)")
origin = _matching(_ORIGIN, "origine", " (https://hote[:port], sans chemin ni / final)")


def date(value: Any) -> dt.date:
    """An ISO date (YAML may already have read it as a date)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid(f"date invalide {value!r} (AAAA-MM-JJ attendu)") from None


def coordinate(value: Any) -> float:
    """A latitude or longitude in decimal degrees."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or abs(value) > 180:
        raise Invalid(f"coordonnée invalide {value!r} (degrés décimaux attendus)")
    return float(value)


def boolean(value: Any) -> bool:
    """true or false, nothing else."""
    if not isinstance(value, bool):
        raise Invalid(f"true ou false attendu, trouvé {value!r}")
    return value


def age(value: Any) -> int:
    """An age in whole years, 0 to 120."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120:
        raise Invalid(f"âge invalide {value!r} (entier entre 0 et 120)")
    return value


def among(choices: Iterable[str], what: str) -> Callable[[Any], str]:
    """Checker of a value from a closed vocabulary."""
    allowed = frozenset(choices)

    def check(value: Any) -> str:
        s = text(value)
        if s not in allowed:
            raise Invalid(f"{what} inconnu {s!r} (attendu : {', '.join(sorted(allowed))})")
        return s

    return check


def list_of(item: Callable[[Any], Any]) -> Callable[[Any], tuple]:
    """Checker of a list (a single value counts as a list of one) of ``item``."""

    def check(value: Any) -> tuple:
        if isinstance(value, (str, int)):
            value = [value]
        if not isinstance(value, list):
            raise Invalid("liste attendue")
        return tuple(item(v) for v in value)

    return check


need = among(NEEDS, "besoin")
situation = among(SITUATIONS, "situation")
operator_type = among(OPERATOR_TYPES, "type d'opérateur")
