"""The query API of the knowledge base: what the actions, the NLU and the gateway ask.

The whole base is small (a few thousand rows, well under a megabyte), so :class:`KnowledgeBase`
reads it once from SQL into frozen objects and answers every question from memory: a message
needs sub-millisecond answers and the commune resolver needs the names in memory anyway. After
``python -m bot kb load``, :meth:`KnowledgeBase.refresh_if_changed` re-reads it when its version
stamp changed; the running services call it through ``knowledge/live.py``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from knowledge import schema
from knowledge.annuaire import distance_km
from knowledge.loader import make_engine, stored_version
from knowledge.models import (
    Commune,
    CommuneMatch,
    ConditionalContacts,
    Contact,
    ContactEntry,
    Departement,
    Eligibility,
    Epci,
    Event,
    FormerCommune,
    Job,
    Mention,
    Operator,
    Partner,
    RecurringEvent,
    RoutingRule,
    Scheme,
    from_record,
)
from knowledge.resolver import CommuneResolver
from knowledge.structures import StructureMatch, match_structure
from knowledge.text import fold
from knowledge.voice import YOUTH, Words, said_to

CRITERIA = ("age", "situation")
SITUATION_LABELS = {
    "lyceen": "lycéen ou lycéenne",
    "etudiant": "étudiant ou étudiante",
    "demandeur_emploi": "en recherche d'emploi",
    "salarie": "salarié ou salariée",
    "sans_activite": "sans activité",
    "decrocheur": "sorti de l'école sans diplôme",
    "apprenti": "apprenti ou apprentie",
    "parent": "parent",
    "referent": "référent ou référente d'une structure",
    "handicap": "en situation de handicap",
    "collegien": "collégien ou collégienne",
    "stagiaire": "stagiaire de la formation professionnelle",
}
_COVERAGE_RANK = {"commune": 0, "epci": 1, "departement": 2}
# Types whose region-wide entry is the service itself, not a pointer to the directory.
_REGIONAL_TYPES = frozenset({"aom", "region"})
# Beyond its département, an office is proposed as "nearest" only this close (km, as the crow
# flies): a border town's neighbour, not a city 100 km away.
NEAR_KM = 30.0
# Types proposed only where their data says they serve (a partner of the network is local).
_SERVED_ONLY = frozenset({"partner"})
_SEARCH_CUTOFF = 60

# The commune of a reason, when the search has none.
YOUR_COMMUNE = Words("ta commune", "votre commune", "sa commune")
# What check_eligibility says, to a young person, a parent (about their child) or a referent
# (about the young person they accompany); the others say the same to all.
IN_AGE_SPAN = Words(
    "À {age} ans, tu es dans la tranche d'âge ({span}).",
    "À {age} ans, votre enfant est dans la tranche d'âge ({span}).",
    "À {age} ans, la personne que vous accompagnez est dans la tranche d'âge ({span}).",
)
IN_AGE_SPAN_HANDICAP = Words(
    "À {age} ans, c'est possible grâce à la reconnaissance de ton handicap ({longer}).",
    "À {age} ans, c'est possible grâce à la reconnaissance de son handicap ({longer}).",
    "À {age} ans, c'est possible grâce à la reconnaissance de son handicap ({longer}).",
)
SITUATION_FITS = Words(
    "Ta situation correspond ({wanted}).",
    "Sa situation correspond ({wanted}).",
    "Sa situation correspond ({wanted}).",
)
FOR_THOSE_WHO_ARE = Words(
    "{name} est pour toi si tu es {wanted}.",
    "{name} est pour votre enfant s'il ou elle est {wanted}.",
    "{name} est pour la personne que vous accompagnez si elle est {wanted}.",
)
LIVES_IN_AREA = Words(
    "Tu habites {place}, c'est bien dans la zone du dispositif.",
    "Vous habitez {place}, c'est bien dans la zone du dispositif.",
    "{place} est bien dans la zone du dispositif.",
)
# Before a routing rule's condition (« au lycée »), when the person's situation is unknown.
IF_YOU_ARE = Words(
    "Si tu es {condition}",
    "Si votre enfant est {condition}",
    "Si la personne que vous accompagnez est {condition}",
)
HAVE_IT_CONFIRMED = Words(
    "D'autres conditions peuvent s'appliquer : fais-le confirmer.",
    "D'autres conditions peuvent s'appliquer : faites-le confirmer.",
    "D'autres conditions peuvent s'appliquer : faites-le confirmer.",
)


@dataclass(frozen=True)
class Located:
    """An office chosen for a commune, how (``Contact.match``) and how far, when known."""

    operator: Operator
    match: str
    distance_km: float | None = None


class KnowledgeBaseNotLoaded(RuntimeError):
    """The database has no knowledge tables yet."""


@dataclass
class _Snapshot:
    communes: dict[str, Commune] = field(default_factory=dict)
    former_communes: list[FormerCommune] = field(default_factory=list)
    epcis: dict[str, Epci] = field(default_factory=dict)
    departements: dict[str, Departement] = field(default_factory=dict)
    operators: dict[str, Operator] = field(default_factory=dict)
    schemes: dict[str, Scheme] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    recurring_events: list[RecurringEvent] = field(default_factory=list)
    rules: list[RoutingRule] = field(default_factory=list)
    contacts: dict[str, ContactEntry] = field(default_factory=dict)
    partners: dict[str, Partner] = field(default_factory=dict)
    common_words: list[str] = field(default_factory=list)
    outside_places: list[str] = field(default_factory=list)
    near_words: list[str] = field(default_factory=list)
    version: str | None = None  # the stamp of the load it was read from
    resolver: CommuneResolver | None = None  # built on first use, for this snapshot only


@contextmanager
def _read_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see the same committed state of the base.

    Without it each SELECT sees the latest commit, so a ``kb load`` committing between two of
    them would give the communes of one load and the operators of the next: SQLite's Python
    driver opens no transaction for reads, and PostgreSQL's default isolation takes a new
    picture at each statement.
    """
    with engine.connect() as conn:
        reader = conn
        if engine.dialect.name == "postgresql":
            # SQLAlchemy 1.4 returns a copy that sets the level on the same DBAPI connection.
            reader = conn.execution_options(isolation_level="REPEATABLE READ")
        elif engine.dialect.name == "sqlite":
            reader.exec_driver_sql("BEGIN")
        try:
            yield reader
        finally:
            reader.rollback()


