"""SQL tables of the knowledge base (SQLAlchemy Core, SQLite and PostgreSQL).

Each entity is one row holding its full record as JSON (``data``, the dataclass of
:mod:`knowledge.models`) plus the few columns worth querying or reading by eye in SQL. The JSON
keeps one description of each concept (the dataclass) instead of a second one in columns.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table

SCHEMA_VERSION = "1"
# kb_meta key of the content's version stamp (knowledge/loader.py writes it, knowledge/live.py
# watches it).
VERSION_KEY = "version"

metadata = MetaData()


def _entity(name: str, key: str, *extra: Column) -> Table:
    return Table(
        name,
        metadata,
        Column(key, String(64), primary_key=True),
        *extra,
        Column("data", JSON, nullable=False),
    )


meta = Table(
    "kb_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)
departements = _entity("kb_departements", "code", Column("name", String(64)))
epcis = _entity("kb_epcis", "siren", Column("name", String(255)))
communes = _entity(
    "kb_communes",
    "insee",
    Column("name", String(255), nullable=False),
    Column("departement", String(3), nullable=False, index=True),
    Column("epci", String(16), index=True),
    Column("mission_locale", String(64), index=True),
)
former_communes = Table(
    "kb_former_communes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("insee", String(5), nullable=False),
    Column("name", String(255), nullable=False),
    Column("parent_insee", String(5), nullable=False, index=True),
    Column("data", JSON, nullable=False),
)
operators = _entity("kb_operators", "id", Column("type", String(32), index=True))
schemes = _entity("kb_schemes", "id")
jobs = _entity("kb_jobs", "id")
events = _entity("kb_events", "id", Column("start", String(10), index=True))
recurring_events = _entity("kb_recurring_events", "id")
rules = _entity("kb_rules", "id", Column("priority", Integer))
contacts = _entity("kb_contacts", "id")
partners = _entity("kb_partners", "id")
lexicon = Table(
    "kb_lexicon",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),  # common_word | outside_place | near_word
    Column("word", String(255), nullable=False),
)

# Tables with their human label for `kb stats`, in load order.
CONTENT_TABLES: tuple[tuple[Table, str], ...] = (
    (departements, "départements"),
    (epcis, "EPCI"),
    (communes, "communes"),
    (former_communes, "communes déléguées/associées"),
    (operators, "opérateurs"),
    (schemes, "dispositifs"),
    (jobs, "métiers"),
    (events, "événements"),
    (recurring_events, "rendez-vous récurrents"),
    (rules, "règles d'orientation"),
    (contacts, "contacts"),
    (partners, "partenaires"),
    (lexicon, "lexique du résolveur"),
)
