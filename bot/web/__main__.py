"""`python -m bot.web`: serve the gateway on ``BOUSSOLE_HOST:WEB_PORT``."""

from __future__ import annotations

import asyncio
import logging

import uvloop
from aiohttp import web

from bot.console import schedule_retention
from bot.logfiles import AccessLogger
from bot.masking import MaskingFormatter
from bot.settings import Settings, load_settings
from bot.web.app import create_app


def build_app(settings: Settings, retention_delay: float = 60.0) -> web.Application:
    """The gateway as it runs in production: :func:`create_app` plus the daily retention job
    (purge of old conversations, rotation and purge of the logs)."""
    app = create_app(settings)
    schedule_retention(app, first_delay=retention_delay)
    return app


def main() -> None:
    """Run the gateway until interrupted."""
    # Every record, the access log included, is masked (bot.masking) before it is written.
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    settings = load_settings()
    # uvloop (pinned, Rasa's Sanic needs it) roughly halves the gateway's CPU per message.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web.run_app(
        build_app(settings),
        host=settings.host,
        port=settings.web_port,
        print=None,
        access_log_class=AccessLogger,
    )


if __name__ == "__main__":
    main()
