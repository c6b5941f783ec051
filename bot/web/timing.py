"""``Server-Timing`` on every gateway response: time spent waiting for Rasa, and the rest.

``Server-Timing: rasa;dur=412.30, gw;dur=0.84`` (milliseconds, https://www.w3.org/TR/server-timing/)
shows in the browser's developer tools and in production logs of a reverse proxy; the gateway
benchmark subtracts ``rasa`` from each turn's latency to get what the gateway itself adds.

``gw`` is the handler's own time (middleware to response, minus the wait for Rasa); the wait for
Rasa includes the hop to it, which a client calling Rasa directly pays too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

# Request keys: when the middleware saw the request, and the milliseconds spent waiting for Rasa.
STARTED = "boussole_started"
RASA_MS = "boussole_rasa_ms"


def start(request: web.Request) -> None:
    """Mark the moment the gateway starts working on ``request``."""
    request[STARTED] = time.perf_counter()


@contextmanager
def waiting_for_rasa(request: web.Request) -> Iterator[None]:
    """Count the block's duration as time spent waiting for Rasa, even when it raises."""
    started = time.perf_counter()
    try:
        yield
    finally:
        request[RASA_MS] = request.get(RASA_MS, 0.0) + (time.perf_counter() - started) * 1000


def add_header(request: web.Request, response: web.StreamResponse) -> None:
    """Set ``Server-Timing`` on ``response``: ``rasa`` (when Rasa was called) and ``gw``."""
    total = (time.perf_counter() - request[STARTED]) * 1000
    rasa = request.get(RASA_MS)
    metrics = [] if rasa is None else [f"rasa;dur={rasa:.2f}"]
    metrics.append(f"gw;dur={total - (rasa or 0.0):.2f}")
    response.headers["Server-Timing"] = ", ".join(metrics)


def parse(header: str | None) -> dict[str, float]:
    """``{"rasa": 412.3, "gw": 0.84}`` from a ``Server-Timing`` value (metrics without dur: 0)."""
    metrics = {}
    for metric in (header or "").split(","):
        name, *params = (part.strip() for part in metric.split(";"))
        if not name:
            continue
        duration = 0.0
        for param in params:
            key, _, raw = param.partition("=")
            if key.strip() == "dur":
                try:
                    duration = float(raw.strip().strip('"'))
                except ValueError:
                    duration = 0.0
        metrics[name] = duration
    return metrics