def _read_snapshot(engine: Engine) -> _Snapshot:
    snap = _Snapshot()
    with _read_transaction(engine) as conn:
        if not engine.dialect.has_table(conn, schema.meta.name):
            raise KnowledgeBaseNotLoaded(
                "La base de connaissances est vide : lancez `python -m bot kb load`."
            )
        snap.version = stored_version(conn)

        def records(table, cls):
            return [from_record(cls, r) for (r,) in conn.execute(select(table.c.data))]

        snap.communes = {c.insee: c for c in records(schema.communes, Commune)}
        snap.former_communes = records(schema.former_communes, FormerCommune)
        snap.epcis = {e.siren: e for e in records(schema.epcis, Epci)}
        snap.departements = {d.code: d for d in records(schema.departements, Departement)}
        snap.operators = {o.id: o for o in records(schema.operators, Operator)}
        snap.schemes = {s.id: s for s in records(schema.schemes, Scheme)}
        snap.jobs = {j.id: j for j in records(schema.jobs, Job)}
        snap.events = records(schema.events, Event)
        snap.recurring_events = records(schema.recurring_events, RecurringEvent)
        snap.rules = sorted(records(schema.rules, RoutingRule), key=lambda r: (r.priority, r.id))
        snap.contacts = {c.id: c for c in records(schema.contacts, ContactEntry)}
        snap.partners = {p.id: p for p in records(schema.partners, Partner)}
        lists = {
            "common_word": snap.common_words,
            "outside_place": snap.outside_places,
            "near_word": snap.near_words,
        }
        for kind, word in conn.execute(select(schema.lexicon.c.kind, schema.lexicon.c.word)):
            lists[kind].append(word)
    return snap


def _build_resolver(snap: _Snapshot) -> CommuneResolver:
    return CommuneResolver(
        snap.communes.values(),
        snap.former_communes,
        snap.departements.values(),
        snap.common_words,
        snap.outside_places,
        snap.near_words,
    )


