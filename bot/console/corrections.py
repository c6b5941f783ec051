"""Referents' corrections of their structure's entry: proposal, staff decision, export.

A referent proposes a new value for one field (address, phone, hours, website) of the place their
partner structure has in ``knowledge/data/operators/*.yml`` (``partners.yml`` → ``operator``).
Staff accept or refuse it. Accepted corrections become a change of ``knowledge/data``, the same
way as the NLU inbox's examples become ``data/nlu/review_<date>.yml``: downloaded as a unified diff,
or written into the files after the whole knowledge base validated with them (nothing is
written when it does not). Then ``make kb`` loads them and the bot gives the new details.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot import appdb
from knowledge.sources import errors, fields, read_knowledge

# Field of an operator entry → (French label, checker of knowledge/sources/fields.py).
FIELDS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "address": ("Adresse (numéro et rue)", fields.text),
    "phone": ("Téléphone", fields.phone),
    "opening_hours": ("Horaires", fields.text),
    "website": ("Site web", fields.url),
}
STATUSES = {"pending": "En attente", "accepted": "Acceptée", "refused": "Refusée"}
MAX_LENGTH = 300

c_ = appdb.content_corrections.c


class CorrectionError(ValueError):
    """A refused proposal, decision or export; the message is French and safe to show."""


def propose(
    engine: Engine,
    *,
    partner_id: str,
    operator: Any,
    field: str,
    value: str,
    comment: str,
    author: str,
) -> int:
    """Store a referent's proposal for one field of ``operator``; returns its id.

    The value is checked with the same rule as the data files (a phone number, an http(s)
    address…), so that an accepted correction always passes ``kb validate``.
    """
    if field not in FIELDS:
        raise CorrectionError(
            "Choisissez le champ à corriger : adresse, téléphone, horaires ou site."
        )
    label, check = FIELDS[field]
    value = " ".join(str(value).split())
    if not value:
        raise CorrectionError(f"Indiquez la nouvelle valeur du champ « {label} ».")
    if len(value) > MAX_LENGTH:
        raise CorrectionError(f"La valeur est trop longue ({MAX_LENGTH} caractères au plus).")
    try:
        clean = check(value)
    except fields.Invalid as exc:
        raise CorrectionError(f"{label} : {exc}.") from None
    old = getattr(operator, field, None)
    if old == clean:
        raise CorrectionError(f"{label} : c'est déjà la valeur de la fiche.")
    comment = " ".join(str(comment or "").split())[:1000] or None
    with engine.begin() as conn:
        return conn.execute(
            appdb.content_corrections.insert().values(
                partner_id=partner_id,
                operator_id=operator.id,
                field=field,
                old_value=old,
                new_value=clean,
                comment=comment,
                status="pending",
                author=author,
                created_at=time.time(),
            )
        ).inserted_primary_key[0]


def corrections(
    engine: Engine, partner_id: str | None = None, statuses: Sequence[str] = (), limit: int = 200
) -> list:
    """Proposals, newest first; only those of ``partner_id`` when given (a referent's view)."""
    query = sa.select(appdb.content_corrections).order_by(c_.created_at.desc(), c_.id.desc())
    if partner_id is not None:
        query = query.where(c_.partner_id == partner_id)
    if statuses:
        query = query.where(c_.status.in_(statuses))
    with engine.connect() as conn:
        return conn.execute(query.limit(limit)).all()


def decide(engine: Engine, correction_id: int, accept: bool, reviewer: str) -> Any:
    """Accept or refuse a pending proposal; returns its row. A decided one cannot change."""
    with engine.begin() as conn:
        done = conn.execute(
            appdb.content_corrections.update()
            .where(c_.id == correction_id, c_.status == "pending")
            .values(
                status="accepted" if accept else "refused",
                decided_by=reviewer,
                decided_at=time.time(),
            )
        ).rowcount
        row = conn.execute(
            sa.select(appdb.content_corrections).where(c_.id == correction_id)
        ).first()
    if row is None:
        raise CorrectionError("Cette proposition n'existe pas.")
    if not done:
        raise CorrectionError("Cette proposition a déjà été traitée.")
    return row


def to_export(engine: Engine) -> list:
    """Accepted corrections not yet written into knowledge/data, oldest first."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(appdb.content_corrections)
            .where(c_.status == "accepted", c_.exported_at.is_(None))
            .order_by(c_.decided_at, c_.id)
        ).all()


def mark_exported(engine: Engine, ids: Sequence[int]) -> None:
    """Record that these corrections are now in knowledge/data."""
    with engine.begin() as conn:
        conn.execute(
            appdb.content_corrections.update()
            .where(c_.id.in_(list(ids)))
            .values(exported_at=time.time())
        )


# --- the change of knowledge/data -------------------------------------------------------------


def _entry_file(data_dir: Path, operator_id: str) -> Path | None:
    marker = re.compile(rf"^  - id: {re.escape(operator_id)}\s*$", re.MULTILINE)
    for path in sorted((data_dir / "operators").glob("*.yml")):
        if marker.search(path.read_text(encoding="utf-8")):
            return path
    return None


def _set_field(text: str, operator_id: str, field: str, value: str) -> str:
    """``text`` with ``field`` of entry ``operator_id`` set to ``value``; the rest untouched.

    Only the field's lines change (comments, order and layout stay as staff wrote them); a value
    folded over several lines (``>-``) is replaced as a whole.
    """
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.rstrip() == f"  - id: {operator_id}")
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"^(  - |\S)", lines[i])),
        len(lines),
    )
    new = f"    {field}: {json.dumps(value, ensure_ascii=False)}"  # a JSON string is valid YAML
    for i in range(start + 1, end):
        if lines[i].startswith(f"    {field}:"):
            j = i + 1
            while j < end and lines[j].startswith("      "):
                j += 1
            lines[i:j] = [new]
            return "\n".join(lines)
    # Not in the entry yet: before its provenance lines.
    at = next((i for i in range(start + 1, end) if lines[i].startswith("    source:")), end)
    lines.insert(at, new)
    return "\n".join(lines)


def build_change(
    data_dir: Path, rows: Sequence[Any]
) -> tuple[dict[Path, str], list[int], list[str]]:
    """New text of each changed file, the ids applied, and what could not be (French)."""
    texts: dict[Path, str] = {}
    applied: list[int] = []
    skipped = []
    for row in rows:
        path = _entry_file(data_dir, row.operator_id)
        if path is None:
            skipped.append(
                f"n°{row.id} : la fiche {row.operator_id} n'est dans aucun fichier "
                "operators/*.yml (à reporter à la main)."
            )
            continue
        current = texts.get(path) or path.read_text(encoding="utf-8")
        texts[path] = _set_field(current, row.operator_id, row.field, row.new_value)
        applied.append(row.id)
    return texts, applied, skipped


def diff_text(root: Path, rows: Sequence[Any]) -> tuple[str, int, list[str]]:
    """The accepted corrections as a unified diff of knowledge/data (paths from ``root``)."""
    data_dir = root / "knowledge" / "data"
    texts, applied, skipped = build_change(data_dir, rows)
    chunks = []
    for path, new in sorted(texts.items()):
        rel = path.relative_to(root).as_posix()
        old = path.read_text(encoding="utf-8")
        chunks += difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            f"a/{rel}",
            f"b/{rel}",
        )
    return "".join(chunks), len(applied), skipped


def write_change(root: Path, rows: Sequence[Any]) -> tuple[list[Path], list[int], list[str]]:
    """Write the accepted corrections into ``root``/knowledge/data, after validating the result.

    The changed files are first validated with the whole knowledge base in a copy; on any error
    nothing is written and :class:`CorrectionError` says why. Each file is replaced atomically.
    Returns (files written, ids of the corrections applied, corrections skipped).
    """
    data_dir = root / "knowledge" / "data"
    texts, applied, skipped = build_change(data_dir, rows)
    if not texts:
        return [], [], skipped
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data_dir, copy)
        for path, new in texts.items():
            (copy / path.relative_to(data_dir)).write_text(new, encoding="utf-8")
        problems = errors(read_knowledge(copy, code_root=None)[1])
    if problems:
        raise CorrectionError(
            "Les corrections rendraient la base invalide, rien n'a été écrit : "
            + " ; ".join(str(p) for p in problems[:3])
        )
    for path, new in texts.items():
        tmp_path = path.with_suffix(".yml.tmp")
        tmp_path.write_text(new, encoding="utf-8")
        tmp_path.replace(path)  # never a half-written data file
    return sorted(texts), applied, skipped
