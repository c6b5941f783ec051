"""Shared helpers of the gateway tests (a module of its own: conftest files are not importable)."""

from __future__ import annotations

import asyncio
import json
import threading

from aiohttp import web

from knowledge.models import ContactEntry, Partner

PARTNER_ORIGIN = "https://partenaire.example"
# Fiction-range number (ARCEP): the fallback must come from the knowledge base, whatever it says.
FALLBACK_PHONE = "01 99 00 56 78"
SESSION = "abcdef0123456789"


async def post_chat(client, body, partner="partenaire_test", origin=PARTNER_ORIGIN, raw=None):
    """POST ``body`` (or the ``raw`` bytes) to ``/api/chat`` as the partner's page would."""
    headers = {"Content-Type": "application/json"}
    if origin:
        headers["Origin"] = origin
    data = raw if raw is not None else json.dumps(body)
    return await client.post(f"/api/chat?partner={partner}", data=data, headers=headers)


class StandInKnowledge:
    """The two ``KnowledgeBase`` methods the gateway calls, over fixed test entries."""

    def __init__(self) -> None:
        self.partners = {
            "partenaire_test": Partner(
                id="partenaire_test",
                name="Partenaire de test",
                allowed_origins=(PARTNER_ORIGIN,),
                default_commune="76540",
                profile="youth",
            ),
            "structure_referent": Partner(
                id="structure_referent",
                name="Structure référente",
                allowed_origins=(),
                profile="referent",
            ),
        }
        self.contacts = {
            "parcours_metiers": ContactEntry(
                id="parcours_metiers",
                label="Ligne de test",
                phone=FALLBACK_PHONE,
                free=True,
            )
        }

    def partner(self, partner_id: str) -> Partner | None:
        return self.partners.get(partner_id)

    def contact(self, contact_id: str) -> ContactEntry | None:
        return self.contacts.get(contact_id)


class ServedApps:
    """aiohttp apps served on real ports from a background event loop, for a real browser."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runners: list[web.AppRunner] = []
        self.thread.start()

    def serve(self, app: web.Application, port: int) -> str:
        """Start ``app`` on ``port``; return its base URL."""

        async def start() -> None:
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            self.runners.append(runner)

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(timeout=30)
        return f"http://127.0.0.1:{port}"

    def close(self) -> None:
        """Stop every app (their cleanup contexts run) and the loop."""

        async def stop() -> None:
            for runner in reversed(self.runners):
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
