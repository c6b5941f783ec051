"""Sliding-window rate limits for the chat API, kept in the gateway's memory.

One gateway process holds its own counters: enough for one machine. Several gateway replicas
behind a load balancer would each allow the limit, so they would need a shared store (Redis).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key; ``limit == 0`` disables it."""

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

    def hit(self, key: str) -> float:
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


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` value (whole seconds, at least 1)."""
    return str(max(1, math.ceil(seconds)))
