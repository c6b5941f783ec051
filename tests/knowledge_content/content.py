"""Helpers shared by the content checks: load the editorial YAML files and the shared vocabularies.

These checks read the files the way a staff member writes them (plain PyYAML), apart from the KB
engine's reader, so a content mistake is reported even when the engine is being changed; only the
shared vocabularies come from the engine, where they are declared once.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from knowledge import sources

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "knowledge" / "data"
README = ROOT / "knowledge" / "README.md"

# The editorial files owned by the content half of issue 3, with the key of their entry list.
CONTENT_FILES: dict[str, str] = {
    "schemes.yml": "schemes",
    "jobs.yml": "jobs",
    "events.yml": "events",
    "contacts.yml": "contacts",
    "partners.yml": "partners",
}
OPERATOR_DIR = DATA / "operators"

# Sets, for subset checks, of the vocabularies declared once in the engine.
NEEDS = frozenset(sources.NEEDS)
SITUATIONS = frozenset(sources.SITUATIONS)
OPERATOR_TYPES = frozenset(sources.OPERATOR_TYPES)
DEPARTEMENTS = {"14", "27", "50", "61", "76"}


def load(path: Path) -> dict[str, Any]:
    """Parse one YAML file (PyYAML's safe loader, as a staff member's edit would be read)."""
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def content_paths() -> list[Path]:
    """Every editorial YAML file: the top-level content files and one file per operator type."""
    return [DATA / name for name in CONTENT_FILES] + sorted(OPERATOR_DIR.glob("*.yml"))


def entries(path: Path) -> list[dict[str, Any]]:
    """The entry list of a content file (``schemes:``, ``operators:``…)."""
    key = CONTENT_FILES.get(path.name, "operators")
    return load(path)[key]


def all_entries() -> Iterator[tuple[Path, dict[str, Any]]]:
    """(file, entry) for every entry of every editorial file."""
    for path in content_paths():
        for entry in entries(path):
            yield path, entry


def operators() -> list[dict[str, Any]]:
    """Every operator entry of ``operators/*.yml``."""
    return [e for p in sorted(OPERATOR_DIR.glob("*.yml")) for e in entries(p)]


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: how two aliases can collide for the NLU."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", folded).split())


_SENTENCE_END = re.compile(r"[.!?…]+(?:\s+|$)")


def sentences(text: str) -> list[str]:
    """Split a French text into sentences (enough for our own short, abbreviation-free texts)."""
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


@cache
def communes() -> dict[str, dict[str, str]]:
    """Current Normandy communes by INSEE code, from the repo's copy of COG 2026."""
    with (DATA / "territories" / "communes.csv").open(encoding="utf-8") as handle:
        return {row["code_insee"]: row for row in csv.DictReader(handle)}


def readme_scheme_ids() -> list[str]:
    """The scheme ids the NLU relies on, as listed in knowledge/README.md."""
    text = README.read_text(encoding="utf-8")
    block = text.split("**scheme ids**", 1)[1].split("More may be added", 1)[0]
    block = block.split(":", 1)[1]  # skip the "(the NLU's `scheme` entity values)" aside
    return re.findall(r"`([a-z0-9_]+)`", block)


def to_verify_report() -> list[str]:
    """One line per entry still marked ``to_verify``: file, id and what its source says."""
    lines = []
    for path, entry in all_entries():
        if entry.get("to_verify"):
            source = " ".join(str(entry.get("source", "")).split())
            lines.append(f"{path.relative_to(DATA)} :: {entry['id']} :: {source}")
    return lines


if __name__ == "__main__":  # `python -m tests.knowledge_content.content` lists what to verify
    print("\n".join(to_verify_report()))
