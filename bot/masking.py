"""Personal data in what people type, replaced by French placeholders before anything stores it.

One module for every place that could keep a user's words: the gateway masks each message before
calling Rasa, Boussole's Rasa input channel masks again for callers that bypass the gateway,
the stack writes the services' logs through :func:`mask_text`, the gateway's log formatter
(:class:`MaskingFormatter`) masks its own records, and the console masks the text it indexes,
exports and writes to review files. Masking is idempotent: masked text comes out unchanged.

What is masked (each with its placeholder, see ``PLACEHOLDERS``): phone numbers (Google's
``phonenumbers`` matcher, plus the French ways it refuses such as ``06/12/34/56/78``), e-mail
addresses (also spelled « arobase », « at », « point »), social-security numbers (NIR, with
their mod-97 key), IBANs (mod-97), bank cards (Luhn), any other run of nine digits or more,
identifiers given as such (France Travail, CAF, INE…), street addresses (number and street; the
postcode and commune stay, the routing needs them), dates of birth (the age is kept) and the
names that follow a self-introduction (« je m'appelle », « mon nom c'est », « moi c'est »…).

The same file also holds the patterns that turn the numbers and addresses in the bot's own
answers into ``tel:`` and ``mailto:`` links (``bot/web/messages.py``).
"""

from __future__ import annotations

import csv
import functools
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import phonenumbers

from bot.settings import PROJECT_ROOT
from knowledge.text import fold

EMAIL_MASK = "[e-mail masqué]"
PHONE_MASK = "[numéro masqué]"

# Kind → placeholder. The order is the priority when two findings overlap.
PLACEHOLDERS = {
    "email": EMAIL_MASK,
    "iban": "[IBAN masqué]",
    "card": "[carte bancaire masquée]",
    "nir": "[numéro de sécurité sociale masqué]",
    "france_travail": "[identifiant France Travail masqué]",
    "identifier": "[identifiant masqué]",
    "phone": PHONE_MASK,
    "number": PHONE_MASK,
    "birthdate": "[date de naissance masquée]",
    "address": "[adresse masquée]",
    "name": "[nom masqué]",
}
_PRIORITY = {kind: rank for rank, kind in enumerate(PLACEHOLDERS)}

# --- the bot's own text: links (bot/web/messages.py) ----------------------------------------------

EMAIL_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)

# French numbers as people write them: 0612345678, 06 12 34 56 78, 06.12.34.56.78,
# +33 6 12 34 56 78, 0033 (0)6…, and the "0 800 05 00 00" and "0 800 235 236" styles of free
# lines.
_FR_PHONE = (
    r"(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0\s?)[1-9](?:[\s./\-]?\d{2}){4}"
    r"|0\s?[1-9]\d{2}(?:[\s.\-]?\d{3}){2}"
)
# Other international numbers: a plus sign and 8 to 15 digits with separators.
_INTL_PHONE = r"\+\d(?:[\s.\-]?\d){7,14}"
PHONE_RE = re.compile(rf"(?<![\w+])(?:{_FR_PHONE}|{_INTL_PHONE})(?!\d)")

# What a short number is not when these follow it: an amount, a percentage, an age, a street
# number (« 119 rue … »).
_NOT_A_LINE_AFTER = (
    r"[\s\u00a0\u202f]?[€%]|[\s\u00a0\u202f](?:\d|ans\b|bis\b|ter\b|rue\b|avenue\b|av\.|bd\b"
    r"|boulevard\b|place\b|route\b|chemin\b|all[ée]e\b|impasse\b|quai\b|cours\b)"
)


def short_number_re(numbers: tuple[str, ...]) -> re.Pattern[str] | None:
    """The national short numbers (3114, 119, 3018… of contacts.yml) wherever the bot's text
    gives them, as group 1: not inside a longer number, a word or an address, nor an amount or
    an age. ``None`` when there are none."""
    if not numbers:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(numbers, key=len, reverse=True))
    return re.compile(
        rf"(?<![\w.,/+\-])(?<!\d[\s\u00a0\u202f])({alternatives})(?![\w]|[.,]\d)"
        rf"(?!{_NOT_A_LINE_AFTER})",
        re.IGNORECASE,
    )


