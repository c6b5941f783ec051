"""A small load generator: replay conversations against an HTTP chat endpoint and time each turn.

Each simulated user replays one conversation turn by turn with its own sender id; C users run at
once. Every request is bounded (timeout) and the whole run stops by itself: it only ever targets
the loopback addresses the benchmarks start.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

from bot.web import timing

# Build the JSON body of one turn from (sender id, text).
BodyFactory = Callable[[str, str], dict]


def rasa_body(sender: str, text: str) -> dict:
    """Body of Rasa's REST channel."""
    return {"sender": sender, "message": text}


@dataclass
class LoadResult:
    label: str
    concurrency: int
    latencies_ms: list[float]
    errors: int
    wall_s: float
    # (latency, its Server-Timing metrics) of each turn whose answer carried that header.
    timed: list[tuple[float, dict[str, float]]] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 95)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0

    def row(self) -> str:
        return (
            f"| {self.label} | {self.concurrency} | {len(self.latencies_ms)} | {self.p50:.1f} | "
            f"{self.p95:.1f} | {self.throughput:.1f} | {self.errors} |"
        )


TABLE_HEADER = (
    "| target | users | turns | p50 ms | p95 ms | msg/s | errors |\n|---|---|---|---|---|---|---|"
)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def _user(
    session: aiohttp.ClientSession,
    url: str,
    conversation: Sequence[str],
    body: BodyFactory,
    result: LoadResult,
) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    for text in conversation:
        started = time.perf_counter()
        try:
            async with session.post(url, json=body(sender, text)) as response:
                await response.read()
                if response.status >= 400:
                    result.errors += 1
                    continue
                server_timing = response.headers.get("Server-Timing")
        except (aiohttp.ClientError, asyncio.TimeoutError):
            result.errors += 1
            continue
        latency = (time.perf_counter() - started) * 1000
        result.latencies_ms.append(latency)
        if server_timing:
            result.timed.append((latency, timing.parse(server_timing)))


async def replay(
    url: str,
    conversations: Sequence[Sequence[str]],
    concurrency: int,
    label: str,
    body: BodyFactory = rasa_body,
    rounds: int = 1,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Replay ``conversations`` ``rounds`` times with ``concurrency`` users at once."""
    result = LoadResult(label, concurrency, [], 0, 0.0)
    queue = [c for _ in range(rounds) for c in conversations]
    timeout = aiohttp.ClientTimeout(total=30)
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
        pending = list(queue)

        async def worker() -> None:
            while pending:
                conversation = pending.pop()
                await _user(session, url, conversation, body, result)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.wall_s = time.perf_counter() - started
    return result


def summary(values: Sequence[float]) -> str:
    """'p50 / p95 / max' of a list of milliseconds."""
    if not values:
        return "n/a"
    return f"{statistics.median(values):.1f} / {percentile(values, 95):.1f} / {max(values):.1f}"
