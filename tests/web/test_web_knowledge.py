"""The gateway over the real knowledge base loaded from knowledge/data (no stand-in)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace

from bot.settings import PROJECT_ROOT, load_settings
from bot.stack import free_port
from bot.web.app import create_app
from knowledge.live import LiveKnowledge
from knowledge.loader import load


async def test_declared_partner_and_origins_come_from_partners_yml(
    fake_rasa, make_gateway, real_knowledge
):
    partner = real_knowledge.partner("rouen_info_jeunes")
    client = await make_gateway(fake_rasa.port, knowledge=real_knowledge)
    body = {"session_id": "session-reelle-1", "text": "bonjour"}
    for origin in partner.allowed_origins:
        response = await client.post(
            "/api/chat?partner=rouen_info_jeunes", json=body, headers={"Origin": origin}
        )
        assert response.status == 200, origin
    refused = await client.post(
        "/api/chat?partner=rouen_info_jeunes", json=body, headers={"Origin": "https://evil.example"}
    )
    assert refused.status == 403
    unknown = await client.post("/api/chat?partner=rouen-info-jeunes", json=body)
    assert unknown.status == 403


async def test_rasa_down_gives_the_parcours_metiers_line_of_contacts_yml(
    make_gateway, real_knowledge
):
    line = real_knowledge.contact("parcours_metiers")
    assert line is not None and line.phone
    client = await make_gateway(free_port(), knowledge=real_knowledge)
    response = await client.post(
        "/api/chat?partner=rouen_info_jeunes",
        json={"session_id": "session-reelle-2", "text": "bonjour"},
    )
    assert response.status == 503
    body = await response.json()
    assert line.phone in body["message"]
    assert [p["text"] for p in body["messages"][0]["parts"] if p.get("kind") == "phone"] == [
        line.phone
    ]


async def test_healthz_checks_the_real_knowledge_base(fake_rasa, make_gateway, real_knowledge):
    client = await make_gateway(fake_rasa.port, knowledge=real_knowledge)
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["services"]["knowledge"] == {"ok": True, "detail": "ok"}


async def test_gateway_opens_the_knowledge_base_from_settings(fake_rasa, aiohttp_client, tmp_path):

    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    load(url)
    settings = replace(
        load_settings({}),
        rasa_url=f"http://127.0.0.1:{fake_rasa.port}",
        knowledge_db_url=url,
        app_db_url=f"sqlite:///{tmp_path / 'app.sqlite3'}",
        tracker_db_url=f"sqlite:///{tmp_path / 'tracker.sqlite3'}",
    )
    client = await aiohttp_client(create_app(settings))
    response = await client.get("/api/config?partner=rouen_info_jeunes")
    assert response.status == 200
    assert (await response.json())["partner"]["name"] == "Rouen Info Jeunes"


async def test_gateway_starts_and_reports_a_missing_knowledge_base(
    fake_rasa, aiohttp_client, tmp_path
):

    settings = replace(
        load_settings({}),
        rasa_url=f"http://127.0.0.1:{fake_rasa.port}",
        action_port=fake_rasa.port,
        knowledge_db_url=f"sqlite:///{tmp_path / 'absente' / 'kb.sqlite3'}",
        app_db_url=f"sqlite:///{tmp_path / 'app.sqlite3'}",
        tracker_db_url=f"sqlite:///{tmp_path / 'tracker.sqlite3'}",
    )
    client = await aiohttp_client(create_app(settings))
    health = await client.get("/healthz")
    assert health.status == 503
    assert (await health.json())["services"]["knowledge"]["ok"] is False
    chat = await client.post(
        "/api/chat?partner=rouen_info_jeunes", json={"session_id": "session-x-1", "text": "a"}
    )
    assert chat.status == 503
    assert "indisponible" in (await chat.json())["message"]


async def test_gateway_picks_up_a_knowledge_base_loaded_after_it_started(
    fake_rasa, aiohttp_client, tmp_path, clock
):
    # It used to open the base once at start-up and give up for good when it could not.
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    settings = replace(
        load_settings({}),
        rasa_url=f"http://127.0.0.1:{fake_rasa.port}",
        action_port=fake_rasa.port,
        knowledge_db_url=url,
        app_db_url=f"sqlite:///{tmp_path / 'app.sqlite3'}",
        tracker_db_url=f"sqlite:///{tmp_path / 'tracker.sqlite3'}",
    )
    knowledge = LiveKnowledge.from_url(url, every=30, clock=clock)
    client = await aiohttp_client(create_app(settings, knowledge=knowledge))
    config = "/api/config?partner=rouen_info_jeunes"
    assert (await client.get(config)).status == 503
    load(url)
    clock.advance(1)  # the first retry
    response = await client.get(config)
    assert response.status == 200
    assert (await response.json())["partner"]["name"] == "Rouen Info Jeunes"
    assert (await client.get("/healthz")).status == 200


def test_python_m_bot_web_serves_the_demo(tmp_path):

    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    load(url)
    port = free_port()
    env = {
        **os.environ,
        "WEB_PORT": str(port),
        "BOUSSOLE_HOST": "127.0.0.1",
        "RASA_PORT": str(free_port()),
        "KNOWLEDGE_DB_URL": url,
        "APP_DB_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "TRACKER_DB_URL": f"sqlite:///{tmp_path / 'tracker.sqlite3'}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.web"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/demo", timeout=2) as page:
                    html = page.read().decode("utf-8")
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, "python -m bot.web exited"
                assert time.monotonic() < deadline, "python -m bot.web did not answer"
                time.sleep(0.3)
        assert 'data-partner="rouen_info_jeunes"' in html
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/widget.js", timeout=2) as js:
            assert b"data-partner" in js.read()
    finally:
        process.terminate()
        process.wait(timeout=10)
