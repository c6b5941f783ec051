"""A stand-in Rasa server speaking only the REST-channel contract the gateway relies on.

For the gateway's tests, its browser tests until the real stack fixture is used, and for
measuring the gateway's own overhead (``benchmarks/gateway.py --fake-rasa``). It understands
nothing: it answers topic payloads with a question and buttons, and echoes typed text with a
contact line, then notes the conversation's profile as Boussole's channel does. Its phone
number is in the range ARCEP reserves for fiction (01 99 00 …).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from aiohttp import web

RECEIVED_KEY = web.AppKey("received", list)
DELAY_KEY = web.AppKey("delay", float)
# One message at a time, like a Rasa server whose CPU is the bottleneck.
SERIAL_KEY = web.AppKey("serial", asyncio.Lock)
FICTION_PHONE = "01 99 00 12 34"


def answer(message: str, sender: str) -> list[dict[str, Any]]:
    """The fake bot's reply to ``message``."""
    if message.startswith("/"):
        return [
            {
                "recipient_id": sender,
                "text": f"Tu as choisi {message}. Tu as quel âge ?",
                "buttons": [
                    {"title": "Moins de 16 ans", "payload": '/inform{"age":"15"}'},
                    {"title": "16 à 25 ans", "payload": '/inform{"age":"20"}'},
                ],
            }
        ]
    return [
        {"recipient_id": sender, "text": f"Tu m'as écrit : {message}"},
        {
            "recipient_id": sender,
            "text": f"Pour en parler, appelle le {FICTION_PHONE} ou va sur https://exemple.fr/aide.",
        },
    ]


def profile_note(message: str, metadata: Any, sender: str) -> dict[str, Any]:
    """The note Boussole's channel ends each answer with (bot/channels.py): « ma fille » or
    « mon fils » make the conversation a parent's, as Rasa's role reader does; otherwise the
    profile the request said, else a young person's."""
    said = metadata.get("profile") if isinstance(metadata, dict) else None
    profile = said if said in ("youth", "parent", "referent") else "youth"
    if "ma fille" in message.lower() or "mon fils" in message.lower():
        profile = "parent"
    return {"recipient_id": sender, "custom": {"profile": profile}}


async def _webhook(request: web.Request) -> web.Response:
    body = await request.json()
    request.app[RECEIVED_KEY].append(body)
    if SERIAL_KEY in request.app:
        async with request.app[SERIAL_KEY]:
            await asyncio.sleep(request.app[DELAY_KEY])
    elif request.app[DELAY_KEY]:
        await asyncio.sleep(request.app[DELAY_KEY])
    message, sender = str(body["message"]), str(body["sender"])
    note = profile_note(message, body.get("metadata"), sender)
    return web.json_response([*answer(message, sender), note])


async def _version(_request: web.Request) -> web.Response:
    return web.json_response({"version": "fake-rasa"})


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({"model": True, "tracker_store": True})


def create_fake_rasa(delay: float = 0.0, serial: bool = False) -> web.Application:
    """The fake Rasa app; ``app[RECEIVED_KEY]`` lists every body it was sent.

    ``delay`` seconds before each answer; ``serial`` answers one message at a time.
    """
    app = web.Application()
    app[RECEIVED_KEY] = []
    app[DELAY_KEY] = delay
    if serial:
        app[SERIAL_KEY] = asyncio.Lock()
    app.router.add_post("/webhooks/boussole/webhook", _webhook)
    app.router.add_get("/version", _version)
    app.router.add_get("/webhooks/boussole/health", _health)
    # The action server's health route, so one fake can stand for both services.
    app.router.add_get("/health", _health)
    return app


def main(argv: list[str] | None = None) -> None:
    """``python -m bot.web.fake_rasa --port 5005``."""
    parser = argparse.ArgumentParser(description="faux serveur Rasa (contrat REST seulement)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--delay", type=float, default=0.0, help="secondes avant chaque réponse")
    parser.add_argument("--serial", action="store_true", help="un message à la fois")
    args = parser.parse_args(argv)
    app = create_fake_rasa(args.delay, args.serial)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
