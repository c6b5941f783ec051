"""URL map of the gateway (views stay in views.py)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.web import views

STATIC_DIR = Path(__file__).parent / "static"
# Partner pages load these two by a fixed address; a short cache keeps updates quick to reach them.
EMBED_FILES = {"/widget.js": "widget.js", "/widget.css": "widget.css"}


def _embed_file(name: str):
    async def serve(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / name, headers={"Cache-Control": "public, max-age=300"})

    return serve


async def _home(_request: web.Request) -> web.Response:
    raise web.HTTPFound("/demo")


def setup_routes(app: web.Application) -> None:
    """Register every route of the gateway on ``app``."""
    app.router.add_post("/api/chat", views.chat)
    app.router.add_get("/api/config", views.widget_config)
    app.router.add_post("/api/feedback", views.feedback)
    app.router.add_route("OPTIONS", "/api/{tail:.*}", views.preflight)
    app.router.add_get("/healthz", views.healthz)
    app.router.add_get("/", _home)
    app.router.add_get("/demo", views.demo)
    app.router.add_get("/totem", views.totem)
    app.router.add_get("/confidentialite", views.privacy)
    for url, name in EMBED_FILES.items():
        app.router.add_get(url, _embed_file(name))
    app.router.add_static("/static/", STATIC_DIR, name="static")
