"""Fixtures shared by every test area.

PostgreSQL: the machine runs one at 127.0.0.1:5432 with trust auth (database ``test``). Each test
session creates its own throw-away databases there, so parallel runs and helpers never collide.
Set ``TEST_POSTGRES_URL`` to point at another server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
REPOSITORY_DATA = Path(__file__).resolve().parent.parent / "data"


def _data_files() -> dict[str, tuple[int, int]]:
    """(size, mtime) of each training file under ``data/`` (``generated/`` is rewritten by
    ``nlu sync`` on purpose)."""
    return {
        str(path.relative_to(REPOSITORY_DATA)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in REPOSITORY_DATA.rglob("*")
        if path.is_file() and "generated" not in path.relative_to(REPOSITORY_DATA).parts
    }


@pytest.fixture(scope="session", autouse=True)
def repository_data_untouched() -> Iterator[None]:
    """No test writes into the repository's training data: exports and corrections go to a
    ``tmp_path`` project root (a console export once left ``data/nlu/review_<today>.yml``)."""
    before = _data_files()
    yield
    after = _data_files()
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    assert not changed, f"tests wrote into data/: {changed}"


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


def stack_settings(var: Path):
    """Settings for a stack on free ports, writing conversations to SQLite files in ``var``."""
    from dataclasses import replace

    from bot.settings import load_settings
    from bot.stack import free_port

    return replace(
        load_settings(),
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=free_port(),
        tracker_db_url=f"sqlite:///{var / 'tracker.sqlite3'}",
        app_db_url=f"sqlite:///{var / 'app.sqlite3'}",
    )


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory):
    """The real Rasa + action server + gateway, as `make run` starts them, on free ports.

    Uses the model `make train` built and the knowledge base `make kb` loaded; conversations go
    to a throw-away SQLite tracker store. Skipped only when no model was trained (outside make).
    """
    from bot.stack import Stack
    from bot.training import model_path

    model = model_path()
    if not model.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    var = tmp_path_factory.mktemp("stack")
    settings = stack_settings(var)
    web_available = (Path(__file__).parent.parent / "bot" / "web" / "__main__.py").exists()
    stack = Stack(settings=settings, model=model, log_dir=var / "logs", with_web=web_available)
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def knowledge_db_url(tmp_path_factory) -> str:
    """The real knowledge/data loaded once into a throw-away SQLite file."""
    from knowledge.loader import load

    url = f"sqlite:///{tmp_path_factory.mktemp('knowledge') / 'knowledge.sqlite3'}"
    load(url)
    return url


class ManualClock:
    """A clock that moves only when told: code that waits on time is tested without sleeping."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture()
def clock() -> ManualClock:
    """A :class:`ManualClock` to pass where code takes ``clock=time.monotonic``."""
    return ManualClock()
