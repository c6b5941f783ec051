"""The real stack is closed by default: one way in for messages, a token for Rasa's API, and
every service bound to the configured host only."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import psutil
import pytest

from bot.distress_eval import rasa_parser
from bot.stack import rasa_token

pytestmark = pytest.mark.stack


def _status(url: str, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_rasas_stock_rest_channel_is_off(live_stack):
    body = json.dumps({"sender": "closed-1", "message": "bonjour"}).encode()
    base = live_stack.settings.rasa_base_url
    assert _status(f"{base}/webhooks/rest/webhook", body) == 404
    assert _status(f"{base}/webhooks/boussole/webhook", body) == 200


def test_rasas_http_api_needs_the_token(live_stack):
    base = live_stack.settings.rasa_base_url
    token = rasa_token(live_stack.settings)
    assert _status(f"{base}/conversations/closed-2/tracker") == 401
    assert _status(f"{base}/status") == 401
    assert _status(f"{base}/conversations/closed-2/tracker?token=wrong") == 401
    assert _status(f"{base}/conversations/closed-2/tracker?token={token}") == 200


def test_the_distress_evaluation_parses_with_the_token(live_stack):
    # `make eval` scores the distress set through /model/parse (bot/distress_eval.py)
    parse = rasa_parser(live_stack.settings.rasa_base_url, rasa_token(live_stack.settings))
    assert parse("je veux mourir") == "distress"
    assert parse("bonjour") == "greet"


def test_every_service_listens_on_the_configured_host_only(live_stack):
    host = live_stack.settings.host
    for service in live_stack.services:
        family = psutil.Process(service.process.pid)
        processes = [family, *family.children(recursive=True)]
        listening = {
            (c.laddr.ip, c.laddr.port)
            for p in processes
            for c in p.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN
        }
        assert (host, service.port) in listening, service.name
        assert {ip for ip, _ in listening} == {host}, f"{service.name}: {listening}"
