"""Sliding-window rate limits for the chat API: in the gateway's memory, or in Redis.

One gateway process can count in its own memory. Several gateway replicas behind a load balancer
would each allow the whole limit, so when ``REDIS_URL`` is set every replica counts in Redis
(:class:`RedisRateLimiter`); both keep the same sliding window, so they refuse the same requests.
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


class Limiter(Protocol):
    limit: int

    async def hit(self, key: str) -> float:
        """Count one event for ``key``; return 0 if allowed, else the seconds to wait."""


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key, counted in this process.

    ``limit == 0`` disables it.
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    async def hit(self, key: str) -> float:
        """Count one event for ``key``; return 0 if allowed, else the seconds to wait."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
            # Memory stays bounded under a flood of new keys: forget the least recently seen.
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
        else:
            self._events.move_to_end(key)
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return max(events[0] + self.window - now, 0.001)
        events.append(now)
        return 0.0


# The same sliding window in one atomic step, on Redis's clock (replicas' clocks may differ):
# a sorted set of the allowed events' times (ms) per key, expiring with its window.
# KEYS[1]: the key's set; ARGV: limit, window in ms, a member unique to this event.
# Returns 0 when allowed, else the milliseconds until the oldest event leaves the window.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(tonumber(oldest[2]) + window - now, 1)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""


class RedisRateLimiter:
    """:class:`RateLimiter`'s window, counted in Redis under ``prefix + key``: shared by replicas.

    When Redis cannot be reached the limit is not applied (the chat keeps working) and a
    warning is logged once until Redis answers again.
    """

    def __init__(self, redis: Redis, limit: int, window: float = 60.0, *, prefix: str) -> None:
        self.limit = limit
        self.window_ms = max(1, round(window * 1000))
        self.prefix = prefix
        self._script = redis.register_script(_SLIDING_WINDOW)
        self._failing = False

    async def hit(self, key: str) -> float:
        """Count one event for ``key``; return 0 if allowed, else the seconds to wait."""
        if self.limit <= 0:
            return 0.0
        try:
            wait_ms = await self._script(
                keys=[self.prefix + key], args=[self.limit, self.window_ms, uuid.uuid4().hex]
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
