"""`python -m bot.web`: serve the gateway on ``BOUSSOLE_HOST:WEB_PORT``."""

from __future__ import annotations

import asyncio
import logging

import uvloop
from aiohttp import web

from bot.settings import load_settings
from bot.web.app import create_app


def main() -> None:
    """Run the gateway until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    # uvloop (pinned, Rasa's Sanic needs it) roughly halves the gateway's CPU per message.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web.run_app(create_app(settings), host=settings.host, port=settings.web_port, print=None)


if __name__ == "__main__":
    main()
