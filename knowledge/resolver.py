"""Commune resolver: find Normandy communes in a mention or a whole informal sentence.

Built in memory from the loaded knowledge base (a few thousand names), it answers in microseconds:

* names are compared as *compact keys*: lower case, no accents, no spaces/hyphens/apostrophes,
  "st"/"ste" → "saint"/"sainte", "s/" → "sur" — so "st etienne du rouvray" and
  "Saint-Étienne-du-Rouvray" meet on ``saintetiennedurouvray``;
* typos are found with a symmetric one-deletion index (every key with one letter removed), checked
  with the OSA edit distance; long names also accept two edits through a bounded rapidfuzz scan;
  short names never match fuzzily, so "Eu" cannot come from "en";
* names that are ordinary words ("Eu", "Vieux", "Le Trait"…) only match in a place context: after
  "à"/"habite"/"vers"…, capitalised inside a sentence, or alone as the whole message;
* names written by ear ("Bernai", "Yvto", "Fécan", "Doville") meet on a French phonetic key
  (``knowledge.text.sound_key``), tried only where nothing else matched and a place is expected
  (after "à"/"habite"… or as the whole message), and never on a word of the near-words list;
* a name with a small word left out ("Saint-Pierre Dives", "Pont Évêque") matches on its
  *skeleton*, the name without "sur", "de", "en", "les"…;
* postcodes ("76000", "76 000"), former communes (→ current commune; a former commune whose name
  is also a current name or the first words of other communes ties with them, so that all are
  offered), and narrowing of homonyms by département ("dans l'Eure", "(27)", "Calvados") or by a
  postcode in the same text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge.models import Commune, CommuneMatch, Departement, FormerCommune, Mention
from knowledge.text import fold, sound_key

_TOKEN = re.compile(r"[a-z0-9œæ]+")
_DIGIT = re.compile(r"\d")
_POSTCODE = re.compile(r"(?<![\d])(14|27|50|61|76)\s?(\d{3})(?![\d])(?!\s?(?:€|eur|k€))")
_DEP_NUMBER = re.compile(
    r"\((14|27|50|61|76)\)|\b(?:dans le|département|departement|dép|dep)\s*(14|27|50|61|76)\b", re.I
)

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
# Words after which a place name is expected. "a" (à without accent) and "de" are weak: they also
# come before ordinary words ("il a eu", "beaucoup de portes"), so they do not license names that
# are ordinary words.
_STRONG_CUES = {
    "habite", "jhabite", "habites", "vis", "vit", "suis", "vers", "pres", "proche", "cote",
    "commune", "ville", "secteur", "coin", "sur", "au", "aux", "dans", "chez", "sortie",
}  # fmt: skip
_PLACE_VERBS = {
    "habite", "jhabite", "habites", "habitons", "habitez", "habitent", "vis", "vit", "vivons",
    "suis", "chui", "jsuis", "reside", "demenage", "bosse", "travaille", "etudie", "vais",
    "proche", "pres", "cote", "loin", "autour", "environs", "formation", "stage", "apprentissage",
    "alternance", "boulot", "travail", "emploi", "job", "lycee", "college", "fac",
}  # fmt: skip
_WEAK_CUES = {"a", "de", "d", "du", "en", "entre", "et", "ou", "loin", "mission", "locale", "ml"}
_FILLERS = {
    "je", "j", "suis", "chui", "jsuis", "habite", "jhabite", "vis", "a", "de", "d", "sur", "la",
    "le", "les", "l", "ma", "mon", "ville", "commune", "c", "est", "moi", "bonjour", "salut",
    "bjr", "slt", "merci", "stp", "svp", "oui", "ben", "bah", "euh", "hello", "coucou", "pres",
    "vers", "au", "aux", "dans", "du", "en", "region", "secteur", "coin", "et", "cote",
}  # fmt: skip
_ARTICLES = ("le", "la", "les", "l")
# Words that never begin (articles aside) or end a commune name: typo windows skip them.
_NOT_EDGE = _FILLERS | {
    "un", "une", "des", "pour", "avec", "mais", "ou", "qui", "que", "quoi", "depuis", "est",
    "stp", "svp", "sur", "en", "du", "de", "d", "et", "aux", "au", "je", "j", "tu", "il", "on",
}  # fmt: skip
_CONNECTORS = {
    "en",
    "sur",
    "sous",
    "les",
    "la",
    "le",
    "l",
    "de",
    "du",
    "des",
    "d",
    "aux",
    "au",
    "et",
}
_NOT_HEADS = {  # first words too ordinary to stand for a commune on their own
    "saint",
    "sainte",
    "notre",
    "notredame",
    "grand",
    "grande",
    "petit",
    "petite",
    "mesnil",
    "menil",
    "neuville",
    "bosc",
    "belle",
    "haute",
    "basse",
    "champ",
    "croix",
    "fontaine",
    "rouge",
    "terre",
    "vieille",
    "neuve",
    "moulin",
    "moulins",
    "chateau",
    "forges",
    "marais",
    "foret",
}
_NEGATIVE_CUES = {"appelle", "mappelle", "prenom", "nom", "pseudo", "frere", "soeur", "ami", "pote"}
MAX_HEAD_COMMUNES = 4
MAX_VAGUE_HEAD = 40
_DEPARTEMENT_WORDS = {"calvados": "14", "eure": "27", "manche": "50", "orne": "61"}

# Scores: exact current name first, then the other ways of matching.
SCORE_NAME = 1.0
SCORE_ALIAS = 0.97  # name without its article ("havre" for Le Havre)
SCORE_FORMER = 0.95
SCORE_HEAD = 0.9  # first words of a longer name ("Cherbourg" for Cherbourg-en-Cotentin)
SCORE_VAGUE_HEAD = 0.8  # first words shared by many communes ("Saint-Aubin")
SCORE_POSTCODE_ONE = 1.0
SCORE_POSTCODE_MANY = 0.9
TYPO_PENALTY = 0.08  # per edit
_KIND_SCORES = {
    "name": SCORE_NAME,
    "alias": SCORE_ALIAS,
    "former_commune": SCORE_FORMER,
    "head": SCORE_HEAD,
}
SHORT_NAME = 3  # compact length up to which a name counts as an ordinary word (Eu, Ry, Ifs…)
LONG_NAME = 10  # compact length from which two typos are forgiven
# Written by ear: a typed key this long and a sound key this long at least; the spelling may
# still differ by this many edits at most ("Yvto"/"Yvetot" 2, "Doville"/"Deauville" 2).
SOUND_MIN_KEY = 4
SOUND_MIN_SOUND = 3
SOUND_MAX_EDITS = 3
SKELETON_MIN = 8  # compact length of a name's skeleton (its words without "sur", "de"…)


@dataclass(frozen=True)
class _Token:
    text: str  # folded, abbreviations expanded
    start: int
    end: int


def tokenize(text: str) -> list[_Token]:
    """Word tokens of ``text`` with their offsets in the ORIGINAL text."""
    folded = fold(text, keep_length=True)
    tokens = []
    for m in _TOKEN.finditer(folded):
        word = m.group().replace("œ", "oe").replace("æ", "ae")
        if word == "s" and folded[m.end() : m.end() + 1] == "/":
            word = "sur"
        word = _ABBREVIATIONS.get(word, word)
        tokens.append(_Token(word, m.start(), m.end()))
    return tokens


def compact(text: str) -> str:
    """The comparison key of a name: folded, abbreviations expanded, no separators."""
    return "".join(t.text for t in tokenize(text))


@dataclass(frozen=True)
class _Entry:
    insee: str  # the CURRENT commune
    kind: str  # name | alias | former_commune | head
    label: str  # the name as written in the COG
    tokens: int  # number of words of the name


@dataclass(frozen=True)
class _Span:
    start: int  # token indexes, end exclusive
    end: int
    matches: tuple[CommuneMatch, ...]
    weight: float


class CommuneResolver:
    """In-memory index of Normandy communes; see the module docstring for what it forgives."""

    def __init__(
        self,
        communes: Iterable[Commune],
        former_communes: Iterable[FormerCommune] = (),
        departements: Iterable[Departement] = (),
        common_words: Iterable[str] = (),
        outside_places: Iterable[str] = (),
        near_words: Iterable[str] = (),
    ) -> None:
        self.communes: dict[str, Commune] = {c.insee: c for c in communes}
        self.exact: dict[str, list[_Entry]] = defaultdict(list)
        self.deletes: dict[str, set[str]] = defaultdict(set)
        self.by_start: dict[tuple[str, int], list[str]] = defaultdict(list)
        self.postcodes: dict[str, list[str]] = defaultdict(list)
        self.departement_names = dict(_DEPARTEMENT_WORDS)
        for d in departements:
            self.departement_names[compact(d.name)] = d.code
        self.common = {compact(w) for w in common_words}
        self.outside = {compact(w) for w in outside_places}
        # French words one or two typos away from a name ("merci"/Merri, "sport"/Yport): a
        # correctly spelt word is never read as a misspelt commune.
        self.near = {compact(w) for w in near_words}
        self.vague: set[str] = set()

        for c in self.communes.values():
            self._add(c.name, _Entry(c.insee, "name", c.name, len(tokenize(c.name))))
            for pc in c.postcodes:
                self.postcodes[pc].append(c.insee)
        for f in former_communes:
            if f.parent_insee in self.communes:
                self._add(
                    f.name, _Entry(f.parent_insee, "former_commune", f.name, len(tokenize(f.name)))
                )
        self._add_aliases()
        self._add_skeletons(former_communes)
        self._add_sounds()
        self._add_former_ties()
        for key in self.exact:
            self.by_start[(key[0], len(key))].append(key)
        self.max_key_length = max((len(k) for k in self.exact), default=0) + 2
        self.prefixes = {key[:k] for key in self.exact for k in range(1, len(key) + 1)}
        self._cache: dict[tuple, tuple[CommuneMatch, ...]] = {}
        self.max_tokens = max((e.tokens for es in self.exact.values() for e in es), default=1)

    def _add_aliases(self) -> None:
        """Short forms people use: "Havre" (no article), "Cherbourg" (head of a long name).

        Added once every full name is known, so an alias never hides a real name; a head shared
        by too many communes ("Saint-Pierre…") says nothing and is left out.
        """
        heads: dict[str, list[_Entry]] = defaultdict(list)
        pending: list[tuple[str, _Entry]] = []
        for entries in list(self.exact.values()):
            for e in entries:
                words = [t.text for t in tokenize(e.label)]
                rest = "".join(words[1:])
                if words[0] in _ARTICLES:
                    if len(rest) >= 5 and rest not in self.exact:
                        pending.append((rest, _Entry(e.insee, "alias", e.label, len(words) - 1)))
                        if "".join(words) in self.common:
                            self.common.add(rest)  # "places" is as ordinary as "Les Places"
                    continue
                # Every leading part that ends on a full word: "Port-en-Bessin" for
                # Port-en-Bessin-Huppain, "Bagnoles" and "Bagnoles de l'Orne" for Bagnoles de
                # l'Orne Normandie, never "Port-en" or "Saint".
                for cut in range(1, len(words)):
                    if words[cut - 1] in _CONNECTORS or words[cut - 1] in _NOT_HEADS:
                        continue
                    head = "".join(words[:cut])
                    if len(head) >= 5 and head not in self.outside:
                        heads[head].append(_Entry(e.insee, "head", e.label, cut))
        for key, entry in pending:
            self._index(key, entry)
        for head, entries in heads.items():
            communes = {e.insee for e in entries}
            if len(communes) > MAX_VAGUE_HEAD:
                continue
            precise = len(communes) <= MAX_HEAD_COMMUNES
            if not precise:
                self.vague.add(head)  # "Saint-Aubin": every one of them, but never by typo
            if len(head) < 8 and head not in self.exact:
                self.common.add(head)  # "Forges", "Terres": ordinary words too
            for e in entries:
                self._index(head, e, fuzzy=precise)

    def _add_skeletons(self, former_communes: Iterable[FormerCommune]) -> None:
        """Names without their small words, for those who leave one out ("Pont Évêque")."""
        self.skeletons: dict[str, list[_Entry]] = defaultdict(list)
        names = [(c.insee, c.name, "name") for c in self.communes.values()]
        names += [
            (f.parent_insee, f.name, "former_commune")
            for f in former_communes
            if f.parent_insee in self.communes
        ]
        for insee, name, kind in names:
            words = [t.text for t in tokenize(name)]
            core = [w for w in words if w not in _CONNECTORS]
            skeleton = "".join(core)
            if len(core) < 2 or len(core) == len(words) or len(skeleton) < SKELETON_MIN:
                continue
            if skeleton in self.exact:
                continue  # never hide a real name or head
            entry = _Entry(insee, kind, name, len(words))
            if entry not in self.skeletons[skeleton]:
                self.skeletons[skeleton].append(entry)

    def _add_sounds(self) -> None:
        """Sound key → index keys, for names written by ear; vague heads are left out."""
        self.sounds: dict[str, list[str]] = defaultdict(list)
        for key, entries in self.exact.items():
            if len(key) < SOUND_MIN_KEY or key in self.vague:
                continue
            spellings = {key}
            # "ç" is lost when folding; the written name still says how it sounds (Alençon).
            spellings.update(e.label for e in entries if e.kind != "head" and "ç" in e.label)
            for sound in {sound_key(s) for s in spellings}:
                if len(sound) >= SOUND_MIN_SOUND:
                    self.sounds[sound].append(key)

    def _add_former_ties(self) -> None:
        """A former commune named like current communes, or like their first words, ties with them.

        "Anctoville" is a former commune (now in Aurseulles) and the start of
        Anctoville-sur-Boscq: the person may mean either, so both are offered.
        """
        self.former_ties: dict[str, float] = {}
        for key, entries in self.exact.items():
            formers = {e.insee for e in entries if e.kind == "former_commune"}
            if not formers:
                continue
            others = [
                _KIND_SCORES[e.kind]
                for e in entries
                if e.kind != "former_commune"
                and e.insee not in formers
                and not (e.kind == "head" and key in self.vague)
            ]
            if others:
                self.former_ties[key] = max(others)

    def _add(self, name: str, entry: _Entry) -> None:
        self._index(compact(name), entry)

    def _index(self, key: str, entry: _Entry, fuzzy: bool = True) -> None:
        if not key:
            return
        if not self.exact[key] and fuzzy and len(key) >= 5:
            for i in range(len(key)):
                self.deletes[key[:i] + key[i + 1 :]].add(key)
        if entry not in self.exact[key]:
            self.exact[key].append(entry)

    # -- matching one compact key ----------------------------------------------------------

    def _fuzzy_keys(self, key: str) -> list[tuple[str, int]]:
        """Index keys within the allowed edit distance of ``key``: [(key, distance)]."""
        n = len(key)
        if n < 5 or key in self.outside or key in self.near:
            return []
        allowed = 1 if n < LONG_NAME else 2
        candidates = set(self.deletes.get(key, ()))
        for i in range(n):
            shorter = key[:i] + key[i + 1 :]
            if shorter in self.exact:
                candidates.add(shorter)
            candidates.update(self.deletes.get(shorter, ()))
        found = []
        for cand in candidates:
            d = OSA.distance(key, cand, score_cutoff=allowed)
            if d <= allowed:
                found.append((cand, d))
        if not found and allowed == 2:
            # Two edits are only credible when the first letter is right ("beaucoup" is not
            # "Beaufour"); the scan is bounded to names of similar length.
            pool = [
                k for length in range(n - 2, n + 3) for k in self.by_start.get((key[0], length), ())
            ]
            for cand, d, _ in process.extract(
                key, pool, scorer=OSA.distance, score_cutoff=2, limit=5
            ):
                found.append((cand, int(d)))
        return found

    def _sound_keys(self, key: str) -> list[str]:
        """Index keys that sound like ``key`` and are spelt not too differently."""
        if len(key) < SOUND_MIN_KEY or key in self.outside or key in self.near:
            return []
        candidates = self.sounds.get(sound_key(key), ())
        return [
            cand
            for cand in candidates
            if OSA.distance(key, cand, score_cutoff=SOUND_MAX_EDITS) <= SOUND_MAX_EDITS
        ]

    def _ordinary(self, key: str) -> bool:
        return key in self.common or len(key) <= SHORT_NAME

    def _exact_matches(self, key: str, ntokens: int, ordinary_ok: bool) -> tuple:
        """Candidates of an exact key (cached: the index is fixed)."""
        cache_key = (key, ntokens, ordinary_ok)
        found = self._cache.get(cache_key)
        if found is None:
            ok = ordinary_ok or not self._ordinary(key)
            found = tuple(self._candidates([(key, 0, "")], ntokens)) if ok else ()
            self._cache[cache_key] = found
        return found

    def _fuzzy_matches(self, key: str, ntokens: int, ordinary_ok: bool) -> list[CommuneMatch]:
        hits = [
            (k, d, f"~{d}")
            for k, d in self._fuzzy_keys(key)
            if ordinary_ok or not self._ordinary(k)
        ]
        return self._candidates(hits, ntokens)

    def _sound_matches(self, key: str, ntokens: int, ordinary_ok: bool) -> list[CommuneMatch]:
        hits = [
            (k, 1, "~sound") for k in self._sound_keys(key) if ordinary_ok or not self._ordinary(k)
        ]
        return self._candidates(hits, ntokens)

    def _skeleton_matches(self, words: list[str]) -> list[CommuneMatch]:
        """Communes whose name, small words left out, is ``words`` with theirs left out."""
        skeleton = "".join(w for w in words if w not in _CONNECTORS)
        if skeleton not in self.skeletons:
            return []
        return self._candidates([(skeleton, 1, "~word")], 1, self.skeletons)

    def _candidates(
        self,
        hits: list[tuple[str, int, str]],
        ntokens: int,
        table: dict[str, list[_Entry]] | None = None,
    ) -> list[CommuneMatch]:
        """Scored communes for index keys ``hits``: (key, edits to forgive, how it was found)."""
        table = self.exact if table is None else table
        best: dict[str, CommuneMatch] = {}
        for k, edits, mark in hits:
            for e in table[k]:
                if ntokens > e.tokens:
                    continue  # "de ville" must not become "Déville": never split a name's word
                vague = e.kind == "head" and k in self.vague
                base = SCORE_VAGUE_HEAD if vague else _KIND_SCORES[e.kind]
                if e.kind == "former_commune" and table is self.exact:
                    base = self.former_ties.get(k, base)
                score = round(base - TYPO_PENALTY * edits, 4)
                how = "name" if e.kind == "name" else f"{e.kind}:{e.label}"
                how = f"{how}{mark}"
                c = self.communes[e.insee]
                if c.insee not in best or best[c.insee].score < score:
                    best[c.insee] = CommuneMatch(
                        c.insee, c.name, c.departement, score, c.postcodes, how
                    )
        return self._ranked(best.values())

    def _ranked(self, matches: Iterable[CommuneMatch]) -> list[CommuneMatch]:
        pop = self.communes
        return sorted(matches, key=lambda m: (-m.score, -pop[m.insee].population, m.insee))

    # -- sentences --------------------------------------------------------------------------

    def find_mentions(self, text: str) -> list[Mention]:
        """Every place mention of ``text`` (offsets in the original text), in reading order."""
        tokens = tokenize(text)
        spans: list[_Span] = []
        n_tok = len(tokens)
        if n_tok and not _DIGIT.search(text):
            # Fast path: the whole message is a name ("Saint-Lô", "evreux").
            whole = "".join(t.text for t in tokens)
            found = self._exact_matches(whole, n_tok, True) if whole in self.exact else ()
            if found and found[0].score >= SCORE_HEAD:
                start, end = tokens[0].start, tokens[-1].end
                return [Mention(start, end, text[start:end], found)]
        # filler_before[i]: tokens[:i] are all fillers; filler_after[j]: tokens[j:] are.
        filler_before = [True] * (n_tok + 1)
        for k, t in enumerate(tokens):
            filler_before[k + 1] = filler_before[k] and t.text in _FILLERS
        filler_after = [True] * (n_tok + 1)
        for k in range(n_tok - 1, -1, -1):
            filler_after[k] = filler_after[k + 1] and tokens[k].text in _FILLERS
        for i in range(n_tok):
            prev = tokens[i - 1].text if i else ""
            prev_original = text[tokens[i - 1].start : tokens[i - 1].end] if i else ""
            before = tokens[i - 2].text if i > 1 else ""
            strong = (
                prev in _STRONG_CUES
                or prev_original == "à"
                or (prev in _WEAK_CUES and before in _PLACE_VERBS)  # "jhabite a falaise"
            )
            weak = prev in _WEAK_CUES
            capital = text[tokens[i].start].isupper()
            # Names that are ordinary words need a place context, or the whole message to
            # themselves ("Eu"), not just fillers around them ("c'est vieux").
            ordinary_ok = prev not in _NEGATIVE_CUES and (strong or (capital and i > 0))
            limit = min(self.max_tokens, n_tok - i)
            longest_exact = 0
            key = ""
            for n in range(1, limit + 1):
                key += tokens[i + n - 1].text
                if key not in self.prefixes:
                    break
                if key in self.exact:
                    only = i == 0 and n == n_tok
                    matches = self._exact_matches(key, n, ordinary_ok or only)
                    if matches:
                        spans.append(_Span(i, i + n, matches, len(key) * matches[0].score))
                        longest_exact = n
            # Typos are only forgiven where a place is expected, and for windows longer than
            # the exact name found here (the longest window that matches wins).
            if not (strong or weak or capital or filler_before[i]):
                continue
            if tokens[i].text in _NOT_EDGE and tokens[i].text not in _ARTICLES:
                continue
            by_ear: list[tuple[int, str, bool]] = []  # windows to try by sound, longest first
            for n in range(limit, longest_exact, -1):
                if not (strong or weak or capital or filler_after[i + n]):
                    continue
                if tokens[i + n - 1].text in _NOT_EDGE:
                    continue  # a name never ends on "de", "et", "je"…
                key = "".join(t.text for t in tokens[i : i + n])
                size = len(key)
                if not SOUND_MIN_KEY <= size <= self.max_key_length or key in self.exact:
                    continue
                if key.isdigit():
                    continue
                only = i == 0 and n == n_tok
                ok = ordinary_ok or only
                matches = []
                if n > 1 and size >= SKELETON_MIN:
                    matches = self._skeleton_matches([t.text for t in tokens[i : i + n]])
                if not matches and size >= 5:
                    matches = self._fuzzy_matches(key, n, ok)
                if matches:
                    spans.append(_Span(i, i + n, tuple(matches), len(key) * matches[0].score))
                    break
                # By ear only where a place is expected, or as the whole message, and only
                # where no name starts here at all: a sound key is looser than a spelling.
                if not longest_exact and (strong or (filler_before[i] and filler_after[i + n])):
                    by_ear.append((n, key, ok))
            else:
                for n, key, ok in by_ear:
                    matches = self._sound_matches(key, n, ok)
                    if matches:
                        spans.append(_Span(i, i + n, tuple(matches), len(key) * matches[0].score))
                        break
        chosen: list[_Span] = []
        taken: set[int] = set()
        for span in sorted(spans, key=lambda s: (-s.weight, s.start)):
            if taken.isdisjoint(range(span.start, span.end)):
                chosen.append(span)
                taken.update(range(span.start, span.end))

        # Département hints: words outside any chosen name, or "(27)"-like numbers.
        deps = {
            self.departement_names[t.text]
            for k, t in enumerate(tokens)
            if k not in taken and t.text in self.departement_names
        }
        for k in range(n_tok - 1):
            if {k, k + 1}.isdisjoint(taken) and tokens[k].text + tokens[
                k + 1
            ].text == "seinemaritime":
                deps.add("76")
        for m in _DEP_NUMBER.finditer(text):
            deps.add(m.group(1) or m.group(2))

        mentions: list[Mention] = []
        postcode_sets: list[set[str]] = []
        for m in _POSTCODE.finditer(text):
            pc = m.group(1) + m.group(2)
            insees = self.postcodes.get(pc)
            if not insees:
                continue
            score = SCORE_POSTCODE_ONE if len(insees) == 1 else SCORE_POSTCODE_MANY
            found = [
                CommuneMatch(c.insee, c.name, c.departement, score, c.postcodes, f"postcode:{pc}")
                for c in (self.communes[i] for i in insees)
            ]
            postcode_sets.append(set(insees))
            mentions.append(Mention(m.start(), m.end(), m.group(), tuple(self._ranked(found))))

        for span in chosen:
            matches = list(span.matches)
            for allowed in postcode_sets:
                narrowed = [m for m in matches if m.insee in allowed]
                matches = narrowed or matches
            if deps:
                matches = [m for m in matches if m.departement in deps] or matches
            start, end = tokens[span.start].start, tokens[span.end - 1].end
            mentions.append(Mention(start, end, text[start:end], tuple(matches)))
        mentions.sort(key=lambda m: m.start)
        return mentions

    def resolve(self, text: str, limit: int = 5) -> list[CommuneMatch]:
        """Ranked candidate communes for a mention or a sentence, ``[]`` if none is meant.

        When the text names a place and gives a postcode of it, the named commune comes first.
        """
        mentions = self.find_mentions(text)
        if not mentions:
            return []
        named = [m for m in mentions if not m.candidates[0].matched.startswith("postcode:")]
        postcodes = [m for m in mentions if m not in named]
        if named and postcodes:
            allowed = {c.insee for m in postcodes for c in m.candidates}
            if any(c.insee in allowed for m in named for c in m.candidates):
                mentions = named  # the postcode only confirmed the name
        best: dict[str, CommuneMatch] = {}
        for m in sorted(mentions, key=lambda m: -m.candidates[0].score):
            for c in m.candidates:
                if c.insee not in best or best[c.insee].score < c.score:
                    best[c.insee] = c
        ranked = sorted(best.values(), key=lambda c: -c.score)
        return ranked[:limit]
