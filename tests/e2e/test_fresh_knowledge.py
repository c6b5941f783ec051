"""A `kb load` reaches the running action server and gateway without a restart (issue 14, 6).

The real processes as `make run` starts them, on a knowledge base of their own (SQLite, then
PostgreSQL), with ``KNOWLEDGE_REFRESH_SECONDS=0`` so that they check the version stamp at every
use instead of every 30 s: the test then needs no waiting. The interval itself is tested with a
manual clock in tests/knowledge/test_kb_refresh.py.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from dataclasses import replace

import pytest
import yaml

from bot.stack import Stack
from knowledge.loader import load
from knowledge.sources import DATA_DIR
from tests.conftest import stack_settings

pytestmark = pytest.mark.stack


def _cej_summary_start() -> str:
    """The opening words of the CEJ's summary in the shipped data (the test edits them)."""
    schemes = yaml.safe_load((DATA_DIR / "schemes.yml").read_text(encoding="utf-8"))["schemes"]
    summary = next(s["summary"] for s in schemes if s["id"] == "cej")
    return " ".join(summary.split()[:5])


SUMMARY = _cej_summary_start()
NEW_SUMMARY = SUMMARY.replace("Le CEJ", "Le CEJ (résumé rechargé)", 1)
PARTNER_NAME = "Rouen Info Jeunes"
NEW_PARTNER_NAME = "Rouen Info Jeunes – nom rechargé"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def knowledge_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'knowledge.sqlite3'}"
    return request.getfixturevalue("make_postgres_database")("kblive")


def edited_data(folder):
    """knowledge/data with the CEJ's summary and the Rouen partner's name changed."""
    data = shutil.copytree(DATA_DIR, folder)
    for name, old, new in (
        ("schemes.yml", SUMMARY, NEW_SUMMARY),
        ("partners.yml", f"name: {PARTNER_NAME}\n", f"name: {NEW_PARTNER_NAME}\n"),
    ):
        path = data / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, (name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    return data


def _json(request: urllib.request.Request | str) -> dict:
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def scheme_answer(settings) -> str:
    """What `action_scheme_info` says about the CEJ, called on the action server as Rasa does."""
    body = {
        "next_action": "action_scheme_info",
        "sender_id": "fresh-knowledge",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "fresh-knowledge",
            "slots": {"scheme": "cej"},
            "latest_message": {
                "text": "c'est quoi le cej",
                "intent": {"name": "ask_scheme_info"},
                "entities": [],
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }
    request = urllib.request.Request(
        settings.action_url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    return "\n".join(m.get("text") or "" for m in _json(request)["responses"])


def widget_partner_name(settings) -> str:
    """The partner name the widget shows (``GET /api/config``)."""
    base = f"http://{settings.host}:{settings.web_port}"
    return _json(f"{base}/api/config?partner=rouen_info_jeunes")["partner"]["name"]


def test_a_new_load_reaches_the_action_server_and_the_gateway_without_restart(
    knowledge_url, tmp_path
):
    load(knowledge_url)
    settings = replace(
        stack_settings(tmp_path),
        knowledge_db_url=knowledge_url,
        knowledge_refresh_seconds=0,
    )
    stack = Stack(settings=settings, log_dir=tmp_path / "logs")
    services = [s for s in stack.build() if s.name in ("actions", "web")]
    env = stack.env()
    for service in services:
        service.start(env)
    try:
        deadline = time.monotonic() + 180  # a start-up bound, not a measure
        for service in services:
            while not service.is_healthy():
                assert service.exited() is None, service.log_tail()
                assert time.monotonic() < deadline, service.log_tail()
                time.sleep(0.3)
        pids = [s.process.pid for s in services]
        assert SUMMARY in scheme_answer(settings)
        assert widget_partner_name(settings) == PARTNER_NAME

        load(knowledge_url, edited_data(tmp_path / "data"))

        assert NEW_SUMMARY in scheme_answer(settings)
        assert widget_partner_name(settings) == NEW_PARTNER_NAME
        assert [s.process.pid for s in services] == pids
        assert all(s.exited() is None for s in services)
    finally:
        for service in services:
            service.stop()
