"""The application's own tables: feedback from the widget, engines, schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot import appdb


@pytest.fixture
def engine(tmp_path):
    engine = appdb.get_engine(f"sqlite:///{tmp_path / 'sub' / 'app.sqlite3'}")
    appdb.create_schema(engine)
    appdb.create_schema(engine)  # idempotent: the gateway and the console both call it on start
    yield engine
    engine.dispose()


def _rows(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(appdb.feedback).order_by(appdb.feedback.c.id)).all()


def test_feedback_is_stored(engine):
    appdb.record_feedback(
        engine, session_id="abc", message_id="m1", rating=-1, partner_id="rouen", comment="  bof "
    )
    appdb.record_feedback(engine, session_id="abc", message_id=None, rating=1, partner_id=None)
    rows = _rows(engine)
    assert [(r.session_id, r.message_id, r.rating, r.partner_id, r.comment) for r in rows] == [
        ("abc", "m1", -1, "rouen", "bof"),
        ("abc", None, 1, None, None),
    ]


@pytest.mark.parametrize("rating", [0, 2, True, "1"])
def test_bad_rating_is_refused_in_french_without_writing(engine, rating):
    with pytest.raises(ValueError, match="La note doit valoir"):
        appdb.record_feedback(
            engine, session_id="abc", message_id=None, rating=rating, partner_id=None
        )
    assert _rows(engine) == []


def test_missing_session_is_refused(engine):
    with pytest.raises(ValueError, match="identifiant de conversation"):
        appdb.record_feedback(engine, session_id=" ", message_id=None, rating=1, partner_id=None)


def test_read_only_engine_cannot_write(tmp_path, engine):
    url = str(engine.url)
    ro = appdb.get_engine(url, read_only=True)
    with ro.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(appdb.feedback)).scalar() == 0
    with pytest.raises(sa.exc.OperationalError), ro.begin() as conn:
        conn.execute(appdb.feedback.insert().values(session_id="x", rating=1, created_at=0))
    ro.dispose()


@pytest.mark.postgres
def test_feedback_on_postgres(make_postgres_database):
    url = make_postgres_database("appdb")
    engine = appdb.get_engine(url)
    appdb.create_schema(engine)
    appdb.record_feedback(engine, session_id="s", message_id="m", rating=1, partner_id="rouen")
    assert [r.rating for r in _rows(engine)] == [1]
    ro = appdb.get_engine(url, read_only=True)
    with pytest.raises(sa.exc.InternalError), ro.begin() as conn:
        conn.execute(appdb.feedback.insert().values(session_id="x", rating=1, created_at=0))
    ro.dispose()
    engine.dispose()


def test_read_only_engine_copes_with_odd_folder_names(tmp_path):
    folder = tmp_path / "dossier avec espace #1?"
    url = f"sqlite:///{folder / 'app.sqlite3'}"
    engine = appdb.get_engine(url)
    appdb.create_schema(engine)
    appdb.record_feedback(engine, session_id="s", message_id=None, rating=1, partner_id=None)
    ro = appdb.get_engine(url, read_only=True)
    assert [r.session_id for r in _rows(ro)] == ["s"]
    ro.dispose()
    engine.dispose()