def tel_uri(number: str) -> str:
    """``tel:`` URI (RFC 3966) for a French or international number as written in a text."""
    digits = re.sub(r"\(0\)", "", number)
    digits = re.sub(r"[^\d+]", "", digits)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("0") and len(digits) == 10:
        digits = "+33" + digits[1:]
    return f"tel:{digits}"


# --- what users type ------------------------------------------------------------------------------

_I = re.IGNORECASE
_L = r"A-Za-zÀ-ÖØ-öø-ÿœŒæÆ"  # letters, French accents included
_WORD = rf"[{_L}][{_L}'’\-]*"

# E-mail: the usual form, spaces around « @ », and the spelled ones. "at" and the bare
# provider form need a dot part; « arobase » is never anything else.
_DOT = r"(?:\s*\.\s*|\s+(?:point|dot)\s+|\s*[(\[{]\s*(?:point|dot)\s*[)\]}]\s*)"
_JOINER = r"point|dot|tiret|underscore|tiret\s+bas|tiret\s+du\s+bas"
_LOCAL = rf"[\w+\-]+(?:(?:\.|\s+(?:{_JOINER})\s+)[\w+\-]+)*"
_DOMAIN_PART = r"[\w\-]+"
_EMAIL_RES = [
    re.compile(rf"{_LOCAL}@{_DOMAIN_PART}(?:{_DOT}{_DOMAIN_PART})*", _I),
    re.compile(rf"{_LOCAL}\s*@\s*{_DOMAIN_PART}(?:{_DOT}{_DOMAIN_PART})+", _I),
    re.compile(
        rf"{_LOCAL}(?:\s*[(\[{{]\s*(?:at|arobase|arrobase)\s*[)\]}}]\s*"
        rf"|\s+(?:arobase|arobaze|arrobase|arobas|a\s+commercial)\s+)"
        rf"{_DOMAIN_PART}(?:{_DOT}{_DOMAIN_PART})*",
        _I,
    ),
    re.compile(rf"{_LOCAL}\s+at\s+{_DOMAIN_PART}(?:{_DOT}{_DOMAIN_PART})+", _I),
    # « leamartin76 sur gmail », « lea.martin chez hotmail point fr »
    re.compile(
        r"[\w+\-]*[\d._][\w.+\-]*\s+(?:sur|chez|at)\s+"
        r"(?:gmail|g\s?mail|hotmail|yahoo|outlook|orange|free|sfr|laposte|wanadoo|icloud|live"
        rf"|msn|bbox|neuf|proton(?:mail)?)(?:{_DOT}[a-z]{{2,4}})?\b",
        _I,
    ),
]

# Something every e-mail pattern below needs.
_EMAIL_HINT = re.compile(
    r"@|arob|arrob|\bat\b|commercial|gmail|g\s?mail|hotmail|yahoo|outlook|orange|free|sfr"
    r"|laposte|wanadoo|icloud|live|msn|bbox|neuf|proton",
    _I,
)

# Digit runs with the separators people use between groups.
_SEP = r"[ \t.\-/]?"
_DIGIT_RUN = re.compile(rf"(?<![\w+])\+?\d(?:{_SEP}\d)+(?!\d)")
# Where a phone number could be: eight digits or more, with what people put between them.
_PHONE_CANDIDATE = re.compile(r"[+(]?\d(?:[\s.\-()]{0,3}\d){7,}")
# Nine digits or more in one run are a phone, an account or an identifier, never an age,
# a postcode, a price or a year: masked whatever they are, unless named as a SIRET or SIREN
# (an employer's public registration number).
_LONG_RUN_DIGITS = 9
_COMPANY_NUMBER = re.compile(r"\b(?:siret|siren|n°\s*tva|tva\s+intra\w*)\b[^\d]{0,25}$", _I)

