"""Rasa input channel used by the web gateway.

Rasa's stock REST channel drops the ``metadata`` of incoming messages; the gateway sends the
partner id, page URL and profile (youth or referent) there, and actions need them.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.request import Request


class MetadataRestInput(RestInput):
    """REST channel at ``/webhooks/boussole/webhook`` that keeps the message metadata."""

    @classmethod
    def name(cls) -> str:
        return "boussole"

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        body = request.json or {}
        metadata = body.get("metadata")
        return metadata if isinstance(metadata, dict) else None
