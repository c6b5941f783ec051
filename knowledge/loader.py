"""Load validated knowledge into SQL in one transaction.

The tables are emptied and refilled inside a single transaction: if anything fails (bad data
caught late, database error, Ctrl-C) the transaction rolls back and readers keep seeing the
previous content. Validation runs first, so a load with any error never touches the database.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import Engine, make_url

from knowledge import schema
from knowledge.models import to_record
from knowledge.sources import DATA_DIR, KnowledgeData, Problem, errors, read_knowledge

Progress = Callable[[str], None]


class LoadRefused(Exception):
    """Validation found errors: nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(errors(problems))} erreur(s) de validation, rien n'a été chargé")
        self.problems = problems


def default_url() -> str:
    """The knowledge database URL from the settings (``KNOWLEDGE_DB_URL``)."""
    from bot.settings import load_settings

    return load_settings().knowledge_db_url


def make_engine(url: str | None = None) -> Engine:
    """Engine for ``url`` (default: settings); creates the SQLite file's folder if needed."""
    url = url or default_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, future=True)


def _rows(data: KnowledgeData) -> dict:
    rec = to_record
    return {
        schema.departements: [
            {"code": d.code, "name": d.name, "data": rec(d)} for d in data.departements
        ],
        schema.epcis: [{"siren": e.siren, "name": e.name, "data": rec(e)} for e in data.epcis],
        schema.communes: [
            {
                "insee": c.insee,
                "name": c.name,
                "departement": c.departement,
                "epci": c.epci,
                "mission_locale": c.mission_locale,
                "data": rec(c),
            }
            for c in data.communes
        ],
        schema.former_communes: [
            {"insee": f.insee, "name": f.name, "parent_insee": f.parent_insee, "data": rec(f)}
            for f in data.former_communes
        ],
        schema.operators: [{"id": o.id, "type": o.type, "data": rec(o)} for o in data.operators],
        schema.schemes: [{"id": s.id, "data": rec(s)} for s in data.schemes],
        schema.jobs: [{"id": j.id, "data": rec(j)} for j in data.jobs],
        schema.events: [
            {"id": e.id, "start": e.start.isoformat(), "data": rec(e)} for e in data.events
        ],
        schema.recurring_events: [{"id": e.id, "data": rec(e)} for e in data.recurring_events],
        schema.rules: [{"id": r.id, "priority": r.priority, "data": rec(r)} for r in data.rules],
        schema.contacts: [{"id": c.id, "data": rec(c)} for c in data.contacts],
        schema.partners: [{"id": p.id, "data": rec(p)} for p in data.partners],
        schema.lexicon: [{"kind": "common_word", "word": w} for w in data.common_words]
        + [{"kind": "outside_place", "word": w} for w in data.outside_places]
        + [{"kind": "near_word", "word": w} for w in data.near_words],
    }


def write(data: KnowledgeData, engine: Engine, progress: Progress = lambda _msg: None) -> dict:
    """Replace the whole content of the database with ``data`` in ONE transaction."""
    schema.metadata.create_all(engine)
    rows = _rows(data)
    counts = {}
    with engine.begin() as conn:
        # Children first is not needed (no foreign keys), but a stable order keeps logs readable.
        for table, _label in reversed(schema.CONTENT_TABLES):
            conn.execute(table.delete())
        conn.execute(schema.meta.delete())
        for table, label in schema.CONTENT_TABLES:
            batch = rows[table]
            if batch:
                conn.execute(insert(table), batch)
            counts[label] = len(batch)
            progress(f"  {label:<30} {len(batch):>6}")
        conn.execute(
            insert(schema.meta),
            [
                {"key": "schema_version", "value": schema.SCHEMA_VERSION},
                {"key": "loaded_at", "value": dt.datetime.now(dt.timezone.utc).isoformat()},
            ],
        )
    return counts


def load(
    url: str | None = None,
    data_dir: Path | str = DATA_DIR,
    progress: Progress = lambda _msg: None,
) -> tuple[dict, list[Problem]]:
    """Validate ``data_dir`` then load it into ``url``; raise :class:`LoadRefused` on errors.

    Returns (rows per table, warnings).
    """
    started = time.perf_counter()
    progress(f"Lecture et validation de {data_dir}…")
    data, problems = read_knowledge(data_dir)
    if errors(problems):
        raise LoadRefused(problems)
    progress(f"Validé en {time.perf_counter() - started:.2f} s ; chargement (une transaction)…")
    engine = make_engine(url)
    try:
        counts = write(data, engine, progress)
    finally:
        engine.dispose()
    progress(f"Chargé en {time.perf_counter() - started:.2f} s.")
    return counts, problems


def stats(url: str | None = None) -> dict[str, int]:
    """Rows per table of a loaded database (``{}`` when it was never loaded)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not engine.dialect.has_table(conn, schema.meta.name):
                return {}
            return {
                label: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table, label in schema.CONTENT_TABLES
            }
    finally:
        engine.dispose()
