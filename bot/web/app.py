"""The web gateway's application factory: the widget, its API and the pages around it.

Follows aio-libs/aiohttp-demos: nothing is opened at import time; the HTTP client, the knowledge
base and the application database are opened in ``cleanup_ctx`` and closed with the app.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp_jinja2
import jinja2
import redis.asyncio
from aiohttp import web

from bot import appdb
from bot.console import PREFIX as CONSOLE_PREFIX
from bot.console import setup_console
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.web import headers, timing
from bot.web.access import add_cors_headers
from bot.web.directory import PARTNER_CACHE_SECONDS, PartnerDirectory
from bot.web.errors import ApiError, from_http_exception
from bot.web.keys import (
    APP_DB_KEY,
    HTTP_KEY,
    LIMITS_KEY,
    PARTNERS_KEY,
    PROXIES_KEY,
    RASA_KEY,
    SAFETY_KEY,
    SETTINGS_KEY,
)
from bot.web.limits import MemoryRateLimits, RedisRateLimits
from bot.web.proxies import parse_networks
from bot.web.rasa_client import RasaClient
from bot.web.routes import setup_routes
from bot.web.safety import SafetyNet

log = logging.getLogger(__name__)

# Console forms and API bodies are a few kilobytes; aiohttp's default (1 MiB) would let anyone
# make the gateway buffer and parse a megabyte per request.
MAX_REQUEST_BODY = 64 * 1024
INTERNAL_ERROR = ApiError(
    500, "internal", "Une erreur inattendue est survenue. Réessaie dans un instant."
)


def _error_response(request: web.Request, error: ApiError) -> web.StreamResponse:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return error.response()
    response = aiohttp_jinja2.render_template(
        "error.html", request, {"message": error.message}, status=error.status
    )
    response.headers.update(error.headers)
    return response


@web.middleware
async def errors_and_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """French JSON (API) or HTML (pages) for every error, then CORS and timing headers.

    Security headers are added to every response by :mod:`bot.web.headers`.
    """
    if request.path == CONSOLE_PREFIX or request.path.startswith(CONSOLE_PREFIX + "/"):
        # The console has its own middleware, error pages and headers.
        return await handler(request)
    timing.start(request)
    try:
        response = await handler(request)
    except ApiError as exc:
        response = _error_response(request, exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = _error_response(request, from_http_exception(exc))
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        response = _error_response(request, INTERNAL_ERROR)
    if request.path.startswith("/api/"):
        add_cors_headers(request, response)
    timing.add_header(request, response)
    return response


async def _http_client(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS_KEY]
    timeout = aiohttp.ClientTimeout(total=30, connect=3)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=aiohttp.TCPConnector(limit=200)
    ) as session:
        app[HTTP_KEY] = session
        app[RASA_KEY] = RasaClient(session, settings.rasa_base_url)
        yield


async def _rate_limits(app: web.Application) -> AsyncIterator[None]:
    """Counters in Redis when ``REDIS_URL`` is set (shared by every replica), else in memory."""
    settings = app[SETTINGS_KEY]
    limits = {"ip": settings.web_ip_rate, "session": settings.web_session_rate}
    if not settings.redis_url:
        app[LIMITS_KEY] = MemoryRateLimits(limits)
        yield
        return
    # Short timeouts: a Redis outage must not hold the chat (the limits are then skipped).
    client = redis.asyncio.from_url(
        settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
    )
    app[LIMITS_KEY] = RedisRateLimits(client, limits, prefix=settings.web_limit_prefix)
    yield
    await client.close()


def _knowledge_base(given: Any):
    async def open_knowledge(app: web.Application) -> AsyncIterator[None]:
        live = None
        try:
            # Imported here: the gateway must start (and say "knowledge: down" in /healthz)
            # even when the knowledge package or its database is broken.
            from knowledge.live import LiveKnowledge

            if isinstance(given, LiveKnowledge):
                live = given
            elif given is not None:
                live = LiveKnowledge.fixed(given)
            else:
                settings = app[SETTINGS_KEY]
                live = LiveKnowledge.from_url(
                    settings.knowledge_db_url, every=settings.knowledge_refresh_seconds
                )
                # Opened now rather than on the first message; a failure is logged and the
                # opening tried again later (knowledge/live.py).
                await asyncio.to_thread(live.current)
        except Exception:
            if live is None:
                log.exception("the knowledge base could not be set up")
        held = app[SAFETY_KEY].answers.contacts if app[SAFETY_KEY].answers else {}
        # A partner is never cached longer than the base's own refresh interval.
        ttl = min(PARTNER_CACHE_SECONDS, app[SETTINGS_KEY].knowledge_refresh_seconds)
        app[PARTNERS_KEY] = PartnerDirectory(live, ttl=ttl, held=held)
        yield
        if live is not None:
            await asyncio.to_thread(live.close)

    return open_knowledge


async def _app_database(app: web.Application) -> AsyncIterator[None]:
    engine = appdb.get_engine(app[SETTINGS_KEY].app_db_url)
    try:
        await asyncio.to_thread(appdb.create_schema, engine)
    except Exception:  # feedback fails with a French 500 until the database is back
        log.exception("the application database is not reachable")
    app[APP_DB_KEY] = engine
    yield
    await asyncio.to_thread(engine.dispose)


def create_app(
    settings: Settings | None = None,
    *,
    knowledge: Any = None,
    project_root: Path = PROJECT_ROOT,
    clock: Callable[[], float] = time.time,
) -> web.Application:
    """The gateway application.

    ``knowledge`` is an open ``knowledge.api.KnowledgeBase`` (or an object with its ``partner``
    and ``contact`` methods), served as it is, or a ``knowledge.live.LiveKnowledge``; by default
    one is opened from ``settings.knowledge_db_url`` and re-read after each ``kb load``.
    ``project_root`` and ``clock`` go to the console: where its exports are written and what
    day it is (tests pass a throw-away root and a fixed clock).
    """
    settings = settings or load_settings()
    app = web.Application(middlewares=[errors_and_headers], client_max_size=MAX_REQUEST_BODY)
    headers.install(app)
    app[SETTINGS_KEY] = settings
    app[PROXIES_KEY] = parse_networks(settings.trusted_proxies)
    # Held from the start: distress is answered even when Rasa and the databases are down.
    app[SAFETY_KEY] = SafetyNet.load()
    aiohttp_jinja2.setup(app, loader=jinja2.PackageLoader("bot.web", "templates"), autoescape=True)
    app.cleanup_ctx.extend([_http_client, _rate_limits, _knowledge_base(knowledge), _app_database])
    setup_routes(app)
    setup_console(app, settings, project_root=project_root, clock=clock)
    return app
