"""The staff console: server-rendered French pages under ``/console`` of the web gateway's app.

``setup_console(app)`` adds the routes, a middleware scoped to ``/console`` (session, CSRF,
access control, French error pages) and a cleanup context owning the console's engines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import jinja2
from aiohttp import web
from sqlalchemy.engine import Engine

from bot import appdb
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.web import headers
from bot.web.keys import APP_DB_KEY
from bot.web.proxies import Network, parse_networks

log = logging.getLogger(__name__)

PREFIX = "/console"
PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass
class Console:
    """Everything the console's views share: settings, engines, templates."""

    settings: Settings
    project_root: Path
    templates: jinja2.Environment
    app_engine: Engine | None = None
    tracker_engine: Engine | None = None  # read-only
    knowledge_engine: Engine | None = None  # read-only: the « Contenus » page browses it
    # One index job of this process at a time waits for a worker thread; across processes
    # (replicas on one database) the index's own lock orders them (bot.console.indexer.index_lock).
    index_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    index_verified_at: float = 0.0
    # TRUSTED_PROXIES, parsed once (client address and HTTPS behind a reverse proxy)
    proxies: tuple[Network, ...] = field(init=False)
    # What time it is (epoch seconds): the day pages show by default, the dates of exports and
    # the retention's « now ». The wall clock, except in tests, which pass a fixed one.
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.proxies = parse_networks(self.settings.trusted_proxies)

    def today(self) -> date:
        """Today in Europe/Paris, by :attr:`clock`."""
        from bot.console.indexer import PARIS

        return datetime.fromtimestamp(self.clock(), PARIS).date()

    def tracker_writer(self) -> Engine:
        """A writable engine on the tracker store, for retention deletions only."""
        return appdb.get_engine(self.settings.tracker_db_url)


CONSOLE = web.AppKey("boussole_console", Console)


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )
    from bot.console import views

    env.filters.update(views.FILTERS)
    return env


def setup_console(
    app: web.Application,
    settings: Settings | None = None,
    project_root: Path = PROJECT_ROOT,
    clock: Callable[[], float] = time.time,
) -> None:
    """Mount the console on ``app`` (routes, middleware, engines opened on startup); ``clock``
    tells it what time it is (:attr:`Console.clock`)."""
    from bot.console.routes import add_routes
    from bot.console.views import console_middleware

    console = Console(settings or load_settings(), project_root, _templates(), clock=clock)
    app[CONSOLE] = console
    app.middlewares.append(console_middleware)
    headers.install(app)
    add_routes(app.router)

    async def engines(_app: web.Application):
        from bot.console.views import ensure_index

        # Mounted on the gateway, the console shares its engine of the application database
        # (one engine per database per process; the gateway has brought the schema up to date).
        shared = _app.get(APP_DB_KEY)
        console.app_engine = shared or appdb.get_engine(console.settings.app_db_url)
        if shared is None:
            await asyncio.to_thread(appdb.create_schema, console.app_engine)
        console.tracker_engine = appdb.get_engine(console.settings.tracker_db_url, read_only=True)
        console.knowledge_engine = appdb.get_engine(
            console.settings.knowledge_db_url, read_only=True
        )
        # Catch up with the tracker store in the background, so the first page is not the one
        # that waits for a large backlog.
        warm_up = asyncio.create_task(ensure_index(console))
        yield
        warm_up.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await warm_up
        if shared is None:
            console.app_engine.dispose()
        console.tracker_engine.dispose()
        console.knowledge_engine.dispose()

    app.cleanup_ctx.append(engines)


RETENTION_CHECK_SECONDS = 3600.0


async def run_retention_once(console: Console, now: float | None = None):
    """Run the daily retention if it is due (see :func:`bot.console.retention.daily_retention`);
    its report, or ``None`` when another run (here or in another replica) already did it."""
    from bot.console.retention import daily_retention

    writer = console.tracker_writer()
    try:
        # The purge rebuilds the console's index: not while a page of this process waits to
        # update it (other replicas wait for the index's lock in the database).
        async with console.index_lock:
            report = await asyncio.to_thread(
                daily_retention,
                writer,
                console.app_engine,
                console.settings.log_retention_days,
                Path(console.settings.log_dir),
                console.clock() if now is None else now,
            )
    finally:
        writer.dispose()
    if report is not None:
        log.info(
            "daily retention: %d events and %d conversations purged, logs rotated %s, deleted %s",
            report.purge.events,
            report.purge.conversations,
            report.logs.rotated,
            report.logs.deleted,
        )
    return report


def schedule_retention(
    app: web.Application, first_delay: float = 60.0, every: float = RETENTION_CHECK_SECONDS
) -> None:
    """Make ``app`` (a long-running gateway) check every hour whether the daily purge and log
    rotation are due, and run them; several replicas may do so, one of them runs it."""

    async def loop(console: Console) -> None:
        await asyncio.sleep(first_delay)
        while True:
            try:
                await run_retention_once(console)
            except Exception:  # logged and retried at the next check; the gateway keeps serving
                log.exception("the daily retention failed")
            await asyncio.sleep(every)

    async def scheduled(app: web.Application):
        task = asyncio.create_task(loop(app[CONSOLE]))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(scheduled)
