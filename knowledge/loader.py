"""Load validated knowledge into SQL in one transaction.

The tables are emptied and refilled inside a single transaction: if anything fails (bad data
caught late, database error, Ctrl-C) the transaction rolls back and readers keep seeing the
previous content. Validation runs first, so a load with any error never touches the database.

The same transaction writes the content's version stamp (a hash of everything loaded) in
``kb_meta``: running processes compare it with the one they serve to know that they must re-read
the base (``knowledge/live.py``). Loading the same content again writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import Connection, Engine, make_url

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


# Seconds to wait for a PostgreSQL server to accept a connection (unless the URL says otherwise):
# the services check the base every few seconds, and a server that does not answer must not
# hold them for the system's TCP timeout (minutes).
CONNECT_TIMEOUT = 5


def make_engine(url: str | None = None) -> Engine:
    """Engine for ``url`` (default: settings); creates the SQLite file's folder if needed."""
    url = url or default_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    connect_args = {}
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    return create_engine(url, future=True, connect_args=connect_args)


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


def content_version(rows: dict) -> str:
    """The version stamp of the rows :func:`write` stores: a hash of all of them.

    The same content gives the same stamp whenever and wherever it is loaded, so a process that
    missed a load followed by its undoing has nothing to re-read.
    """
    digest = hashlib.sha256(f"schema {schema.SCHEMA_VERSION}\n".encode())
    for table, _label in schema.CONTENT_TABLES:
        digest.update(f"table {table.name}\n".encode())
        for row in rows[table]:
            digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode())
            digest.update(b"\n")
    return digest.hexdigest()[:32]


_VERSION_QUERY = select(schema.meta.c.value).where(schema.meta.c.key == schema.VERSION_KEY)


def stored_version(conn: Connection) -> str | None:
    """The version stamp of the loaded content (``None`` for a base loaded before stamps).

    One query of one row: the running services make it every few seconds. It fails when the
    tables do not exist.
    """
    return conn.execute(_VERSION_QUERY).scalar_one_or_none()


def write(
    data: KnowledgeData,
    engine: Engine,
    progress: Progress = lambda _msg: None,
    now: dt.datetime | None = None,
) -> dict:
    """Replace the whole content of the database with ``data`` in ONE transaction.

    The content's version stamp and ``now`` (the load time, default: the clock) are written in
    the same transaction; when the base already holds this very content, nothing is written.
    """
    schema.metadata.create_all(engine)
    rows = _rows(data)
    version = content_version(rows)
    counts = {label: len(rows[table]) for table, label in schema.CONTENT_TABLES}
    with engine.begin() as conn:
        if stored_version(conn) == version:
            progress(f"  contenu identique à la base (version {version}) : rien à réécrire")
            return counts
        # Children first is not needed (no foreign keys), but a stable order keeps logs readable.
        for table, _label in reversed(schema.CONTENT_TABLES):
            conn.execute(table.delete())
        conn.execute(schema.meta.delete())
        for table, label in schema.CONTENT_TABLES:
            batch = rows[table]
            if batch:
                conn.execute(insert(table), batch)
            progress(f"  {label:<30} {len(batch):>6}")
        loaded_at = (now or dt.datetime.now(dt.timezone.utc)).isoformat()
        conn.execute(
            insert(schema.meta),
            [
                {"key": "schema_version", "value": schema.SCHEMA_VERSION},
                {"key": schema.VERSION_KEY, "value": version},
                {"key": "loaded_at", "value": loaded_at},
            ],
        )
        progress(f"  version {version}")
    return counts


def load(
    url: str | None = None,
    data_dir: Path | str = DATA_DIR,
    progress: Progress = lambda _msg: None,
    now: dt.datetime | None = None,
) -> tuple[dict, list[Problem]]:
    """Validate ``data_dir`` then load it into ``url``; raise :class:`LoadRefused` on errors.

    ``now`` is recorded as the load time (default: the clock). Returns (rows per table,
    warnings).
    """
    started = time.perf_counter()
    progress(f"Lecture et validation de {data_dir}…")
    data, problems = read_knowledge(data_dir)
    if errors(problems):
        raise LoadRefused(problems)
    progress(f"Validé en {time.perf_counter() - started:.2f} s ; chargement (une transaction)…")
    engine = make_engine(url)
    try:
        counts = write(data, engine, progress, now)
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