_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]{4}){2,7}(?:[ \-]?[A-Z0-9]{1,4})?\b", _I)
_IBAN_CONTEXT = re.compile(r"\b(?:iban|rib|bic|virement|compte\s+bancaire)\b", _I)
_CARD_CONTEXT = re.compile(r"\b(?:carte|cb|visa|mastercard|amex|bancaire|cvv|cryptogramme)\b", _I)
_NIR_CONTEXT = re.compile(
    r"\b(?:s[ée]cu|s[ée]curit[ée]\s+sociale|nir|carte\s+vitale|num[ée]ro\s+ss|n°\s*ss|ameli)\b", _I
)
_NIR_RE = re.compile(
    r"(?<![\w+])([1-478])[ .\-]?(\d{2})[ .\-]?(0[1-9]|1[0-2]|[2-9]\d)[ .\-]?(\d{2}|2[AB])"
    r"[ .\-]?(\d{3})[ .\-]?(\d{3})(?:[ .\-]?(\d{2}))?(?![\w])",
    _I,
)

# Identifiers given as such: « identifiant France Travail : 1234567A », « n° allocataire 1234567 ».
_FT_ID = re.compile(r"(?<![\w])\d{7}[A-Z](?![\w])", _I)
_ID_CONTEXT = re.compile(
    r"\b(?:identifiant|id|num[ée]ro|n°|no|num|matricule|allocataire|dossier|ine|caf)\b"
    r"(?:\s+(?:de|d'|du|demandeur|d'emploi|france\s+travail|p[ôo]le\s+emploi|caf|ine|allocataire"
    r"|dossier|inscription|[ée]tudiant|client|personnel))*"
    r"\s*(?:c'est|est|:|=|->|n°)?\s*(?:le\s+)?"
    r"(?P<value>(?=[A-Z0-9\-]*\d[A-Z0-9\-]*\d[A-Z0-9\-]*\d[A-Z0-9\-]*\d[A-Z0-9\-]*\d)"
    r"[A-Z0-9][A-Z0-9\-]{4,14})(?![\w])",
    _I,
)
_FT_WORDS = re.compile(r"france\s+travail|p[ôo]le[\s\-]+emploi|\bft\b|\bpe\b|demandeur", _I)

# Dates: 12/03/2007, 12.03.07, 12 03 2007, 3 mars 2007, 1er mars 2007, mars 2007.
_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "février": 2, "fevrier": 2, "févr": 2, "fev": 2, "fév": 2,
    "mars": 3, "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "août": 8,
    "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "décembre": 12, "decembre": 12, "déc": 12, "dec": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMERIC_DATE = re.compile(
    r"(?<![\d/.\-])(?P<d>0?[1-9]|[12]\d|3[01])\s?(?P<s>[/.\- ])\s?(?P<m>0?[1-9]|1[0-2])\s?(?P=s)\s?"
    r"(?P<y>(?:19|20)\d{2}|\d{2})(?![\d/])"
)
_TEXT_DATE = re.compile(
    rf"(?<![\w])(?:(?P<d>1er|0?[1-9]|[12]\d|3[01])\s+)?(?P<m>{_MONTH})\.?\s+(?P<y>(?:19|20)\d{{2}})\b"
    rf"|(?<![\w])(?P<d2>1er|0?[1-9]|[12]\d|3[01])\s+(?P<m2>{_MONTH})\b(?!\s+\d)",
    _I,
)
_DAY_MONTH = re.compile(
    r"(?<![\d/.\-])(?P<d>0?[1-9]|[12]\d|3[01])\s?/\s?(?P<m>0?[1-9]|1[0-2])(?![\d/])"
)
_BIRTH_CONTEXT = re.compile(
    r"\b(?:n[ée]e?s?|naissance|naiss|ddn|d\.d\.n\.?|anniversaire|anniv|birthday)\b[^.!?\n]{0,25}$",
    _I,
)