def _state(snap: _Snapshot) -> dict[str, Any]:
    """The attributes of a :class:`KnowledgeBase` serving ``snap``: the snapshot and its indexes."""
    scheme_keys: dict[str, str] = {}
    for s in snap.schemes.values():
        for name in (s.id, s.name, *s.aliases):
            scheme_keys.setdefault(fold(name, words_only=True), s.id)
    job_choices: dict[str, str] = {}
    for j in snap.jobs.values():
        for name in (j.name, *j.aliases):
            job_choices.setdefault(fold(name, words_only=True), j.id)
    # Offices with a place, per type; the region-wide entry of each type apart. The Missions
    # Locales of the UNML table are head offices, reached through the commune.
    local: dict[str, list[Operator]] = {}
    regional: dict[str, Operator] = {}
    for op in sorted(snap.operators.values(), key=lambda o: o.id):
        if op.coverage.region:
            regional.setdefault(op.type, op)
        elif not (op.type == "mission_locale" and op.annuaire_id is None):
            local.setdefault(op.type, []).append(op)
    return {
        "_snap": snap,
        "_scheme_keys": scheme_keys,
        "_scheme_choices": list(scheme_keys),
        "_job_choices": job_choices,
        "_local": local,
        "_regional": regional,
    }


def _situations(situation: str | Iterable[str] | None) -> set[str]:
    if situation is None:
        return set()
    return {situation} if isinstance(situation, str) else set(situation)


