"""Knowledge test fixtures: the real data loaded once into SQLite and once into PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.api import KnowledgeBase
from knowledge.loader import load
from knowledge.sources import DATA_DIR, read_knowledge


@pytest.fixture(scope="session")
def knowledge_data():
    """(KnowledgeData, problems) of the real files."""
    return read_knowledge(DATA_DIR)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.sqlite3'}"
    load(url)
    return url


@pytest.fixture(scope="session")
def postgres_url(make_postgres_database) -> str:
    url = make_postgres_database("kb")
    load(url)
    return url


@pytest.fixture(scope="session")
def sqlite_kb(sqlite_url) -> KnowledgeBase:
    kb = KnowledgeBase.from_url(sqlite_url)
    yield kb
    kb.close()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def kb(request) -> KnowledgeBase:
    """The same queries on both back ends."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_kb")
    kb = KnowledgeBase.from_url(request.getfixturevalue("postgres_url"))
    request.addfinalizer(kb.close)
    return kb


@pytest.fixture()
def data_copy(tmp_path) -> Path:
    """A private copy of knowledge/data that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target