# Street addresses: number (bis, ter…) and street; the commune after it stays.
_STREET_PLAIN = (
    r"rue|ruelle|avenue|av|bd|bld|boulevard|impasse|imp|all[ée]e|all[ée]es|quai|lotissement"
    r"|faubourg|fbg|sente|venelle|rond[\s\-]point|lieu[\s\-]dit|hameau|chemin|route|rte"
    r"|esplanade|parvis|promenade|square|r[ée]sidence|r[ée]sid|cit[ée]"
)
# Also ordinary words (« 3 cours de maths », « 2 places en CAP »): a street only with a
# capitalised name (« 3 cours Clemenceau », « 12 place du Vieux-Marché »).
_STREET_AMBIGUOUS = r"place|pl|cours|cour|voie|mail|passage|domaine|clos|chauss[ée]e|carrefour|port"
_NUMBER = r"\d{1,4}(?:\s?(?:bis|ter|quater|[a-d])\b)?\s*,?\s*"
_LINK = r"(?:(?:de\s+la|de\s+l'|du|des|de|d'|la|le|les|l'|aux|au)\s*)"
_NAME_TOKEN = rf"(?:{_WORD}|\d{{1,4}}(?:er|e)?\b)"
_STREET_RE = re.compile(
    rf"(?<![\w])(?P<num>{_NUMBER})?(?P<type>{_STREET_PLAIN}|{_STREET_AMBIGUOUS})\.?\s+"
    rf"(?P<name>{_LINK}?{_NAME_TOKEN}(?:[\s\-]+{_LINK}?{_NAME_TOKEN}){{0,6}})",
    _I,
)
_STREET_HINT = re.compile(rf"\b(?:{_STREET_PLAIN}|{_STREET_AMBIGUOUS})\b", _I)
_AMBIGUOUS_TYPE = re.compile(rf"^(?:{_STREET_AMBIGUOUS})$", _I)
_HOME_CONTEXT = re.compile(
    r"\b(?:habite|habitons|habitez|vis|vit|domicili[ée]e?|adresse|demeure|log[ée]e?|loge|"
    r"chez\s+moi|r[ée]side)\b[^.!?\n]{0,20}$",
    _I,
)
_COMPLEMENT = re.compile(
    r"\s*,?\s*(?:(?:appartement|appart|apt|app|b[âa]timent|b[âa]t|[ée]tage|escalier|esc|porte|"
    r"bo[îi]te|bal|logement|log)\.?\s*(?:n°\s*)?[\w\-]{1,5}\s*,?\s*)+",
    _I,
)

