"""`make run` says « Prêt » only when Rasa has a model loaded.

Rasa answers HTTP once it has tried to load its model, and when that failed it serves anyway,
ignoring every message. The stack asks Boussole's channel (``/webhooks/boussole/health``)
whether a model is loaded. Here a small process answers that route as Rasa does, so the
stack's real start-up loop, process handling and message are exercised in a second; the real
Rasa with a broken model is in tests/faults/test_rasa_without_a_model.py.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bot.settings import load_settings
from bot.stack import NO_MODEL, READY, Service, Stack, free_port

# Answers the health route of Boussole's channel as Rasa does: JSON, 503 when something lacks.
RASA_LIKE = """
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, model, store = int(sys.argv[1]), sys.argv[2] == "model", sys.argv[3] == "store"

class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/webhooks/boussole/health":
            self.send_error(404)
            return
        body = json.dumps({"model": model, "tracker_store": store}).encode()
        self.send_response(200 if model and store else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", port), Health).serve_forever()
"""


@dataclass
class RasaOnly(Stack):
    """The stack's Rasa service (its health URL and readiness rule), run by ``RASA_LIKE``."""

    model_loaded: bool = True
    store_up: bool = True

    def build(self) -> list[Service]:
        port = self.settings.rasa_port
        service = self._rasa(port, self.log_dir / "endpoints.yml", "rasa.log")
        script = self.log_dir.parent / "rasa_like.py"
        script.write_text(RASA_LIKE, encoding="utf-8")
        service.command = [
            sys.executable,
            str(script),
            str(port),
            "model" if self.model_loaded else "none",
            "store" if self.store_up else "down",
        ]
        return [service]


def rasa_only(tmp_path: Path, **kwargs) -> RasaOnly:
    model = tmp_path / "boussole.tar.gz"
    model.write_bytes(b"an archive Rasa could not read")
    settings = replace(load_settings({}), host="127.0.0.1", rasa_port=free_port())
    return RasaOnly(
        settings=settings, model=model, log_dir=tmp_path / "logs", with_web=False, **kwargs
    )


def test_rasa_without_a_model_is_not_ready_and_the_stack_says_why_in_french(tmp_path):
    stack = rasa_only(tmp_path, model_loaded=False)
    with pytest.raises(RuntimeError) as raised:
        stack.start(timeout=60)
    message = str(raised.value)
    assert message.startswith("Rasa a démarré mais n'a chargé aucun modèle : ")
    assert str(stack.model) in message
    assert "Entraînez-en un avec `make train`, puis relancez `make run`." in message
    assert "Prêt" not in message
    rasa = stack.services[0]
    assert rasa.exited() is not None  # nothing left running behind the message


def test_rasa_with_its_model_is_ready_even_while_its_tracker_store_is_down(tmp_path):
    # A store that is down is the gateway's « degraded » (and heals); not a start-up failure.
    stack = rasa_only(tmp_path, store_up=False)
    stack.start(timeout=60)
    try:
        rasa = stack.services[0]
        assert rasa.health_url.endswith("/webhooks/boussole/health")
        assert rasa.state() == READY
    finally:
        stack.stop()


def test_a_stack_started_without_requiring_a_model_reports_it(tmp_path):
    stack = rasa_only(tmp_path, model_loaded=False, require_model=False)
    stack.start(timeout=60)
    try:
        rasa = stack.services[0]
        assert rasa.state() == NO_MODEL and not rasa.is_healthy()
    finally:
        stack.stop()
