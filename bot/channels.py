"""Rasa input channel used by the web gateway.

Rasa's stock REST channel drops the ``metadata`` of incoming messages; the gateway sends the
partner id, page URL and profile (youth or referent) there, and actions need them.

The channel also masks personal data (``bot.masking``) in every message it receives, before Rasa
parses, logs or stores it: the gateway has already masked what it forwards, but a caller that
posts to this webhook directly must not get unmasked text into the tracker store either.

Each answered turn ends with a note for the gateway, in Rasa's custom-payload shape:
``{"recipient_id": …, "custom": {"profile": "youth" | "parent" | "referent"}}``, the voice the
conversation is in at the end of the turn (a parent known only from what they said included).
The gateway takes it out of the answer and words its own sentences with it (bot/web/views.py).

``GET /webhooks/boussole/health`` says whether a model is loaded and the tracker store answers
(the gateway's ``/healthz`` asks it). A turn whose conversation could not be read or saved
(tracker store down) is answered with an apology instead of what Rasa said: Rasa would
otherwise carry on in memory and answer as if the conversation had been kept
(bot/tracker_store.py).

A message may carry a ``message_id`` in its metadata (the gateway always sends one). In the
conversation's lock, a message whose id is already kept in the conversation is not handled
again: the answers it got are sent back. With several replicas, nginx resends a message to
another Rasa server when the one it reached died mid-turn; that turn was either saved whole
(Rasa saves a turn's events at its end) and is answered from the tracker store, or not at all
and is handled as new. Either way the person gets an answer and the conversation keeps the
message once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.masking import mask_text
from bot.tracker_store import turn_failures, turn_saved
from bot.web.chat_input import TURN_ID_RE
from knowledge.voice import voice_of

logger = logging.getLogger(__name__)

STORAGE_APOLOGY = (
    "Désolé, je ne peux pas enregistrer cette conversation pour le moment. "
    "Merci de réessayer dans quelques minutes."
)


class MetadataRestInput(RestInput):
    """REST channel at ``/webhooks/boussole/webhook`` that keeps the message metadata."""

    @classmethod
    def name(cls) -> str:
        return "boussole"

    def _extract_message(self, req: Request) -> str | None:
        text = super()._extract_message(req)
        return mask_text(text) if isinstance(text, str) else text

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        body = request.json or {}
        metadata = body.get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        server: dict[str, Any] = {}

        async def handle(message: UserMessage) -> None:
            with turn_failures() as failures, turn_saved() as saved:
                agent = getattr(server.get("app"), "ctx", None)
                agent = getattr(agent, "agent", None)
                await handle_once(message, on_new_message, agent)
            collector = message.output_channel
            if failures:
                logger.error(
                    "Conversation %s: answered with an apology, the tracker store failed (%s)",
                    message.sender_id,
                    failures[0],
                )
                collector.messages[:] = [
                    {"recipient_id": message.sender_id, "text": STORAGE_APOLOGY}
                ]
            elif saved and isinstance(getattr(collector, "messages", None), list):
                collector.messages.append(profile_note(message.sender_id, saved[-1]))

        blueprint = super().blueprint(handle)

        @blueprint.listener("before_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            server["app"] = app

        @blueprint.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            """Whether this Rasa server has a model loaded (one that failed to load leaves Rasa
            up, ignoring every message) and can read and write conversations."""
            agent = getattr(request.app.ctx, "agent", None)
            model = agent is not None and agent.processor is not None
            store = tracker_store_of(agent)
            check = getattr(store, "is_available", None)
            ok = store is not None and (check is None or await asyncio.to_thread(check))
            said = {"model": model, "tracker_store": ok}
            return response.json(said, status=200 if model and ok else 503)

        return blueprint


def profile_note(sender_id: str, tracker: Any) -> dict[str, Any]:
    """The note that tells the gateway the conversation's voice at the end of a turn: the
    ``profile`` slot, else the stated situation (« je suis parent »), else a young person's."""
    profile = voice_of(tracker.get_slot("profile"), tracker.get_slot("situation"))
    return {"recipient_id": sender_id, "custom": {"profile": profile}}


def tracker_store_of(agent: Any) -> Any:
    """The agent's tracker store itself, out of Rasa's fail-safe wrapper (None without one)."""
    store = getattr(agent, "tracker_store", None)
    return getattr(store, "_tracker_store", store)


def message_id_of(metadata: dict[str, Any] | None) -> str | None:
    """The checked ``message_id`` of a message's metadata, or None."""
    value = (metadata or {}).get("message_id")
    return value if isinstance(value, str) and TURN_ID_RE.match(value) else None


async def handle_once(
    message: UserMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]], agent: Any
) -> None:
    """Handle ``message``, or answer it from the conversation when its id is already kept.

    Without an id, a ready agent or a store that can look turns up, this is Rasa's own
    handling (``on_new_message``). Otherwise it is the same steps as Rasa's
    ``Agent.handle_message`` (the conversation's lock, then the processor), with the look-up
    inside the lock, so that a resend waits for a turn still in progress.
    """
    message_id = message_id_of(message.metadata)
    lookup = getattr(tracker_store_of(agent), "answers_to", None)
    if message_id is None or lookup is None or not agent.is_ready():
        await on_new_message(message)
        return
    message.message_id = message_id
    async with agent.lock_store.lock(message.sender_id):
        answers = await asyncio.to_thread(lookup, message.sender_id, message_id)
        if answers is None:
            await agent.processor.handle_message(message)
            return
    logger.warning(
        "Conversation %s: message %s was already handled, its answers are sent again",
        message.sender_id,
        message_id,
    )
    for answer in answers:
        await message.output_channel.send_response(message.sender_id, dict(answer))