class KnowledgeBase:
    """Read-only access to the loaded knowledge (see knowledge/README.md, "Query API")."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._reloading = threading.Lock()
        self.__dict__.update(_state(_read_snapshot(engine)))

    @classmethod
    def from_url(cls, url: str | None = None) -> KnowledgeBase:
        """Open the base at ``url`` (default: ``KNOWLEDGE_DB_URL`` or the SQLite file)."""
        return cls(make_engine(url))

    @property
    def version(self) -> str | None:
        """The version stamp of the content served (``None`` for a base loaded before stamps)."""
        return self._snap.version

    def stored_version(self) -> str | None:
        """The version stamp of the content in the database now: one small query."""
        with self._engine.connect() as conn:
            return stored_version(conn)

    def refresh_if_changed(self) -> bool:
        """Re-read the database if a load changed it since this snapshot; True if it did.

        Costs one small query when nothing changed. A database error propagates and leaves the
        snapshot served as it was.
        """
        if self.stored_version() == self.version:
            return False
        self.reload()
        return True

    def reload(self) -> None:
        """Re-read the database (after ``kb load``); readers keep the old view until it is done.

        The new view is read in one transaction (never half a load) and replaces the old one in
        one step: another thread sees the old state or the new one, never a mix of the two.
        """
        with self._reloading:
            snap = _read_snapshot(self._engine)
            if self._snap.resolver is not None:
                # The resolver was in use: have it ready before the next message needs it.
                snap.resolver = _build_resolver(snap)
            self.__dict__.update(_state(snap))

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    # -- communes ---------------------------------------------------------------------------

    @property
    def resolver(self) -> CommuneResolver:
        """The commune resolver, built on first use (about 0.1 s)."""
        snap = self._snap
        if snap.resolver is None:
            with self._lock:
                if snap.resolver is None:
                    snap.resolver = _build_resolver(snap)
        return snap.resolver

    def build_resolver(self) -> CommuneResolver:
        """A new resolver over the loaded communes (the benchmark times this)."""
        return _build_resolver(self._snap)

    def resolve_commune(self, text: str, limit: int = 5) -> list[CommuneMatch]:
        """Ranked Normandy communes meant by ``text`` (a mention or a sentence), ``[]`` if none."""
        return self.resolver.resolve(text, limit)

    def find_mentions(self, text: str) -> list[Mention]:
        """Place mentions of ``text`` with offsets in the original text (for the NLU)."""
        return self.resolver.find_mentions(text)

    def commune(self, insee: str) -> Commune | None:
        """The current commune with this INSEE code."""
        return self._snap.communes.get(insee)

    def _place(self, commune: str | Commune | None) -> Commune | None:
        return commune if isinstance(commune, Commune) or commune is None else self.commune(commune)

    def communes(self) -> list[Commune]:
        """Every current commune of Normandy."""
        return list(self._snap.communes.values())

    def offices(self, op_type: str) -> list[Operator]:
        """The offices of ``op_type`` that have a place (for a Mission Locale, its head offices
        from the UNML table and the antennes of the official directory)."""
        local = list(self._local.get(op_type, ()))
        if op_type == "mission_locale":
            local += [
                op
                for op in self._snap.operators.values()
                if op.type == op_type and op.annuaire_id is None
            ]
        return local

    def departement(self, code: str) -> Departement | None:
        """The département with this code ("14"…)."""
        return self._snap.departements.get(code)

    def operator(self, operator_id: str) -> Operator | None:
        """The operator with this id (``ml_14327``, ``aom``…)."""
        return self._snap.operators.get(operator_id)

    # -- routing ----------------------------------------------------------------------------

    def _rules_for(self, need: str | None) -> list[RoutingRule]:
        return [r for r in self._snap.rules if "*" in r.need or need in r.need]

    def required_criteria(self, need: str | None) -> tuple[str, ...]:
        """Which of ``age``, ``situation`` the routing for ``need`` depends on (ask them first)."""
        rules = self._rules_for(need)
        needed = {
            "age": any(_bounded(r.age_min, r.age_max) for r in rules),
            "situation": any(r.situations for r in rules),
        }
        return tuple(c for c in CRITERIA if needed[c])

    def locate(self, op_type: str, commune: str | Commune | None) -> Located | None:
        """The office of ``op_type`` for the commune, and how it was chosen (``Contact.match``).

        In order: an office whose data says it serves the commune (commune > EPCI > département
        coverage; the nearest when several do); else the nearest office by town-hall position;
        else one in the same EPCI, then the same département. A Mission Locale is looked for
        among the offices in the territory of the structure covering the commune, and its
        head office is the last resort, said as such. Without any office, the region-wide
        entry of the type (which points to the official directory).
        """
        place = self._place(commune)
        offices = self._local.get(op_type, ())
        if op_type == "mission_locale":
            return self._locate_mission_locale(place, offices)
        if place is not None:
            found = self._served(place, offices)
            if found is None and op_type not in _SERVED_ONLY:
                found = self._near(place, offices)
            if found is not None:
                return found
        regional = self._regional.get(op_type)
        if regional is None:
            return None
        return Located(regional, "region" if op_type in _REGIONAL_TYPES else "directory")

    def _served(self, place: Commune, offices: Iterable[Operator]) -> Located | None:
        best: tuple[int, float, str] | None = None
        found: Located | None = None
        for op in offices:
            cov = op.coverage
            levels = []
            levels += ["commune"] if place.insee in cov.communes else []
            levels += ["epci"] if place.epci and place.epci in cov.epcis else []
            levels += ["departement"] if place.departement in cov.departements else []
            if not levels:
                continue
            km = self._distance(place, op)
            key = (min(_COVERAGE_RANK[level] for level in levels), km or 0.0, op.id)
            if best is None or key < best:
                best, found = key, Located(op, "serves", km)
        return found

    def _near(self, place: Commune, offices: Iterable[Operator]) -> Located | None:
        """The nearest office by position; without positions, one in the EPCI, then département.

        An office is only "near" in the same département or within :data:`NEAR_KM`: beyond,
        the person is better served by the official directory than by a far office.
        """
        offices = list(offices)
        measured = []
        for op in offices:
            km = self._distance(place, op)
            where = self.commune(op.commune) if op.commune else None
            same_dep = where is not None and where.departement == place.departement
            if km is not None and (same_dep or km <= NEAR_KM):
                measured.append((km, op.id, op))
        if measured:
            km, _id, op = min(measured)
            return Located(op, "serves" if op.commune == place.insee else "nearest", km)
        if place.latitude is not None:
            return None  # positions known, nothing near enough
        for level in ("epci", "departement"):
            for op in offices:
                where = self.commune(op.commune) if op.commune else None
                if where is not None and getattr(where, level) == getattr(place, level):
                    return Located(op, "serves" if where.insee == place.insee else level)
        return None

    def _locate_mission_locale(
        self, place: Commune | None, offices: Iterable[Operator]
    ) -> Located | None:
        head_id = place.mission_locale if place else None
        head = self._snap.operators.get(head_id) if head_id else None
        if place is None or head is None:
            return None
        found = self._served(place, offices)
        if found is None and head.commune == place.insee:
            found = Located(head, "serves")
        if found is None:
            # Only offices in the territory of the structure covering the commune: the nearest
            # antenne of another Mission Locale would not take the person in.
            territory = set(head.coverage.communes)
            found = self._near(place, [op for op in offices if op.commune in territory])
        return found or Located(head, "head_office", self._distance(place, head))

    def _distance(self, place: Commune, op: Operator) -> float | None:
        if None in (place.latitude, place.longitude):
            return None
        if op.latitude is not None and op.longitude is not None:
            there = (op.latitude, op.longitude)
        else:
            # An office without its own position is placed at its commune's town hall.
            town = self.commune(op.commune) if op.commune else None
            if town is None or None in (town.latitude, town.longitude):
                return None
            there = (town.latitude, town.longitude)
        return round(distance_km((place.latitude, place.longitude), there), 1)

    def find_contacts(
        self,
        commune: str | Commune | None,
        need: str | None,
        age: int | None = None,
        situation: str | Iterable[str] | None = None,
        voice: str = YOUTH,
    ) -> list[Contact]:
        """Who to contact for ``need`` in ``commune``, in priority order, each with its reason.

        Rules that depend on an unknown age or situation are skipped (see
        :meth:`required_criteria`); the Parcours Métiers line (a rule for everyone) is always there.
        The reasons are said in ``voice`` (knowledge/voice.py): to a parent (``reason_parent``,
        « vous », about their child, whose ``age`` and ``situation`` these are) or to a referent
        (``reason_referent``, about the young person they accompany).
        """
        place = self._place(commune)
        situations = _situations(situation)
        out: list[Contact] = []
        seen: set[tuple[str, str | None]] = set()
        for rule in self._rules_for(need):
            if _bounded(rule.age_min, rule.age_max) and (
                age is None or not _within(age, rule.age_min, rule.age_max)
            ):
                continue
            if rule.situations and situations.isdisjoint(rule.situations):
                continue
            found = self._contact(rule, place, age, situations, voice)
            if found is None or (found.operator.id, rule.contact) in seen:
                continue
            seen.add((found.operator.id, rule.contact))
            out.append(found)
        return out

    def conditional_contacts(
        self,
        commune: str | Commune | None,
        need: str | None,
        age: int | None = None,
        given: Iterable[Contact] = (),
        voice: str = YOUTH,
    ) -> list[ConditionalContacts]:
        """What else would suit the person in a situation they have not said, as conditional lines.

        For when the situation is unknown (never asked, or the person preferred not to say): the
        offices of the rules for ``need`` that fit the known ``age`` and name a ``condition``
        (said in ``voice``), without those already ``given`` by :meth:`find_contacts`. An office
        that several conditions lead to comes once, its conditions joined (« Si tu es au
        collège ou si tu es au lycée »); offices with the same conditions share a line. In
        priority order: « Si tu as quitté l'école sans diplôme » : the E2C, the EPIDE.
        """
        place = self._place(commune)
        shown = {c.operator.id for c in given}
        found: dict[str, tuple[Contact, list[str]]] = {}
        for rule in self._rules_for(need):
            if not (rule.condition and rule.situations):
                continue
            if _bounded(rule.age_min, rule.age_max) and (
                age is None or not _within(age, rule.age_min, rule.age_max)
            ):
                continue
            contact = self._contact(rule, place, age, set(rule.situations), voice)
            if contact is None or contact.operator.id in shown:
                continue
            _contact, conditions = found.setdefault(contact.operator.id, (contact, []))
            if rule.condition not in conditions:
                conditions.append(rule.condition)
        lines: dict[str, list[Contact]] = {}
        for contact, conditions in found.values():
            lines.setdefault(_either(conditions), []).append(contact)
        return [
            ConditionalContacts(IF_YOU_ARE.to(voice, condition=condition), tuple(contacts))
            for condition, contacts in lines.items()
        ]

    def _contact(
        self,
        rule: RoutingRule,
        place: Commune | None,
        age: int | None,
        situations: set[str],
        voice: str,
    ) -> Contact | None:
        """The office ``rule`` sends the person to near ``place``, with its reason; ``None`` when
        there is none or its stated public excludes the person."""
        located = self.locate(rule.operator_type, place)
        if located is None:
            return None
        op = located.operator
        if not _serves(op, age, situations):
            return None
        template = said_to(voice, rule.reason, rule.reason_parent, rule.reason_referent)
        reason = template.format(
            age=age if age is not None else "",
            commune=place.name if place else YOUR_COMMUNE.to(voice),
            operator=op.name,
        )
        line = self._snap.contacts.get(rule.contact) if rule.contact else None
        return Contact(op, reason, rule.id, line, located.match, located.distance_km)

    # -- schemes ----------------------------------------------------------------------------

    def get_scheme(self, id_or_alias: str | None) -> Scheme | None:
        """The scheme with this id, name or alias (case, accents, hyphens ignored)."""
        if not id_or_alias:
            return None
        sid = self._scheme_keys.get(fold(id_or_alias, words_only=True))
        return self._snap.schemes.get(sid) if sid else None

    def schemes(self) -> list[Scheme]:
        """Every scheme, in file order."""
        return list(self._snap.schemes.values())

    def search_schemes(self, text: str, limit: int = 5) -> list[Scheme]:
        """The schemes whose name or alias is closest to ``text``, best first."""
        found = process.extract(
            fold(text, words_only=True),
            self._scheme_choices,
            scorer=fuzz.WRatio,
            score_cutoff=_SEARCH_CUTOFF,
        )
        ids = list(dict.fromkeys(self._scheme_keys[choice] for choice, _s, _i in found))
        return [self._snap.schemes[i] for i in ids[:limit]]

    def check_eligibility(
        self,
        scheme: str | Scheme,
        age: int | None = None,
        situation: str | Iterable[str] | None = None,
        commune: str | Commune | None = None,
        voice: str = YOUTH,
    ) -> Eligibility:
        """Compare age, situation and residence with the scheme's audience.

        The reasons are said in ``voice``: to the young person, or about them to a parent or a
        referent (knowledge/voice.py).

        ``yes`` only when every criterion the data states is met and the entry is verified;
        ``probably`` when the known criteria fit but the entry is to verify or some are unknown;
        ``no`` as soon as one stated criterion is not met; ``unknown`` when nothing was checked.
        """
        found = scheme if isinstance(scheme, Scheme) else self.get_scheme(scheme)
        if found is None:
            return Eligibility("unknown", ("Je ne connais pas ce dispositif.",))
        aud = found.audience
        reasons: list[str] = []
        missing: list[str] = []
        failed = checked = False

        situations = _situations(situation)
        disabled = "handicap" in situations
        longer = aud.handicap_no_age_max or aud.handicap_age_max is not None
        # With a recognised disability the source's longer limit applies (None: no limit).
        handicap_max = None if aud.handicap_no_age_max else aud.handicap_age_max
        if _bounded(aud.age_min, aud.age_max):
            span = _age_span(aud.age_min, aud.age_max)
            longer_text = (
                "sans limite d'âge" if handicap_max is None else f"jusqu'à {handicap_max} ans"
            )
            if age is None:
                missing.append("age")
            elif _within(age, aud.age_min, aud.age_max):
                checked = True
                reasons.append(IN_AGE_SPAN.to(voice, age=age, span=span))
            elif longer and age > (aud.age_max or age) and _within(age, aud.age_min, handicap_max):
                if disabled:
                    checked = True
                    reasons.append(IN_AGE_SPAN_HANDICAP.to(voice, age=age, longer=longer_text))
                else:
                    # Over the usual limit but within the longer one: it depends on a disability.
                    reasons.append(
                        f"{found.name} est pour les jeunes {span}, et {longer_text} avec une "
                        "reconnaissance de handicap (RQTH)."
                    )
                    if situations:
                        failed = True
                    else:
                        missing.append("situation")
            else:
                failed = True
                reasons.append(
                    f"{found.name} est pour les jeunes {span} ; à {age} ans, ce n'est pas possible."
                )

        # A disability completes a situation (student, job seeker…) without replacing it.
        if "handicap" not in aud.situations:
            situations = situations - {"handicap"}
        if aud.situations:
            wanted = ", ".join(SITUATION_LABELS.get(s, s) for s in aud.situations)
            if not situations:
                # Said as a condition rather than asked (issue 11): « si tu es… ».
                labels = [SITUATION_LABELS.get(s, s) for s in aud.situations]
                either = ", ".join(labels[:-1]) + " ou " + labels[-1] if len(labels) > 1 else wanted
                reasons.append(FOR_THOSE_WHO_ARE.to(voice, name=found.name, wanted=either))
                if "situation" not in missing:
                    missing.append("situation")
            elif situations.isdisjoint(aud.situations):
                failed = True
                reasons.append(f"{found.name} s'adresse aux personnes : {wanted}.")
            else:
                checked = True
                reasons.append(SITUATION_FITS.to(voice, wanted=wanted))

        if aud.residence and "france" not in aud.residence:
            place = self._place(commune)
            if place is None:
                missing.append("commune")
            elif (
                "normandie" in aud.residence
                or place.departement in aud.residence
                or place.insee in aud.residence
            ):
                checked = True
                reasons.append(LIVES_IN_AREA.to(voice, place=place.name))
            else:
                failed = True
                reasons.append(
                    f"{found.name} est réservé aux habitants d'un autre secteur que {place.name}."
                )

        if failed:
            status = "no"
        elif missing:
            status = "probably" if checked else "unknown"
        elif found.to_verify or not checked:
            status = "probably"
        else:
            status = "yes"
        if not (checked or failed or missing):
            reasons.append(
                "Ce dispositif n'a pas de condition d'âge, de situation ni de lieu connue."
            )
        if status in ("yes", "probably") and not missing:
            reasons.append(HAVE_IT_CONFIRMED.to(voice))
        return Eligibility(status, tuple(reasons), tuple(missing), found.operator_types)

    # -- jobs, events, partners, contacts ---------------------------------------------------

    def search_jobs(self, text: str, limit: int = 5) -> list[Job]:
        """Jobs whose name or alias is closest to ``text``, best first."""
        found = process.extract(
            fold(text, words_only=True),
            list(self._job_choices),
            scorer=fuzz.WRatio,
            score_cutoff=_SEARCH_CUTOFF,
        )
        ids = list(dict.fromkeys(self._job_choices[choice] for choice, _s, _i in found))
        return [self._snap.jobs[i] for i in ids[:limit]]

    def job(self, job_id: str) -> Job | None:
        """The job with this id."""
        return self._snap.jobs.get(job_id)

    def _nearness(self, place: Commune | None, insee: str | None) -> int:
        """0 same commune, 1 same EPCI (or online, or no place), 2 same département, 3 further."""
        if place is None or insee is None:
            return 1  # online events are as near as anything
        if insee == place.insee:
            return 0
        other = self.commune(insee)
        if other and other.epci and other.epci == place.epci:
            return 1
        return 2 if other and other.departement == place.departement else 3

    def upcoming_events(
        self, commune: str | Commune | None = None, *, on: dt.date, limit: int = 5
    ) -> list[Event]:
        """Events not over on ``on``: soonest first, then nearest to ``commune``.

        An event whose date or place its source does not confirm (``to_verify``) is never
        announced, and neither is a past one.
        """
        place = self._place(commune)
        events = [e for e in self._snap.events if (e.end or e.start) >= on and not e.to_verify]
        events.sort(key=lambda e: (e.start, self._nearness(place, e.commune), e.id))
        return events[:limit]

    def recurring_events(
        self, commune: str | Commune | None = None, limit: int = 5
    ) -> list[RecurringEvent]:
        """Events that come back without published dates, nearest to ``commune`` first."""
        place = self._place(commune)

        def nearness(event: RecurringEvent) -> int:
            return min((self._nearness(place, c) for c in event.communes), default=1)

        return sorted(self._snap.recurring_events, key=lambda e: (nearness(e), e.id))[:limit]

    def partner(self, partner_id: str) -> Partner | None:
        """The partner structure with this id."""
        return self._snap.partners.get(partner_id)

    def partners(self) -> list[Partner]:
        """Every partner structure (the gateway reads their allowed origins)."""
        return list(self._snap.partners.values())

    def find_structure(self, text: str) -> StructureMatch | None:
        """The structure a professional names (« je travaille à Rouen Info Jeunes »), matched
        against partners.yml and the operators; ``None`` when no workplace is named, a match
        with neither partner nor operator when it is unknown (see ``knowledge.structures``)."""
        snap = self._snap
        return match_structure(
            text,
            snap.partners.values(),
            snap.operators.values(),
            self.find_mentions,
            lambda insee: self._covering("mission_locale", self.commune(insee)),
        )

    def contact(self, contact_id: str) -> ContactEntry | None:
        """A contacts.yml entry (safeguarding numbers, the Parcours Métiers line…)."""
        return self._snap.contacts.get(contact_id)

    # -- what is still worth asking ---------------------------------------------------------

    def open_criteria(
        self,
        need: str | None,
        age: int | None = None,
        situation: str | None = None,
        unknowable: Iterable[str] = (),
    ) -> tuple[str, ...]:
        """Which of ``age``, ``situation`` can still change the answer for ``need``.

        Like :meth:`required_criteria`, but only over the rules that can still apply given
        what is known: a known age rules out the rules bounded elsewhere, a known situation
        those listing others; a criterion in ``unknowable`` (the person preferred not to say)
        rules out every rule that needs it. A known criterion is never open.
        """
        known = {"age": age is not None, "situation": bool(situation)}
        gone = set(unknowable)
        rules = [r for r in self._rules_for(need) if _may_apply(r, age, situation, gone)]
        depends = {
            "age": any(_bounded(r.age_min, r.age_max) for r in rules),
            "situation": any(r.situations for r in rules),
        }
        return tuple(c for c in CRITERIA if depends[c] and not known[c] and c not in gone)

    def worth_asking(
        self,
        need: str | None,
        age: int | None = None,
        situation: str | None = None,
        unknowable: Iterable[str] = (),
    ) -> tuple[str, ...]:
        """Which of ``age``, ``situation`` to ask before answering about ``need``.

        The age whenever it is open (:meth:`open_criteria`): it decides the main door (CIO
        before 16, Mission Locale from 16 to 25, France Travail from 26). The situation only
        while nothing picks the person out yet: once a rule bounded by age or listing the
        person's situation applies, the answer comes at once and the rules that hang on an
        unknown situation are said as conditional lines (:meth:`conditional_contacts`).
        """
        still_open = self.open_criteria(need, age, situation, unknowable)
        picked_out = any(
            _applies(r, age, situation)
            for r in self._rules_for(need)
            if _bounded(r.age_min, r.age_max) or r.situations
        )
        if "age" not in still_open and picked_out:
            return tuple(c for c in still_open if c != "situation")
        return still_open

    def answers_every_need(self, age: int | None, situation: str | None) -> bool:
        """Whether a rule for every need already picks this person out by age or situation.

        Then the need changes only extras and is not worth a question: a 17-year-old who left
        school is sent to the Mission Locale and the E2C whatever they came for.
        """
        return any(
            _applies(r, age, situation)
            for r in self._rules_for(None)
            if _bounded(r.age_min, r.age_max) or r.situations
        )


def _may_apply(rule: RoutingRule, age: int | None, situation: str | None, gone: set[str]) -> bool:
    """Whether ``rule`` can still apply: what is known fits it, what is unknown may."""
    if _bounded(rule.age_min, rule.age_max):
        if age is not None and not _within(age, rule.age_min, rule.age_max):
            return False
        if age is None and "age" in gone:
            return False
    if rule.situations:
        if situation and situation not in rule.situations:
            return False
        if not situation and "situation" in gone:
            return False
    return True


def _applies(rule: RoutingRule, age: int | None, situation: str | None) -> bool:
    """Whether ``rule`` applies for sure: each of its conditions is known and met."""
    if _bounded(rule.age_min, rule.age_max) and (
        age is None or not _within(age, rule.age_min, rule.age_max)
    ):
        return False
    return not rule.situations or situation in rule.situations


def _either(conditions: list[str]) -> str:
    """« sans emploi, au collège ou au lycée »: the conditions of one office, joined."""
    if len(conditions) == 1:
        return conditions[0]
    return ", ".join(conditions[:-1]) + " ou " + conditions[-1]


def _serves(op: Operator, age: int | None, situations: set[str]) -> bool:
    """False only when the operator's stated public excludes the person's known age or situation."""
    pub = op.publics
    if age is not None and not _within(age, pub.age_min, pub.age_max):
        return False
    return not (situations and pub.situations and situations.isdisjoint(pub.situations))


def _bounded(lo: int | None, hi: int | None) -> bool:
    return lo is not None or hi is not None


def _within(age: int, lo: int | None, hi: int | None) -> bool:
    """Inclusive bounds, ``None`` meaning no limit."""
    return (lo is None or age >= lo) and (hi is None or age <= hi)


def _age_span(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"de {lo} à {hi} ans"
    return f"d'au moins {lo} ans" if lo is not None else f"de {hi} ans au plus"
