"""The Redis of Rasa's locks and the gateway's limits goes down and comes back.

With ``REDIS_URL`` set, Rasa takes no turn without its lock: the person gets the gateway's
apology (never silence, never a 500), ``/healthz`` says ``down`` so a load balancer looks
elsewhere, and the same conversation goes on once Redis is back. The Redis here is one the test
starts and stops itself, not the machine's.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import replace

import pytest

from bot.stack import Stack
from bot.training import model_path
from tests.conftest import stack_settings
from tests.faults.servers import PrivateRedis

pytestmark = pytest.mark.stack


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _health(base: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _texts(body: dict) -> str:
    return "\n".join(m.get("text") or "" for m in body.get("messages", []))


def test_redis_outage_gets_an_apology_and_the_conversation_resumes(tmp_path):
    if not model_path().exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    redis = PrivateRedis(tmp_path / "redis").start()
    try:
        settings = replace(
            stack_settings(tmp_path), redis_url=redis.url, redis_key_prefix="faulttest"
        )
        with Stack(settings=settings, log_dir=tmp_path / "logs") as stack:
            base = f"http://{settings.host}:{settings.web_port}"
            chat = f"{base}/api/chat?partner=rouen_info_jeunes"
            session = f"redis-{uuid.uuid4().hex[:10]}"
            status, first = _post(chat, {"session_id": session, "text": "bonjour"})
            assert status == 200 and _texts(first)
            assert _health(base)[1]["status"] in ("ok", "degraded")

            redis.stop()
            question = {"session_id": session, "text": "je cherche une formation"}
            status, during = _post(chat, question)
            assert status in (200, 503)
            assert "0 800 05 00 00" in _texts(during) or "Désolé" in _texts(during), during
            code, health = _health(base)
            assert code == 503 and health["status"] == "down"
            assert health["services"]["redis"]["ok"] is False

            redis.start()
            status, after = _post(chat, question)
            assert status == 200, after
            assert "commune" in _texts(after)  # the training question's form starts as usual
            assert _health(base)[0] == 200
            assert stack.first_exited() is None  # nothing crashed on the way
    finally:
        redis.stop()
