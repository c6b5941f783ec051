"""Talking to the Rasa server and checking the services the gateway depends on."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

WEBHOOK_PATH = "/webhooks/boussole/webhook"
# Boussole's channel says there whether Rasa has a model loaded and whether its tracker store
# answers (bot/channels.py).
HEALTH_PATH = "/webhooks/boussole/health"


class RasaUnavailable(Exception):
    """Rasa could not be reached or did not answer properly."""


class RasaClient:
    """Forwards one user message to Rasa's ``boussole`` REST channel and returns its answer."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any], timeout: float | None = None
    ) -> list[Any]:
        """Rasa's list of bot messages for ``message``; raises :class:`RasaUnavailable`.

        ``timeout`` (seconds) replaces the session's limit for this message.
        """
        body = {"sender": sender, "message": message, "metadata": metadata}
        options = {"timeout": aiohttp.ClientTimeout(total=timeout)} if timeout else {}
        try:
            async with self.session.post(
                self.base_url + WEBHOOK_PATH, json=body, **options
            ) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(answer, list):
            raise RasaUnavailable("Rasa's answer is not a list of messages")
        return answer


async def probe(session: aiohttp.ClientSession, url: str, timeout: float = 3.0) -> dict[str, Any]:
    """``{"ok": bool, "detail": str}`` for a GET on ``url`` (ok means HTTP 200).

    The detail never carries what the service says of itself (versions are nobody's business).
    """
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            await response.read()
            if response.status == 200:
                return {"ok": True, "detail": "ok"}
            return {"ok": False, "detail": f"HTTP {response.status}"}
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return {"ok": False, "detail": type(exc).__name__}


async def rasa_parts(
    session: aiohttp.ClientSession, base_url: str, timeout: float = 3.0
) -> dict[str, dict[str, Any]]:
    """The ``rasa`` and ``tracker_store`` parts of ``/healthz``.

    ``rasa`` is ok when the server answers and has a model loaded: a Rasa whose model could not
    be loaded still answers ``/version`` but ignores every message. ``tracker_store`` is ok
    when the channel reached its database.
    """
    base = base_url.rstrip("/")

    async def health() -> dict[str, Any]:
        async with session.get(
            base + HEALTH_PATH, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            said = await response.json(content_type=None)
        return said if isinstance(said, dict) else {}

    version, said = await asyncio.gather(
        probe(session, base + "/version", timeout), health(), return_exceptions=True
    )
    if not version["ok"]:
        return {"rasa": version, "tracker_store": {"ok": False, "detail": "Rasa injoignable"}}
    if isinstance(said, BaseException):
        failed = {"ok": False, "detail": type(said).__name__}
        return {"rasa": failed, "tracker_store": failed}
    rasa = {"ok": True, "detail": "ok"}
    if said.get("model") is not True:
        rasa = {"ok": False, "detail": "aucun modèle chargé"}
    tracker = {"ok": True, "detail": "ok"}
    if said.get("tracker_store") is not True:
        tracker = {"ok": False, "detail": "base des conversations injoignable"}
    return {"rasa": rasa, "tracker_store": tracker}
