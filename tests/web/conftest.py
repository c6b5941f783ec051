"""Fixtures of the gateway tests: a fake Rasa speaking the REST contract, a small knowledge
stand-in built from the real model classes, and a factory for gateway test clients."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from web_support import StandInKnowledge

from bot.settings import load_settings
from bot.web.app import create_app
from bot.web.fake_rasa import create_fake_rasa
from knowledge.api import KnowledgeBase
from knowledge.loader import load
from tests.console.conftest import NOW


@pytest.fixture
async def fake_rasa(aiohttp_server):
    """A running fake Rasa (also answering the action server's /health)."""
    return await aiohttp_server(create_fake_rasa())


@pytest.fixture
def gateway_settings(tmp_path):
    """Factory of settings for a gateway talking to ``rasa_port`` (embedded defaults otherwise)."""

    def make(rasa_port: int, **overrides: Any):
        values = {
            "rasa_url": f"http://127.0.0.1:{rasa_port}",
            "action_port": rasa_port,
            "host": "127.0.0.1",
            "app_db_url": f"sqlite:///{tmp_path / 'app.sqlite3'}",
            "tracker_db_url": f"sqlite:///{tmp_path / 'tracker.sqlite3'}",
            **overrides,
        }
        return replace(load_settings({}), **values)

    return make


@pytest.fixture
def make_gateway(aiohttp_client, gateway_settings, tmp_path):
    """Factory: a test client of a gateway forwarding to ``rasa_port``; its console writes
    exports under ``tmp_path / "project"`` and its clock stands at the console tests' ``NOW``."""

    async def make(rasa_port: int, knowledge: Any = None, **overrides: Any):
        settings = gateway_settings(rasa_port, **overrides)
        app = create_app(
            settings,
            knowledge=knowledge or StandInKnowledge(),
            project_root=tmp_path / "project",
            clock=lambda: NOW,
        )
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def gateway(fake_rasa, make_gateway):
    """A gateway in front of the fake Rasa, with the default limits."""
    return await make_gateway(fake_rasa.port)


@pytest.fixture(scope="module")
def real_knowledge(tmp_path_factory):
    """The shipped knowledge base, loaded into a throw-away SQLite file, open."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.sqlite3'}"
    load(url)
    knowledge = KnowledgeBase.from_url(url)
    yield knowledge
    knowledge.close()
