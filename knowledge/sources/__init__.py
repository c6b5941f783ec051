"""Read the files of ``knowledge/data`` and validate them.

:func:`read_knowledge` never raises on bad content: it returns what it could read plus a list of
:class:`Problem` (file, entry id, field, message), so that staff see every mistake in one run.
The loader refuses to load while any problem has severity ``error``.

The work is split by what it does: :mod:`~knowledge.sources.vocabulary` (shared ids),
:mod:`~knowledge.sources.fields` (one value's format), :mod:`~knowledge.sources.files` (opening a
file, taking a field, collecting problems), :mod:`~knowledge.sources.tables` (CSV tables),
:mod:`~knowledge.sources.entries` (YAML content) and :mod:`~knowledge.sources.references` (checks
across files) and :mod:`~knowledge.sources.named_ids` (ids the code and the domain name).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from knowledge.sources import entries, references, tables
from knowledge.sources.files import Collector, KnowledgeData, Problem
from knowledge.sources.named_ids import CODE_ROOT, check_named_ids
from knowledge.sources.vocabulary import NEEDS, OPERATOR_TYPES, SCHEME_IDS, SITUATIONS

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

__all__ = [
    "DATA_DIR",
    "NEEDS",
    "OPERATOR_TYPES",
    "SCHEME_IDS",
    "SITUATIONS",
    "KnowledgeData",
    "Problem",
    "errors",
    "read_knowledge",
]


def read_knowledge(
    data_dir: Path | str = DATA_DIR, code_root: Path | None = CODE_ROOT
) -> tuple[KnowledgeData, list[Problem]]:
    """Read and validate every file of ``data_dir``; return the data and all problems found.

    The ids named by the actions, the domain and the training data under ``code_root`` must
    exist in the data (``None``: the data alone is checked).
    """
    reader = Collector(Path(data_dir))
    tables.read_territories(reader)
    tables.read_missions_locales(reader)
    tables.check_csv_provenance(reader)
    entries.read_operators(reader)
    entries.read_schemes(reader)
    entries.read_jobs(reader)
    entries.read_events(reader)
    entries.read_recurring_events(reader)
    entries.read_contacts(reader)
    entries.read_safety_answers(reader)
    entries.read_rules(reader)
    entries.read_partners(reader)
    references.check_references(reader)
    if code_root is not None:
        check_named_ids(reader, Path(code_root))
    return reader.data, reader.problems


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """Only the problems that block a load."""
    return [p for p in problems if p.severity == "error"]
