"""Security headers on every response of the gateway and the console, errors and redirects too.

They are added in ``on_response_prepare``, which aiohttp runs for every response it sends,
whoever made it: a view, a middleware's error page, an ``HTTPException`` turned into a response
(404 of the router, 405, 413…), a static file. Only the replies of aiohttp's low-level HTTP parser
to requests it cannot read at all (before any application code) escape it.
"""

from __future__ import annotations

from aiohttp import web

CONSOLE_PREFIX = "/console"
# The gateway's own pages and error pages: they load only the gateway's files.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
CONSOLE_CSP = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
# JSON and other non-HTML answers: nothing to load, nothing to frame.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Loaded by partner pages from their own origin: no policy that would stop them.
EMBED_PATHS = ("/widget.js", "/widget.css")


def _is_console(path: str) -> bool:
    return path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/")


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` handler: the headers every response carries."""
    headers = response.headers
    # aiohttp would announce itself and its version ("Python/3.10 aiohttp/3.x"): no help to
    # anyone but someone matching the version against published advisories.
    headers["Server"] = "Boussole"
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path in EMBED_PATHS:
        return
    headers.setdefault("X-Frame-Options", "DENY")
    if _is_console(request.path):
        headers.setdefault("Cache-Control", "no-store")
        headers.setdefault("Content-Security-Policy", CONSOLE_CSP)
    elif (response.content_type or "").startswith("text/html"):
        headers.setdefault("Content-Security-Policy", PAGE_CSP)
    else:
        headers.setdefault("Content-Security-Policy", API_CSP)


def install(app: web.Application) -> None:
    """Add :func:`add_security_headers` to ``app`` once (the gateway and the console both ask)."""
    if add_security_headers not in app.on_response_prepare:
        app.on_response_prepare.append(add_security_headers)