# Words that end a street or a name: what follows them is the rest of the sentence.
_STOP = frozenset(
    re.findall(
        r"\S+",
        """à a au aux en dans sur sous chez vers près pres depuis pour par avec sans et ou mais donc
    car ni puis or comme que qui quoi quand où ou si je j tu il elle on nous vous ils elles me te
    se moi toi lui leur y est suis es sommes êtes sont ai as avons avez ont c ce cet cette ces ça
    ca mon ma mes ton ta tes son sa ses notre nos votre vos un une des du de d le la les l
    pas plus ne n bien aussi très tres trop déjà deja encore toujours jamais pareil même meme
    ici là la-bas oui non merci bonjour salut coucou svp stp sil plait bref enfin alors ok okay
    j'ai j'habite j'suis jsuis jai jhabite c'est cest comment pourquoi combien
    quel quelle quels quelles tout tous toute toutes rien personne ans an mois semaine
    cherche veux voudrais voulais aimerais souhaite peux peut fais fait faire être etre avoir
    habite vis vit travaille trouve""",
    )
)
# Inside a street name, the little words of « rue de la Paix » are not the end of it.
_STREET_STOP = _STOP - {"de", "du", "des", "d", "la", "le", "les", "l", "aux"}
# After « moi c'est », an ordinary word is not a name unless the sentence stops right there.
_NAME_TRIGGERS = re.compile(
    r"(?<![\w])(?:"
    r"(?P<self>(?:je\s+m['’\s]?\s*|j['’]?\s*m['’]?\s*|jm['’]?\s*)ap+el+e?(?![\w])|je\s+me\s+nomm?e"
    r"|mon\s+(?:nom|pr[ée]nom|nom\s+de\s+famille|blaze)\s*(?:c['’]?\s*est|cest|c|est|:|=)(?!\w)"
    r"|(?:^|\s)(?:nom|pr[ée]nom|nom\s+et\s+pr[ée]nom)\s*:"
    r"|(?:il|elle|fils|fille|enfant|fr[èe]re|s[œo]e?ur|neveu|ni[èe]ce|cousin|cousine|copain"
    r"|copine|ami|amie|m[èe]re|p[èe]re|conseill[eè]re?|r[ée]f[ée]rente?|[ée]ducat(?:eur|rice)"
    r"|patron|patronne|tuteur|tutrice|jeune)\s+s['’]?\s*ap+el+e(?![\w]))"
    r"|(?P<moi>moi\s+c['’]?\s*est|moi\s+cest|moi\s+c(?!\w)|ici\s+c['’]?\s*est)"
    r"|(?P<intro>(?:^|bonjour|bjr|salut|slt|bonsoir|coucou|cc|hello|,)\s*"
    r"(?:je\s+suis|j['’]?\s*suis|chui|ch['’]?\s*suis)(?=\s+[A-ZÀ-Ö][a-zà-ÿ]))"
    r"|(?P<civil>\b(?:monsieur|madame|mademoiselle|mme|mlle|mr|m\.))"
    r")\s*[:,]?\s*",
    _I,
)
_NAME_WORD = re.compile(rf"{_WORD}")
# Capitalised after « je suis » without being names.
_NOT_NAMES = frozenset(
    re.findall(
        r"\S+",
        """maman papa parent parents mere pere apprenti apprentie stagiaire eleve jeune majeur
        mineur mineure perdu perdue seul seule la ok dispo pret prete libre lyceen lyceenne
        collegien collegienne etudiant etudiante boursier boursiere chomeur chomeuse interimaire
        salarie salariee benevole handicape handicapee refugie refugiee sportif sportive
        motive motivee inscrit inscrite enceinte celibataire marie mariee veuf veuve neet
        decrocheur decrocheuse intermittent intermittente auto entrepreneur conseiller
        conseillere referent referente educateur educatrice infirmier infirmiere professeur prof
        cpe cio bac deja encore toujours vraiment trop tres assez bien mal""",
    )
)
# Endings of French adjectives and nouns (« moi c'est compliqué », « je suis Normande »):
# after « moi c'est » or « je suis », such a word is not taken for a name.
_COMMON_ENDING = re.compile(
    r"(?:ée?s?|ment|tion|sion|ique|able|ible|eux|euse|if|ive|al|ale|aux|ant|ante|ent|ente"
    r"|age|isme|iste|ure|eur|eure|oire|ais|aise|ois|oise|ande)$",
    _I,
)
_TIMESTAMP = re.compile(
    r"(?<!\d)(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"(?:[ T](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?)?(?!\d)"
    # Unix time in seconds (2017 to 2033), as Rasa's events and JSON logs write it.
    r"|(?<![\d.])1[5-9]\d{8}(?:\.\d+)?(?![\d.])"
    # Durations in seconds (« 0.412 »), as the gateway's access log ends each line.
    r"|(?<![\d.])\d\.\d{3,}(?![\d.])"
)
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in sorted(set(PLACEHOLDERS.values()))))


@dataclass(frozen=True)
class _Finding:
    start: int
    end: int
    kind: str
    suffix: str = ""  # kept after the placeholder (the age after a date of birth)


@dataclass(frozen=True)
class Masked:
    """Text with personal data replaced, and how many of each kind were found."""

    text: str
    found: Counter = field(default_factory=Counter)

    @property
    def emails(self) -> int:
        return self.found["email"]

    @property
    def phones(self) -> int:
        return self.found["phone"] + self.found["number"]

    @property
    def changed(self) -> bool:
        return bool(self.found)


