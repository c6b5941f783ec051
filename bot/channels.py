"""Rasa input channel used by the web gateway.

Rasa's stock REST channel drops the ``metadata`` of incoming messages; the gateway sends the
partner id, page URL and profile (youth or referent) there, and actions need them.

The channel also masks personal data (``bot.masking``) in every message it receives, before Rasa
parses, logs or stores it: the gateway has already masked what it forwards, but a caller that
posts to this webhook directly must not get unmasked text into the tracker store either.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.request import Request

from bot.masking import mask_text


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
