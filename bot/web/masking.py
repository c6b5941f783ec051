"""Finding e-mail addresses and phone numbers in text.

The gateway masks the ones a user types before anything leaves it, so they never reach Rasa,
the tracker store or any log; the same patterns turn the numbers the bot gives into ``tel:``
links. One definition of "a phone number" for both directions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL_MASK = "[e-mail masqué]"
PHONE_MASK = "[numéro masqué]"

EMAIL_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)

# French numbers as people write them: 0612345678, 06 12 34 56 78, 06.12.34.56.78,
# +33 6 12 34 56 78, 0033 (0)6…, and the "0 800 05 00 00" style of free lines.
_FR_PHONE = r"(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0\s?)[1-9](?:[\s.\-]?\d{2}){4}"
# Other international numbers: a plus sign and 8 to 15 digits with separators.
_INTL_PHONE = r"\+\d(?:[\s.\-]?\d){7,14}"
PHONE_RE = re.compile(rf"(?<![\w+])(?:{_FR_PHONE}|{_INTL_PHONE})(?!\d)")

# Three- and four-digit national numbers (3114, 3018, 119…) only count as phone numbers in the
# bot's own text when introduced as such ("appelle le 3114"); elsewhere they are ages or amounts.
SHORT_NUMBER_RE = re.compile(
    r"\b(?:le|au|composer?|appeler?)\s+(3\d{3}|11\d)\b(?![\s\u202f]?[€%\d])"
)


@dataclass(frozen=True)
class Masked:
    """Text with personal data replaced, and what kinds were found."""

    text: str
    emails: int
    phones: int

    @property
    def changed(self) -> bool:
        return bool(self.emails or self.phones)


def mask_personal_data(text: str) -> Masked:
    """Replace e-mail addresses and phone numbers in ``text`` by French placeholders."""
    # E-mails first: their local part may contain digit runs that look like a phone number.
    text, emails = EMAIL_RE.subn(EMAIL_MASK, text)
    text, phones = PHONE_RE.subn(PHONE_MASK, text)
    return Masked(text=text, emails=emails, phones=phones)


def tel_uri(number: str) -> str:
    """``tel:`` URI (RFC 3966) for a French or international number as written in a text."""
    digits = re.sub(r"\(0\)", "", number)
    digits = re.sub(r"[^\d+]", "", digits)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("0") and len(digits) == 10:
        digits = "+33" + digits[1:]
    return f"tel:{digits}"
