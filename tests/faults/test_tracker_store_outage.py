"""The tracker store's database goes down and comes back: never silent, never in memory.

Rasa wraps every tracker store in a fail-safe that would carry on in memory (each turn a new
conversation, nothing saved). Boussole's channel answers such a turn with an apology instead, the
log says what failed, and the conversation goes on where it was once the database is back.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, text

from bot.channels import STORAGE_APOLOGY
from bot.settings import load_settings
from bot.stack import Stack, free_port
from bot.training import model_path
from bot.web.rasa_client import HEALTH_PATH
from tests.e2e.conftest import say, texts
from tests.faults.servers import PrivatePostgres

pytestmark = [pytest.mark.stack, pytest.mark.postgres]


def _user_texts(url: str, sender: str) -> list[str]:
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
            {"s": sender},
        ).all()
    engine.dispose()
    return [json.loads(data)["text"] for (data,) in rows]


def _health(rasa: str) -> int:
    try:
        with urllib.request.urlopen(rasa + HEALTH_PATH, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_tracker_database_outage_gets_an_apology_and_recovers(tmp_path):
    sender = f"fault-{uuid.uuid4().hex[:10]}"
    if not model_path().exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    postgres = PrivatePostgres().init()
    try:
        settings = replace(
            load_settings(),
            rasa_port=free_port(),
            action_port=free_port(),
            tracker_db_url=postgres.url,
        )
        with Stack(settings=settings, log_dir=tmp_path / "logs", with_web=False) as stack:
            rasa = stack.settings.rasa_base_url
            assert "Boussole" in texts(say(rasa, sender, "bonjour"))

            assert _health(rasa) == 200
            postgres.stop()
            assert _health(rasa) == 503  # what the gateway's /healthz reports as down
            during = say(rasa, sender, "je cherche une formation")
            assert texts(during) == STORAGE_APOLOGY
            log = (tmp_path / "logs" / "rasa.log").read_text(errors="replace")
            assert "Tracker store" in log and "failed" in log

            postgres.start()
            assert _health(rasa) == 200
            after = say(rasa, sender, "je cherche une formation")
            assert texts(after).strip() and STORAGE_APOLOGY not in texts(after)
            assert "Boussole" not in texts(after)  # the conversation went on, no new welcome
        # Only the turns that were saved are in the database: none was half-written.
        assert _user_texts(postgres.url, sender) == ["bonjour", "je cherche une formation"]
    finally:
        postgres.remove()
