"""What every reader shares: the data collected so far, the problems found, and the way a file
is opened (YAML with its provenance block, CSV with its columns, word lists) and a field is taken.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.models import (
    Commune,
    ContactEntry,
    Departement,
    Epci,
    Event,
    FormerCommune,
    Job,
    Operator,
    Partner,
    RecurringEvent,
    RoutingRule,
    SafetyAnswer,
    Scheme,
)
from knowledge.sources import fields as f

# libyaml's loader is about ten times faster than the pure-Python one, with the same safe subset.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    """One validation finding, precise enough for staff to fix it without reading code."""

    file: str
    entry: str
    field: str
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        where = " · ".join(p for p in (self.file, self.entry, self.field) if p)
        return f"[{self.severity}] {where}: {self.message}"


@dataclass
class KnowledgeData:
    """Everything read from ``knowledge/data``, as model objects."""

    communes: list[Commune] = field(default_factory=list)
    former_communes: list[FormerCommune] = field(default_factory=list)
    epcis: list[Epci] = field(default_factory=list)
    departements: list[Departement] = field(default_factory=list)
    operators: list[Operator] = field(default_factory=list)
    schemes: list[Scheme] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    recurring_events: list[RecurringEvent] = field(default_factory=list)
    rules: list[RoutingRule] = field(default_factory=list)
    contacts: list[ContactEntry] = field(default_factory=list)
    safety_answers: list[SafetyAnswer] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)
    common_words: list[str] = field(default_factory=list)
    outside_places: list[str] = field(default_factory=list)
    near_words: list[str] = field(default_factory=list)

    def to_verify(self) -> list[tuple[str, str]]:
        """(kind, id) of every entry still marked ``to_verify``."""
        return [(kind, item.id) for kind, item in self.reviewable() if item.to_verify]

    def reviewable(self) -> list[tuple[str, Any]]:
        """(kind, entry) of every entry that carries ``last_verified`` and ``review_by``."""
        kinds = (
            ("operator", self.operators),
            ("scheme", self.schemes),
            ("job", self.jobs),
            ("event", self.events),
            ("recurring_event", self.recurring_events),
            ("contact", self.contacts),
            ("partner", self.partners),
            ("rule", self.rules),
        )
        return [(kind, item) for kind, items in kinds for item in items]


class Collector:
    """The data read so far from one data folder and every problem found on the way."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir
        self.problems: list[Problem] = []
        self.data = KnowledgeData()

    def problem(self, file: str, entry: str, fld: str, msg: str, severity: str = "error") -> None:
        self.problems.append(Problem(file, entry, fld, msg, severity))

    def take(
        self,
        file: str,
        entry_id: str,
        raw: dict,
        name: str,
        check: Callable[[Any], Any],
        required: bool = False,
        default: Any = None,
    ) -> Any:
        """Checked value of ``raw[name]``; records a problem and returns ``default`` if bad."""
        value = raw.get(name)
        if value is None or value == "" or value == []:
            if required:
                self.problem(file, entry_id, name, "champ obligatoire manquant")
            return default
        try:
            return check(value)
        except f.Invalid as exc:
            self.problem(file, entry_id, name, str(exc))
            return default

    def freshness(self, file: str, entry_id: str, raw: dict) -> dict[str, Any]:
        """``last_verified``, ``review_by`` and ``to_verify`` of one entry, checked together.

        ``last_verified`` is the day someone checked the entry against its source: every entry
        carries the key, and it may stay null only while the entry is marked ``to_verify``.
        ``review_by`` is when it must be checked again.
        """
        t = self.taker(file, entry_id, raw)
        verified = t("last_verified", f.date)
        to_verify = bool(t("to_verify", f.boolean))
        review_by = t("review_by", f.date, required=True)
        if "last_verified" not in raw:
            message = "champ obligatoire manquant (null si personne ne l'a vérifié)"
            self.problem(file, entry_id, "last_verified", message)
        elif verified is None and not to_verify and raw.get("last_verified") in (None, ""):
            self.problem(
                file,
                entry_id,
                "last_verified",
                "jamais vérifiée auprès de sa source : mettre to_verify: true",
            )
        if verified and review_by and review_by < verified:
            self.problem(
                file, entry_id, "review_by", f"date de revue ({review_by}) avant la vérification"
            )
        return {"last_verified": verified, "review_by": review_by, "to_verify": to_verify}

    def taker(self, file: str, entry_id: str, raw: dict) -> Callable[..., Any]:
        """``take`` bound to one entry: ``t("phone", f.phone)``."""
        return functools.partial(self.take, file, entry_id, raw)

    def age_range(self, file: str, entry_id: str, raw: Any, prefix: str) -> tuple:
        raw = raw if isinstance(raw, dict) else {}
        lo = self.take(file, entry_id, raw, "age_min", f.age)
        hi = self.take(file, entry_id, raw, "age_max", f.age)
        if lo is not None and hi is not None and lo > hi:
            self.problem(
                file, entry_id, f"{prefix}age_min", f"tranche d'âge inversée ({lo} > {hi})"
            )
        return lo, hi

    def yaml_entries(self, name: str, key: str) -> tuple[str, list[dict]]:
        path = self.dir / name
        if not path.exists():
            return name, []
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
        except yaml.YAMLError as exc:
            self.problem(name, "", "", f"YAML illisible : {exc}")
            return name, []
        if not isinstance(doc, dict):
            self.problem(name, "", "", "le fichier doit être un dictionnaire")
            return name, []
        prov = doc.get("provenance")
        if not isinstance(prov, dict):
            self.problem(name, "", "provenance", "bloc provenance manquant")
        else:
            for k in ("source", "licence", "retrieved"):
                if not prov.get(k):
                    self.problem(name, "", f"provenance.{k}", "champ de provenance manquant")
        entries = doc.get(key)
        if entries is None:
            self.problem(name, "", key, f"liste {key!r} manquante")
            return name, []
        if not isinstance(entries, list):
            self.problem(name, "", key, "une liste est attendue")
            return name, []
        good = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                self.problem(name, f"#{i + 1}", "", "chaque entrée doit être un dictionnaire")
            else:
                good.append(entry)
        return name, good

    def csv_rows(self, rel: str, columns: Iterable[str]) -> list[dict]:
        path = self.dir / rel
        if not path.exists():
            self.problem(rel, "", "", "fichier manquant")
            return []
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = set(columns) - set(reader.fieldnames or [])
            if missing:
                self.problem(rel, "", ", ".join(sorted(missing)), "colonnes manquantes")
                return []
            return list(reader)

    def entry_id(self, file: str, raw: dict, index: int, seen: set[str]) -> str | None:
        entry_id = self.take(file, f"#{index + 1}", raw, "id", f.ident, required=True)
        if entry_id is None:
            return None
        if entry_id in seen:
            self.problem(file, entry_id, "id", "identifiant en double")
            return None
        seen.add(entry_id)
        return entry_id

    def entries(self, name: str, key: str, seen: set[str] | None = None) -> Iterator[tuple]:
        """(file, entry id, raw dict, bound ``take``) of each YAML entry that has a good id."""
        file, raw_entries = self.yaml_entries(name, key)
        seen = set() if seen is None else seen
        for i, raw in enumerate(raw_entries):
            entry_id = self.entry_id(file, raw, i, seen)
            if entry_id is not None:
                yield file, entry_id, raw, self.taker(file, entry_id, raw)

    def lines(self, rel: str) -> list[str]:
        path = self.dir / rel
        if not path.exists():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line)
        return out
