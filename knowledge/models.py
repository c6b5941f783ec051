"""Frozen dataclasses for everything the knowledge base stores or answers.

The loader stores each entry as the JSON form of its dataclass (:func:`to_record`) and the API
rebuilds it with :func:`from_record`, so one class describes a concept everywhere.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    departement: str
    postcodes: tuple[str, ...] = ()
    epci: str | None = None
    population: int = 0
    mission_locale: str | None = None  # operator id of the Mission Locale covering it
    # Position of its town hall (official directory), to find the nearest office; None if unknown.
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class FormerCommune:
    insee: str
    name: str
    kind: str  # commune-deleguee | commune-associee
    parent_insee: str
    departement: str


@dataclass(frozen=True)
class Epci:
    siren: str
    name: str
    kind: str
    departements: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    chef_lieu: str


@dataclass(frozen=True)
class Publics:
    age_min: int | None = None
    age_max: int | None = None
    situations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Coverage:
    communes: tuple[str, ...] = ()
    epcis: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()
    region: bool = False


@dataclass(frozen=True)
class Operator:
    id: str
    type: str
    name: str
    address: str | None = None
    postcode: str | None = None
    commune: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    opening_hours: str | None = None
    publics: Publics = field(default_factory=Publics)
    themes: tuple[str, ...] = ()
    coverage: Coverage = field(default_factory=Coverage)
    latitude: float | None = None
    longitude: float | None = None
    annuaire_id: str | None = None  # record id in the official directory, when imported from it
    source: str = ""
    last_verified: dt.date | None = None
    review_by: dt.date | None = None  # check it against its source again by then
    to_verify: bool = False


@dataclass(frozen=True)
class Audience:
    age_min: int | None = None
    age_max: int | None = None
    situations: tuple[str, ...] = ()
    residence: tuple[str, ...] = ()  # "normandie", "france", département codes or INSEE codes
    # The longer age limit for a person with a recognised disability (RQTH): an age, or
    # ``handicap_no_age_max`` when the source says there is none.
    handicap_age_max: int | None = None
    handicap_no_age_max: bool = False


@dataclass(frozen=True)
class Money:
    paid: bool | None = None
    amount: str | None = None


@dataclass(frozen=True)
class Scheme:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    summary: str = ""
    audience: Audience = field(default_factory=Audience)
    money: Money = field(default_factory=Money)
    how_to_apply: str | None = None
    operator_types: tuple[str, ...] = ()
    link: str | None = None
    source: str = ""
    last_verified: dt.date | None = None
    review_by: dt.date | None = None  # check it against its source again by then
    to_verify: bool = False


@dataclass(frozen=True)
class Job:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    sector: str = ""
    description: str = ""
    training_routes: tuple[str, ...] = ()
    related_schemes: tuple[str, ...] = ()
    source: str = ""
    last_verified: dt.date | None = None
    review_by: dt.date | None = None
    to_verify: bool = False


@dataclass(frozen=True)
class Event:
    id: str
    title: str
    start: dt.date
    end: dt.date | None = None
    commune: str | None = None
    organiser: str | None = None
    audience: str | None = None
    link: str | None = None
    source: str = ""
    last_verified: dt.date | None = None
    review_by: dt.date | None = None
    to_verify: bool = False


@dataclass(frozen=True)
class RecurringEvent:
    """An event that comes back (« chaque année en février ») whose next dates are not published.

    It is never shown with a date: ``when`` and ``where`` say what the sources state, and
    ``next_edition`` says that the next dates are not known yet.
    """

    id: str
    title: str
    when: str
    where: str
    next_edition: str
    communes: tuple[str, ...] = ()  # INSEE codes of its usual places, to rank it by nearness
    organiser: str | None = None
    audience: str | None = None
    link: str | None = None
    source: str = ""
    last_verified: dt.date | None = None
    review_by: dt.date | None = None
    to_verify: bool = False


@dataclass(frozen=True)
class RoutingRule:
    id: str
    need: tuple[str, ...]  # needs it applies to, ("*",) for every need
    operator_type: str
    priority: int
    reason: str
    reason_parent: str = ""  # the same advice said to a parent (« vous », about their child)
    # the same advice said to a referent (« vous », about the young person they accompany)
    reason_referent: str = ""
    age_min: int | None = None
    age_max: int | None = None
    situations: tuple[str, ...] = ()
    contact: str | None = None  # optional contacts.yml entry attached to the answer
    # What the person would be for the rule to apply, said after « Si tu es » when their situation
    # is unknown (« au lycée »): the rule is then a conditional line; empty: never offered so.
    condition: str = ""
    source: str = ""
    last_verified: dt.date | None = None
    review_by: dt.date | None = None  # check it against its source again by then
    to_verify: bool = False


@dataclass(frozen=True)
class ContactEntry:
    id: str
    label: str
    phone: str | None = None
    website: str | None = None
    hours: str | None = None
    free: bool | None = None
    summary: str = ""
    source: str = ""
    last_verified: dt.date | None = None
    review_by: dt.date | None = None  # check it against its source again by then
    to_verify: bool = False


@dataclass(frozen=True)
class SafetyAnswer:
    """An answer that must never depend on the action server: its words and the lines it gives.

    Written into Rasa's domain by ``python -m bot nlu sync`` and held by the web gateway
    (``knowledge/safety.py``): distress, « parler à quelqu'un », the apology when Rasa is down.
    """

    id: str
    text: str
    contacts: tuple[str, ...] = ()  # contacts.yml ids, in the order they are given
    closing: str | None = None
    # The same said to a parent, and to a referent of a partner structure (« vous »), when the
    # conversation knows it is one (knowledge/voice.py).
    parent_text: str | None = None
    parent_closing: str | None = None
    referent_text: str | None = None
    referent_closing: str | None = None


@dataclass(frozen=True)
class Person:
    name: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class PartnerPublics:
    age_min: int | None = None
    age_max: int | None = None
    parents: bool = False


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    structure: str | None = None
    address: str | None = None
    postcode: str | None = None
    commune: str | None = None
    publics: PartnerPublics = field(default_factory=PartnerPublics)
    referent: Person = field(default_factory=Person)
    aom_interlocutor: Person = field(default_factory=Person)
    charter_signed: dt.date | None = None
    planned_actions: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    default_commune: str | None = None
    profile: str = "youth"
    source: str = ""
    last_verified: dt.date | None = None
    review_by: dt.date | None = None
    to_verify: bool = False
    operator: str | None = None  # its place in operators/*.yml (address, phone, hours)


# --- answers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommuneMatch:
    """A candidate commune; ``matched`` says how it matched (name, former commune, postcode…)."""

    insee: str
    name: str
    departement: str
    score: float
    postcodes: tuple[str, ...] = ()
    matched: str = "name"


@dataclass(frozen=True)
class Mention:
    """A place mention in a text: ``text[start:end]`` of the ORIGINAL text, ranked candidates."""

    start: int
    end: int
    text: str
    candidates: tuple[CommuneMatch, ...] = ()


@dataclass(frozen=True)
class Contact:
    """An operator to contact, why (French sentence ready to say) and the routing rule behind it.

    ``match`` says how the office was chosen for the commune: ``serves`` (its data says it
    serves the commune), ``nearest`` (the nearest office, ``distance_km`` away), ``epci`` or
    ``departement`` (an office in the same intercommunality or département, positions being
    unknown), ``head_office`` (only the head office of the structure covering the commune is
    known), ``directory`` (no office known: an entry pointing to the official directory) or
    ``region`` (a service for the whole region).
    """

    operator: Operator
    reason: str
    rule_id: str
    line: ContactEntry | None = None
    match: str = "serves"
    distance_km: float | None = None


@dataclass(frozen=True)
class ConditionalContacts:
    """Offices that would suit the person in a situation the conversation does not know:
    ``condition`` (« Si tu es au collège ou au lycée ») is said before them."""

    condition: str
    contacts: tuple[Contact, ...]


@dataclass(frozen=True)
class Eligibility:
    """``status`` is yes / no / probably / unknown; ``missing`` lists criteria still to ask."""

    status: str
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    confirm_with: tuple[str, ...] = ()


# --- record conversion ---------------------------------------------------------------------


def to_record(obj: Any) -> Any:
    """JSON-ready form of a dataclass (dates as ISO strings, tuples as lists)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_record(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_record(v) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj


def from_record(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild ``cls`` from :func:`to_record` output (unknown keys are ignored)."""
    kwargs = {name: _convert(tp, data[name]) for name, tp in _fields(cls) if name in data}
    return cls(**kwargs)


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    # Resolving the annotations is slow; the base rebuilds thousands of records of few classes.
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(inner[0], value)
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return tuple(_convert(item, v) for v in value)
    if dataclasses.is_dataclass(tp):
        return from_record(tp, value)
    if tp is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value
