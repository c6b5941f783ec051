"""The production path: Rasa's tracker store on PostgreSQL and its lock store on Redis."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import create_engine, text

from bot.settings import load_settings
from bot.stack import Stack, free_port
from bot.training import model_path
from tests.e2e.conftest import say, texts

pytestmark = [pytest.mark.stack, pytest.mark.postgres]


def test_conversation_is_stored_in_postgresql_with_redis_locks(
    make_postgres_database, tmp_path, sender
):
    if not model_path().exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    tracker_url = make_postgres_database("tracker")
    settings = replace(
        load_settings(),
        rasa_port=free_port(),
        action_port=free_port(),
        tracker_db_url=tracker_url,
        redis_url="redis://127.0.0.1:6379/0",
    )
    with Stack(settings=settings, log_dir=tmp_path / "logs", with_web=False) as stack:
        answer = say(stack.settings.rasa_base_url, sender, "bonjour")
        assert "Boussole" in texts(answer)
        thanks = say(stack.settings.rasa_base_url, sender, "merci", {"message_id": "turn-0002"})
        # The same message sent again (nginx resends it when a replica died mid-turn): the
        # answer kept in PostgreSQL, and the message not handled twice.
        again = say(stack.settings.rasa_base_url, sender, "merci", {"message_id": "turn-0002"})
        said = [m["text"] for m in thanks if m.get("text")]
        assert [m["text"] for m in again if m.get("text")] == said and said
    engine = create_engine(tracker_url, future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT type_name, intent_name FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": sender},
        ).all()
    engine.dispose()
    user_intents = [intent for kind, intent in rows if kind == "user"]
    assert user_intents == ["greet", "thank"]
    endpoints = (tmp_path / f"endpoints-{settings.rasa_port}.yml").read_text()
    assert "type: bot.lock_store.LeasedRedisLockStore" in endpoints
