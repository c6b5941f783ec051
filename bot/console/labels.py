"""Names the console knows: French intent labels, the domain's intents, partners, places.

All read from the project's data files (``data/intent_labels.csv``, ``domain/*.yml``,
``knowledge/data/partners.yml``, ``knowledge/data/territories/``), never restated here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT

NO_INTENT_LABEL = "Non compris"


@dataclass(frozen=True)
class IntentLabel:
    """An intent with its French label and description."""

    name: str
    label: str
    description: str


@lru_cache(maxsize=1)
def intent_labels(root: Path = PROJECT_ROOT) -> dict[str, IntentLabel]:
    """Intent name → French label, in the order of ``data/intent_labels.csv``."""
    with (root / "data" / "intent_labels.csv").open(encoding="utf-8", newline="") as fh:
        return {
            row["intent"]: IntentLabel(row["intent"], row["label"], row.get("description") or "")
            for row in csv.DictReader(fh)
        }


@lru_cache(maxsize=1)
def domain_intents(root: Path = PROJECT_ROOT) -> frozenset[str]:
    """Every intent declared in the domain (``domain/*.yml`` or ``domain.yml``)."""
    files = sorted((root / "domain").glob("*.yml")) if (root / "domain").is_dir() else []
    files += [root / "domain.yml"] if (root / "domain.yml").exists() else []
    found: set[str] = set()
    for path in files:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in content.get("intents") or []:
            found.add(next(iter(item)) if isinstance(item, dict) else str(item))
    return frozenset(found)


def label(intent: str | None) -> str:
    """The French label of an intent (its name when the table does not list it)."""
    if not intent or intent == "nlu_fallback":
        return NO_INTENT_LABEL
    entry = intent_labels().get(intent)
    return entry.label if entry else intent


def reviewable_intents() -> list[IntentLabel]:
    """Intents a reviewer may assign: labelled and declared in the domain."""
    declared = domain_intents()
    return [entry for name, entry in intent_labels().items() if name in declared]


@lru_cache(maxsize=1)
def partner_ids(root: Path = PROJECT_ROOT) -> tuple[str, ...]:
    """The partners' ids (what the widget sends and referent accounts are attached to)."""
    path = root / "knowledge" / "data" / "partners.yml"
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(sorted(str(p["id"]) for p in content.get("partners") or []))


def _territory_names(root: Path, filename: str, code: str, name: str) -> dict[str, str]:
    path = root / "knowledge" / "data" / "territories" / filename
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {row[code]: row[name] for row in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def departement_names(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Département code → name, from the knowledge base's territorial tables."""
    return _territory_names(root, "departements.csv", "departement_code", "departement_nom")


@lru_cache(maxsize=1)
def commune_names(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """INSEE code → commune name, from the knowledge base's territorial tables."""
    return _territory_names(root, "communes.csv", "code_insee", "nom")
