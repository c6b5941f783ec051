"""The application database's schema moves by Alembic revisions (bot/migrations/), never by hand.

A PostgreSQL database created at the initial revision, with rows in it, is upgraded and loses
none; the migrations and the table definitions of bot/appdb.py say the same thing (a change to
one without the other fails here); processes starting at once migrate one at a time.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot import appdb

pytestmark = pytest.mark.postgres


def _config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(appdb.MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _revision(engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@pytest.fixture
def postgres(make_postgres_database):
    engine = appdb.get_engine(make_postgres_database("app"))
    yield engine
    engine.dispose()


def test_an_initial_database_with_rows_is_upgraded_without_losing_any(postgres):
    with postgres.begin() as connection:
        command.upgrade(_config(connection), appdb.INITIAL_REVISION)
    with postgres.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO console_users (email, password_hash, role, partner_id, created_at) "
                "VALUES ('ref@rouen.fr', 'h', 'referent', 'rouen_info_jeunes', 1)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO tags (sender_id, tag, author, created_at) "
                "VALUES ('c1', 'à revoir', 'a', 2)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO feedback (session_id, message_id, rating, partner_id, comment, "
                "created_at) VALUES ('c1', 'm1', 1, 'rouen_info_jeunes', 'merci', 3)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO audit_log (at, actor, action, target, detail) "
                "VALUES (4, 'admin', 'login', NULL, NULL)"
            )
        )
    assert _revision(postgres) == appdb.INITIAL_REVISION

    appdb.create_schema(postgres)

    head = ScriptDirectory.from_config(_config(None)).get_current_head()
    assert _revision(postgres) == head != appdb.INITIAL_REVISION
    with postgres.connect() as connection:
        assert connection.execute(sa.select(appdb.users.c.email)).scalars().all() == [
            "ref@rouen.fr"
        ]
        assert connection.execute(sa.select(appdb.tags.c.tag)).scalars().all() == ["à revoir"]
        assert connection.execute(sa.select(appdb.feedback.c.comment)).scalars().all() == ["merci"]
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(appdb.audit_log)).scalar()
            == 1
        )
        # and the new tables work
        connection.execute(sa.select(appdb.content_corrections)).all()


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_the_migrations_build_exactly_the_tables_of_appdb(backend, postgres, tmp_path):
    engine = (
        postgres if backend == "postgresql" else appdb.get_engine(f"sqlite:///{tmp_path / 'a.db'}")
    )
    appdb.create_schema(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, appdb.metadata)
    assert differences == [], "bot/appdb.py changed without a revision in bot/migrations/versions"


def test_a_database_made_before_migrations_is_adopted(tmp_path):
    """Wave 1 created the tables with metadata.create_all: no alembic_version table."""
    engine = appdb.get_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        command.upgrade(_config(connection), appdb.INITIAL_REVISION)
        connection.execute(sa.text("DROP TABLE alembic_version"))
        connection.execute(
            sa.text(
                "INSERT INTO reviews (sender_id, status, updated_at) VALUES ('c', 'reviewed', 1)"
            )
        )
    appdb.create_schema(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.select(appdb.reviews.c.status)).scalars().all() == ["reviewed"]
    assert _revision(engine) == ScriptDirectory.from_config(_config(None)).get_current_head()


def test_processes_starting_at_once_migrate_one_at_a_time(postgres):
    errors: list[BaseException] = []

    def start() -> None:
        engine = appdb.get_engine(str(postgres.url))
        try:
            appdb.create_schema(engine)
        except BaseException as error:
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert _revision(postgres) == ScriptDirectory.from_config(_config(None)).get_current_head()
