"""What the gateway asks the knowledge base: partners, and the line to call when Rasa is down.

The knowledge API is synchronous: it answers from memory, but opening the base or re-reading it
after a ``kb load`` queries the database (``knowledge/live.py``), so calls run in a worker thread
and never block the event loop. Partners are cached a few seconds because every chat message
needs one; with the base's own refresh interval, a changed partner reaches the widget within
``KNOWLEDGE_REFRESH_SECONDS`` plus that cache's life.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

from bot.web import wording
from bot.web.chat_input import PARTNER_ID_RE

FALLBACK_CONTACT_ID = "parcours_metiers"


async def _call(function: Callable[..., Any], *args: Any) -> Any:
    result = await asyncio.to_thread(function, *args)
    return await result if inspect.isawaitable(result) else result


# Seconds a partner lookup is shared by the requests that need it.
PARTNER_CACHE_SECONDS = 5.0


class KnowledgeUnavailable(RuntimeError):
    """The knowledge package could not be imported: there is no knowledge base to ask."""


class PartnerDirectory:
    """Partner lookups and the fallback contact, over a ``knowledge.live.LiveKnowledge``."""

    def __init__(
        self,
        knowledge: Any,
        ttl: float = PARTNER_CACHE_SECONDS,
        held: dict[str, Any] | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.ttl = ttl
        # contacts.yml entries read at start-up: the apology keeps its line when the base is down.
        self.held = held or {}
        self._cache: dict[str, tuple[float, asyncio.Future[Any]]] = {}

    def _ask(self, method: str, *args: Any) -> Any:
        """``method(*args)`` on the current base (in a worker thread: it may check or open it)."""
        return getattr(self.knowledge.current(), method)(*args)

    async def partner(self, partner_id: Any) -> Any | None:
        """The partner with this id, or ``None`` when unknown or malformed.

        Raises :class:`KnowledgeUnavailable` when there is no knowledge base to ask.
        """
        if self.knowledge is None:
            raise KnowledgeUnavailable("the knowledge base is not open")
        if not isinstance(partner_id, str) or not PARTNER_ID_RE.match(partner_id):
            return None
        now = time.monotonic()
        cached = self._cache.get(partner_id)
        if cached is None or cached[0] <= now:
            # The lookup itself is cached, not only its result: when the entry expires under
            # load, the requests that arrive meanwhile share one query instead of each queueing
            # its own in the thread pool.
            if len(self._cache) > 1000:  # ids are checked, but a flood of unknown ones is bounded
                self._cache.clear()
            lookup = asyncio.ensure_future(_call(self._ask, "partner", partner_id))
            cached = self._cache[partner_id] = (now + self.ttl, lookup)
        try:
            # shield: one caller giving up (client gone) must not cancel the others' lookup.
            return await asyncio.shield(cached[1])
        except Exception:
            if self._cache.get(partner_id) is cached:  # a failed lookup is not kept
                del self._cache[partner_id]
            raise

    async def fallback_text(self, profile: str | None = None) -> str:
        """What the widget says when Rasa is unreachable, with the Parcours Métiers line, to a
        request of ``profile`` (bot/web/wording.py)."""
        apology = wording.said(wording.APOLOGY, profile)
        entry = None
        if self.knowledge is not None:
            try:
                entry = await _call(self._ask, "contact", FALLBACK_CONTACT_ID)
            except Exception:  # the knowledge base may be down too; the apology still goes out
                entry = None
        entry = entry or self.held.get(FALLBACK_CONTACT_ID)
        if entry is None:
            return f"{apology} {wording.said(wording.TRY_AGAIN, profile)}"
        label = getattr(entry, "label", None) or "la ligne Parcours Métiers"
        phone = getattr(entry, "phone", None)
        website = getattr(entry, "website", None)
        if phone:
            free = " (appel gratuit)" if getattr(entry, "free", False) else ""
            hours = getattr(entry, "hours", None)
            when = f", {hours}" if hours else ""
            line = {"phone": phone, "free": free, "when": when, "label": label}
            return f"{apology} {wording.said(wording.CALL_LINE, profile, **line)}"
        if website:
            line = {"label": label, "website": website}
            return f"{apology} {wording.said(wording.LINE_WEBSITE, profile, **line)}"
        return f"{apology} {wording.said(wording.TRY_AGAIN, profile)}"

    async def check(self) -> dict[str, Any]:
        """``{"ok", "detail"}`` for ``/healthz``: can the knowledge base answer a query?"""
        if self.knowledge is None:
            return {"ok": False, "detail": "non ouverte"}
        try:
            entry = await _call(self._ask, "contact", FALLBACK_CONTACT_ID)
        except Exception as exc:  # any driver error means "down" for the health check
            return {"ok": False, "detail": type(exc).__name__}
        return {"ok": True, "detail": "ok" if entry else f"ok, sans contact {FALLBACK_CONTACT_ID}"}
