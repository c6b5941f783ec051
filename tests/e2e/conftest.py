"""Helpers to talk to a running stack through Rasa's REST channel."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest


def say(base_url: str, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
    """Send ``text`` as ``sender`` through Boussole's REST channel; return the bot's messages."""
    said = {"sender": sender, "message": text, **({"metadata": metadata} if metadata else {})}
    body = json.dumps(said).encode()
    request = urllib.request.Request(
        f"{base_url}/webhooks/boussole/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return json.loads(response.read())


@pytest.fixture
def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def buttons(messages: list[dict]) -> list[str]:
    return [b["title"] for m in messages for b in m.get("buttons") or []]
