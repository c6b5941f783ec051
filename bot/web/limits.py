"""Sliding-window rate limits for the chat API: in the gateway's memory, or in Redis.

Each message is counted under several keys at once (its client address, its conversation), each
with its own limit per minute: ``await limits.hit(ip="…", session="…")``. A message is counted
only if every limit allows it; a refused one counts nowhere.

One gateway process can count in its own memory (:class:`MemoryRateLimits`). Several gateway
replicas behind a load balancer would each allow the whole limit, so when ``REDIS_URL`` is set
every replica counts in Redis (:class:`RedisRateLimits`): the same window, in one round trip
per message, on Redis's clock.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class RateLimits(Protocol):
    async def hit(self, **keys: str) -> float:
        """Count one event under each named key if all limits allow it: 0, else seconds to wait."""

    async def check(self) -> dict[str, object] | None:
        """``{"ok", "detail"}`` of the store the counts live in, for /healthz (None: memory)."""


class _Window:
    """The times of the events of each key within the last ``window`` seconds."""

    def __init__(self, limit: int, window: float, max_keys: int) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may have one more event (0: now)."""
        events = self._events.get(key)
        if events is None:
            return 0.0
        self._events.move_to_end(key)
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return max(events[0] + self.window - now, 0.001)
        return 0.0

    def add(self, key: str, now: float) -> None:
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
            # Memory stays bounded under a flood of new keys: forget the least recently seen.
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
        events.append(now)


class MemoryRateLimits:
    """At most ``limits[name]`` events per ``window`` seconds for each key of each name, counted
    in this process. A limit of 0 is no limit."""

    def __init__(
        self,
        limits: dict[str, int],
        window: float = 60.0,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._windows = {
            name: _Window(limit, window, max_keys) for name, limit in limits.items() if limit > 0
        }
        self._clock = clock

    async def hit(self, **keys: str) -> float:
        """Count one event under each named key if all limits allow it: 0, else seconds to wait."""
        now = self._clock()
        counted = [(self._windows[n], key) for n, key in keys.items() if n in self._windows]
        wait = max((window.wait(key, now) for window, key in counted), default=0.0)
        if not wait:
            for window, key in counted:
                window.add(key, now)
        return wait

    async def check(self) -> None:
        """Counts in this process's memory: nothing that can be down."""
        return None


# The same window in one atomic step, on Redis's clock (replicas' clocks may differ): per key, a
# sorted set of the counted events' times (ms), expiring with the window.
# KEYS: one per limit; ARGV: window in ms, a member unique to this event, then each key's limit.
# Returns 0 when counted, else the milliseconds until every key has room again.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 2]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now, 1)
  end
end
if wait > 0 then
  return wait
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, window)
end
return 0
"""


class RedisRateLimits:
    """:class:`MemoryRateLimits`'s windows, counted in Redis under ``prefix + name + ":" + key``,
    so that every gateway replica shares them.

    When Redis cannot be reached the limits are not applied (the chat keeps working) and a
    warning is logged once until Redis answers again.
    """

    def __init__(
        self, redis: Redis, limits: dict[str, int], window: float = 60.0, *, prefix: str
    ) -> None:
        self.limits = {name: limit for name, limit in limits.items() if limit > 0}
        self.window_ms = max(1, round(window * 1000))
        self.prefix = prefix
        self._redis = redis
        self._script = redis.register_script(_SLIDING_WINDOW)
        self._failing = False

    async def check(self) -> dict[str, object]:
        """Whether Redis answers a PING."""
        try:
            await self._redis.ping()
        except RedisError as exc:
            return {"ok": False, "detail": type(exc).__name__}
        return {"ok": True, "detail": "ok"}

    async def hit(self, **keys: str) -> float:
        """Count one event under each named key if all limits allow it: 0, else seconds to wait."""
        counted = [(name, key) for name, key in keys.items() if name in self.limits]
        if not counted:
            return 0.0
        try:
            wait_ms = await self._script(
                keys=[f"{self.prefix}{name}:{key}" for name, key in counted],
                args=[self.window_ms, uuid.uuid4().hex, *(self.limits[n] for n, _ in counted)],
            )
        except RedisError as exc:
            if not self._failing:
                log.warning("rate limits not applied, Redis unreachable: %s", exc)
                self._failing = True
            return 0.0
        if self._failing:
            log.warning("Redis answers again: rate limits applied")
            self._failing = False
        return int(wait_ms) / 1000


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` value (whole seconds, at least 1)."""
    return str(max(1, math.ceil(seconds)))
