"""Fixtures shared by every test area.

PostgreSQL: the machine runs one at 127.0.0.1:5432 with trust auth (database ``test``). Each test
session creates its own throw-away databases there, so parallel runs and helpers never collide.
Set ``TEST_POSTGRES_URL`` to point at another server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")


def _admin_connection():
    url = make_url(ADMIN_URL)
    conn = psycopg2.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database
    )
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def make_postgres_database() -> Iterator:
    """Factory: ``make_postgres_database("kb")`` returns the URL of a new empty database."""
    created: list[str] = []
    try:
        admin = _admin_connection()
    except psycopg2.OperationalError as exc:  # pragma: no cover - the machine always runs it
        pytest.fail(f"PostgreSQL is not reachable at {ADMIN_URL}: {exc}")

    def make(label: str = "t") -> str:
        name = f"boussole_{label}_{uuid.uuid4().hex[:10]}"
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return str(make_url(ADMIN_URL).set(database=name))

    yield make
    with admin.cursor() as cur:
        for name in created:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()
