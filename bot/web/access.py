"""Who may call the API: a declared partner, from one of its declared origins.

The partner id travels in the query string (``?partner=ID``) so that a CORS preflight, which
carries no body, can already be answered for the right partner.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.web.errors import ApiError, origin_not_allowed, unknown_partner
from bot.web.keys import PARTNERS_KEY

log = logging.getLogger(__name__)

# Set on the request once its origin is known to be allowed; the middleware then adds the
# CORS headers to whatever the view answers, errors included, so the widget can read them.
CORS_ORIGIN = "boussole_cors_origin"
CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}


def own_origin(request: web.Request) -> str:
    """The gateway's own origin as the browser addressed it."""
    return f"{request.scheme}://{request.host}"


def origin_allowed(partner: Any, origin: str, request: web.Request) -> bool:
    """True when ``origin`` is the gateway itself or declared by ``partner``."""
    allowed = set(getattr(partner, "allowed_origins", None) or ())
    return origin == own_origin(request) or origin.rstrip("/") in {o.rstrip("/") for o in allowed}


async def find_partner(request: web.Request) -> Any:
    """The partner named by ``?partner=``; 403 when unknown, 503 when it cannot be checked."""
    try:
        partner = await request.app[PARTNERS_KEY].partner(request.query.get("partner"))
    except Exception as exc:
        log.exception("partner lookup failed")
        raise ApiError(
            503,
            "knowledge_unavailable",
            "Boussole est momentanément indisponible. Réessaie dans quelques minutes.",
        ) from exc
    if partner is None:
        raise unknown_partner()
    return partner


async def authorize(request: web.Request) -> Any:
    """The partner of this API request, after the partner and origin checks (403 otherwise).

    Requests without an ``Origin`` header do not come from a browser page (curl, benchmarks);
    CORS protects browsers, so they only need a known partner.
    """
    partner = await find_partner(request)
    origin = request.headers.get("Origin")
    if origin is not None:
        if not origin_allowed(partner, origin, request):
            raise origin_not_allowed()
        request[CORS_ORIGIN] = origin
    return partner


def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Allow the request's origin to read ``response`` if :func:`authorize` accepted it."""
    origin = request.get(CORS_ORIGIN)
    response.headers["Vary"] = "Origin"
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers.update(CORS_HEADERS)