@functools.cache
def _commune_names() -> frozenset[str]:
    """Normandy commune names (accents, case and hyphens ignored), so addresses keep them."""
    path = PROJECT_ROOT / "knowledge" / "data" / "territories" / "communes.csv"
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            names = {fold(row["nom"], words_only=True) for row in csv.DictReader(handle)}
    except (OSError, KeyError, csv.Error):
        names = set()
    return frozenset(names | {"paris", "lyon", "marseille", "lille", "nantes", "rennes"})


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _luhn(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _iban_valid(candidate: str) -> bool:
    compact = re.sub(r"[\s\-]", "", candidate).upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _nir_key_valid(match: re.Match) -> bool:
    body = "".join(match.group(i) for i in range(1, 7)).upper()
    body = body.replace("2A", "19").replace("2B", "18")
    key = match.group(7)
    return key is not None and 97 - int(body) % 97 == int(key)


def _before(text: str, start: int, width: int = 40) -> str:
    return text[max(0, start - width) : start]


def _emails(text: str) -> list[_Finding]:
    return [_Finding(m.start(), m.end(), "email") for rx in _EMAIL_RES for m in rx.finditer(text)]


def _ibans(text: str) -> list[_Finding]:
    found = []
    for m in _IBAN_RE.finditer(text):
        if not re.search(r"\d", m.group(0)[4:]):
            continue
        if _iban_valid(m.group(0)) or _IBAN_CONTEXT.search(_before(text, m.start(), 60)):
            found.append(_Finding(m.start(), m.end(), "iban"))
    return found


def _numbers(text: str) -> list[_Finding]:
    """Cards (Luhn), social-security numbers (key) and any other run of 9 digits or more."""
    found = []
    for m in _NIR_RE.finditer(text):
        if _nir_key_valid(m) or _NIR_CONTEXT.search(_before(text, m.start(), 60)):
            found.append(_Finding(m.start(), m.end(), "nir"))
    for m in _DIGIT_RUN.finditer(text):
        digits = _digits(m.group(0))
        context = _before(text, m.start(), 60)
        if 13 <= len(digits) <= 19 and (
            (_luhn(digits) and len(digits) != 14) or _CARD_CONTEXT.search(context)
        ):
            found.append(_Finding(m.start(), m.end(), "card"))
        elif len(digits) >= _LONG_RUN_DIGITS and not _COMPANY_NUMBER.search(context):
            found.append(_Finding(m.start(), m.end(), "number"))
    return found


def _phones(text: str) -> list[_Finding]:
    # The matcher refuses digit groups joined by slashes (it takes them for dates):
    # it reads a copy with spaces instead, of the same length so the offsets still hold.
    shadow = re.sub(r"(?<=\d)/(?=\d)", " ", text)
    found = []
    # The matcher is slow on long texts: it reads only the stretches dense in digits.
    for candidate in _PHONE_CANDIDATE.finditer(shadow):
        offset = max(0, candidate.start() - 2)
        window = shadow[offset : candidate.end() + 2]
        found += [
            _Finding(offset + m.start, offset + m.end, "phone")
            for m in phonenumbers.PhoneNumberMatcher(
                window, "FR", leniency=phonenumbers.Leniency.POSSIBLE
            )
        ]
    found += [_Finding(m.start(), m.end(), "phone") for m in PHONE_RE.finditer(text)]
    # A SIREN (9 digits) can pass for a phone number without its leading 0.
    return [f for f in found if not _COMPANY_NUMBER.search(_before(text, f.start, 60))]


def _identifiers(text: str) -> list[_Finding]:
    found = [_Finding(m.start(), m.end(), "france_travail") for m in _FT_ID.finditer(text)]
    for m in _ID_CONTEXT.finditer(text):
        words = text[max(0, m.start() - 30) : m.start("value")]
        kind = "france_travail" if _FT_WORDS.search(words) else "identifier"
        found.append(_Finding(m.start("value"), m.end("value"), kind))
    return found


def _year(raw: str, today: date) -> int:
    year = int(raw)
    if len(raw) == 2:
        year += 2000 if year <= today.year % 100 else 1900
    return year


def _age(day: int, month: int, year: int, today: date) -> int | None:
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age if 0 <= age < 120 else None


def _birthdates(text: str, today: date) -> list[_Finding]:
    found = []
    candidates: list[tuple[re.Match, int | None, int, int | None]] = []
    for m in _NUMERIC_DATE.finditer(text):
        candidates.append((m, int(m["d"]), int(m["m"]), _year(m["y"], today)))
    for m in _TEXT_DATE.finditer(text):
        day = m["d"] or m["d2"]
        month = _MONTHS[(m["m"] or m["m2"]).lower()]
        year = int(m["y"]) if m["y"] else None
        candidates.append((m, 1 if day in (None, "1er") else int(day), month, year))
    for m in _DAY_MONTH.finditer(text):
        candidates.append((m, int(m["d"]), int(m["m"]), None))
    for m, day, month, year in candidates:
        in_context = bool(_BIRTH_CONTEXT.search(_before(text, m.start())))
        # A full date in a plausible birth year is masked even without « né le »; a day and a
        # month alone, or a month and a year, only when said to be a birth date.
        plausible = year is not None and today.year - 100 <= year <= today.year - 8
        if not in_context and not (plausible and m.re is _NUMERIC_DATE):
            continue
        age = _age(day, month, year, today) if (in_context and year) else None
        found.append(_Finding(m.start(), m.end(), "birthdate", f" ({age} ans)" if age else ""))
    return found


def _trim_street_name(text: str, start: int, end: int) -> int:
    """End of a street name: before a stop word, a postcode or a commune named without « à »."""
    words = list(re.finditer(rf"{_WORD}|\d+", text[start:end]))
    cut = end
    for index, word in enumerate(words):
        following = words[index + 1].group(0) if index + 1 < len(words) else ""
        if word.group(0).casefold() == "et" and following[:1].isupper():
            continue  # rue Pierre et Marie Curie
        if index and fold(word.group(0)) in _STREET_STOP:
            cut = start + word.start()
            break
    kept = [w for w in words if start + w.end() <= cut]
    # « 12 rue des Lilas Rouen »: a trailing commune name not linked by « de » stays outside.
    communes = _commune_names()
    for size in (3, 2, 1):
        if len(kept) > size:
            tail = kept[-size:]
            name = text[start + tail[0].start() : start + tail[-1].end()]
            before = kept[-size - 1].group(0).casefold()
            linked = before in ("de", "du", "des", "d", "la", "le")
            if fold(name, words_only=True) in communes and not linked:
                cut = start + tail[0].start()
                break
    return len(text[:cut].rstrip(" ,-")) if cut > start else start


def _addresses(text: str) -> list[_Finding]:
    found = []
    if not _STREET_HINT.search(text):
        return found
    for m in _STREET_RE.finditer(text):
        name_start = m.start("name")
        name_end = _trim_street_name(text, name_start, m.end("name"))
        name = text[name_start:name_end]
        first = re.sub(rf"^{_LINK}", "", name, flags=_I).strip()
        if not first or fold(first.split()[0]) in _STOP:
            continue
        ambiguous = bool(_AMBIGUOUS_TYPE.match(m["type"]))
        if ambiguous and not first[:1].isupper():
            continue
        if not m["num"] and not _HOME_CONTEXT.search(_before(text, m.start())):
            # Without a number, a street counts only where someone says they live there,
            # and never in « à la rue ».
            continue
        end = name_end
        complement = _COMPLEMENT.match(text, end)
        if complement:
            end = len(text[: complement.end()].rstrip(" ,"))
        found.append(_Finding(m.start(), end, "address"))
    return found


def _names(text: str) -> list[_Finding]:
    found = []
    for m in _NAME_TRIGGERS.finditer(text):
        position, words = m.end(), []
        while len(words) < 3:
            word = _NAME_WORD.match(text, position)
            if not word or fold(word.group(0).strip("'’-")) in _STOP:
                break
            if re.match(r"[jdlcmnst]['’]", word.group(0), _I):  # j'ai, c'est…
                break
            if m["civil"] and not word.group(0)[:1].isupper():
                break
            words.append(word)
            position = word.end()
            gap = re.match(r"[ \t]+", text[position:])
            if not gap:
                break
            position += gap.end()
        if not words:
            continue
        lowercase = not words[0].group(0)[:1].isupper()
        if (m["intro"] or (m["moi"] and lowercase)) and _COMMON_ENDING.search(words[0].group(0)):
            continue
        if m["intro"]:
            # « je suis Léa Martin », « jsuis Enzo », not « je suis Français » nor « je suis
            # Apprenti »: capitalised words, none of them a common word or a commune.
            words = [w for w in words if w.group(0)[:1].isupper()][:2]
            first = fold(words[0].group(0)) if words else ""
            if not words or first in _NOT_NAMES or fold(first, words_only=True) in _commune_names():
                continue
        if m["moi"] and not words[0].group(0)[:1].isupper():
            # « moi c'est pareil », « moi c'est cuisine que je veux »: a lowercase word after
            # « moi c'est » is a name only when the sentence stops right after it.
            rest = text[words[0].end() :]
            if len(words) > 1 or not re.match(r"\s*(?:$|[,.!?;]|et\b|j['’]|je\b)", rest, _I):
                continue
        found.append(_Finding(words[0].start(), words[-1].end(), "name"))
    return found


def _merge(findings: list[_Finding]) -> list[_Finding]:
    """Overlapping findings become one, of the most specific kind among them."""
    merged: list[_Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            best = min(last, finding, key=lambda f: _PRIORITY[f.kind])
            merged[-1] = _Finding(last.start, max(last.end, finding.end), best.kind, best.suffix)
        else:
            merged.append(finding)
    return merged


def _outside_placeholders(text: str, findings: list[_Finding]) -> list[_Finding]:
    """Findings that touch neither a placeholder nor a timestamp (« 2026-12-01 18:08:56 »
    starts every log line, « 1764612345.12 » is in every event: their digits are no phone)."""
    spans = [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
    spans += [(m.start(), m.end()) for m in _TIMESTAMP.finditer(text)]
    return [f for f in findings if not any(s < f.end and f.start < e for s, e in spans)]


def mask_personal_data(text: str, today: date | None = None) -> Masked:
    """``text`` NFKC-normalised, with its personal data replaced by French placeholders.

    ``today`` is the date the age kept after a masked date of birth is counted from.
    """
    text = unicodedata.normalize("NFKC", text)
    today = today or date.today()
    # Each detector runs only where it could find something: most messages hold few digits
    # and no « @ », and the phone matcher and the e-mail patterns are the costly ones.
    digits = sum(c.isdigit() for c in text)
    findings = _addresses(text) + _names(text)
    if digits:
        findings += _birthdates(text, today)
    if digits >= 5:
        findings += _identifiers(text)
    if digits >= 8:
        findings += _ibans(text) + _numbers(text) + _phones(text)
    if _EMAIL_HINT.search(text):
        findings += _emails(text)
    findings = _merge(_outside_placeholders(text, findings))
    if not findings:
        return Masked(text)
    parts, position = [], 0
    for finding in findings:
        parts.append(text[position : finding.start])
        parts.append(PLACEHOLDERS[finding.kind] + finding.suffix)
        position = finding.end
    parts.append(text[position:])
    return Masked("".join(parts), Counter(f.kind for f in findings))


def mask_text(text: str) -> str:
    """The masked text alone (logs, exports, review files)."""
    return mask_personal_data(text).text


class MaskingFormatter(logging.Formatter):
    """A log formatter whose output, tracebacks included, goes through :func:`mask_text`."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))
