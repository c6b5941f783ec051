"""Scale-out under load and failure: N replicas behind nginx, one of each kind killed mid-run.

``python -m benchmarks scaleout`` starts Boussole twice on this machine's PostgreSQL and Redis
(throw-away databases): once with one replica of each service, once with N (default 2) behind
nginx. The same simulated users chat through the public port; in the N-replica run one Rasa
server, then one action server, then one gateway are killed (SIGKILL) at a quarter, half and
three quarters of the messages, and the stack restarts them as `make run-replicas` does.

Printed, for each run: messages sent, answered, failed (and what those users saw), user events
stored in the tracker store against the messages answered (lost), conversations whose stored
messages are out of the order sent or hold a message twice, throughput and p50/p95 latency.
The same driver serves the small test in `make test` (tests/faults/test_scaleout.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, text

from benchmarks.load import percentile
from bot.settings import Settings, load_settings
from bot.stack import Stack, free_port

# What people type on a partner site, cycled through to make each user's messages.
LINES = [
    "bonjour",
    "je cherche une formation",
    "Caen",
    "j'ai 19 ans",
    "merci",
    "c'est quoi le CEJ ?",
    "je voudrais devenir boulanger",
    "j'habite à Rouen",
    "qui peut m'aider pour trouver une alternance ?",
    "au revoir",
]
KINDS_KILLED = ("rasa", "actions", "web")


@dataclass
class Turn:
    """One message of one simulated user, and what came back."""

    user: int
    index: int
    text: str
    status: int = 0  # HTTP status; 0: no answer at all (connection error, timeout)
    seen: str = ""  # what the person saw (the bot's text, or the error's)
    latency_ms: float = 0.0

    @property
    def answered(self) -> bool:
        return self.status == 200


@dataclass
class Run:
    """The turns of one load run and what was checked afterwards in the tracker store."""

    label: str
    replicas: int
    turns: list[Turn] = field(default_factory=list)
    wall_s: float = 0.0
    kills: list[str] = field(default_factory=list)
    stored: int = 0
    lost: int = 0
    out_of_order: int = 0
    duplicated: int = 0
    # Counted during the load, for the capacity model (docs/deploy.md): commands Redis processed
    # (lock store, rate limits) and transactions committed in the tracker store's database
    # (reads and writes: Rasa reads the conversation and saves the turn in separate ones).
    redis_commands: int = 0
    tracker_commits: int = 0

    @property
    def failed(self) -> list[Turn]:
        return [t for t in self.turns if not t.answered]

    def row(self) -> str:
        latencies = [t.latency_ms for t in self.turns if t.answered]
        answered = len(self.turns) - len(self.failed)
        share = 100 * len(self.failed) / max(1, len(self.turns))
        return (
            f"| {self.label} | {len(self.turns)} | {answered} | {len(self.failed)} ({share:.1f} %)"
            f" | {self.stored} | {self.lost} | {self.out_of_order} | {self.duplicated} | "
            f"{answered / self.wall_s if self.wall_s else 0:.1f} | "
            f"{percentile(latencies, 50):.0f} / {percentile(latencies, 95):.0f} | "
            f"{self.redis_commands / max(1, answered):.1f} | "
            f"{self.tracker_commits / max(1, answered):.1f} |"
        )


HEADER = (
    "| run | sent | answered | failed | user events stored | lost | out of order | twice | "
    "msg/s | p50 / p95 ms | Redis commands / answer | tracker transactions / answer |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def messages_for(user: int, count: int) -> list[str]:
    """The ``count`` messages of simulated user number ``user``."""
    return [LINES[(user + i) % len(LINES)] for i in range(count)]


async def _user(
    session: aiohttp.ClientSession,
    url: str,
    run: Run,
    user: int,
    sender: str,
    texts: list[str],
    sent: Callable[[], None],
) -> None:
    for index, message in enumerate(texts):
        turn = Turn(user, index, message)
        started = time.perf_counter()
        try:
            # Like the widget: one id per message, so that a resend is answered only once.
            body = {"session_id": sender, "text": message, "turn_id": uuid.uuid4().hex}
            async with session.post(url, json=body) as response:
                turn.status = response.status
                body = await response.text()
            try:
                data = json.loads(body)
                turn.seen = " ".join(m.get("text") or "" for m in data.get("messages", []))
            except (ValueError, AttributeError):
                turn.seen = body[:200]
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            turn.seen = type(error).__name__
        turn.latency_ms = (time.perf_counter() - started) * 1000
        run.turns.append(turn)
        sent()


async def drive(
    gateway_url: str,
    partner: str,
    users: int,
    messages: int,
    run: Run,
    on_progress: Callable[[int], None] = lambda _sent: None,
) -> dict[int, str]:
    """``users`` users send ``messages`` messages each, all at once; returns their sender ids."""
    url = f"{gateway_url.rstrip('/')}/api/chat?partner={partner}"
    senders = {u: f"scale-{uuid.uuid4().hex[:12]}" for u in range(users)}
    count = 0

    def sent() -> None:
        nonlocal count
        count += 1
        on_progress(count)

    started = time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(
            *(
                _user(session, url, run, u, senders[u], messages_for(u, messages), sent)
                for u in range(users)
            )
        )
    run.wall_s = time.perf_counter() - started
    return senders


def _is_subsequence(stored: list[str], sent: list[str]) -> bool:
    position = 0
    for message in stored:
        try:
            position = sent.index(message, position) + 1
        except ValueError:
            return False
    return True


def check_store(run: Run, tracker_url: str, senders: dict[int, str], messages: int) -> None:
    """Compare what the tracker store holds with what was sent and answered."""
    engine = create_engine(tracker_url, future=True)
    stored: dict[str, list[str]] = {}
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT sender_id, data FROM events WHERE type_name = 'user' "
                "AND sender_id LIKE 'scale-%' ORDER BY id"
            )
        )
        for sender, data in rows:
            stored.setdefault(sender, []).append(json.loads(data).get("text") or "")
    engine.dispose()
    wanted = set(senders.values())
    run.stored = sum(len(v) for k, v in stored.items() if k in wanted)
    for user, sender in senders.items():
        sent = messages_for(user, messages)
        answered = [
            t.text
            for t in sorted(run.turns, key=lambda t: t.index)
            if t.user == user and t.answered
        ]
        kept = stored.get(sender, [])
        surplus = Counter(kept) - Counter(sent)
        run.duplicated += sum(surplus.values())
        if not _is_subsequence(kept, sent):
            run.out_of_order += 1
        run.lost += sum((Counter(answered) - Counter(kept)).values())


class Counters:
    """Redis's processed commands and the tracker database's transactions, before and after.

    Redis is shared with whatever else runs on the machine: the figure is an upper bound.
    """

    def __init__(self, redis_url: str, tracker_url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(redis_url)
        self.engine = create_engine(tracker_url, future=True)

    def read(self) -> tuple[int, int]:
        commands = int(self.redis.info("stats")["total_commands_processed"])
        with self.engine.connect() as connection:
            commits = connection.execute(
                text("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
            ).scalar()
        return commands, int(commits or 0)

    def close(self) -> None:
        self.engine.dispose()
        self.redis.close()


def kill_one(stack: Stack, kind: str) -> str:
    """SIGKILL the process group of the first live replica of ``kind``; say which."""
    service = next(s for s in stack.services if s.name == kind and s.exited() is None)
    os.killpg(service.process.pid, signal.SIGKILL)
    return f"{kind} {service.replica} (pid {service.process.pid})"


@contextmanager
def healing(stack: Stack, period: float = 0.5) -> Iterator[list[str]]:
    """Restart dead services in the background, as `make run` does; yields the event log."""
    events: list[str] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(period):
            events.extend(stack.heal())

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield events
    finally:
        stop.set()
        thread.join(timeout=10)


def replicated_settings(
    base: Settings, databases: Callable[[str], str], redis_url: str
) -> Settings:
    """Settings on fresh PostgreSQL databases and Redis, on free ports."""
    return replace(
        base,
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=free_port(),
        tracker_db_url=databases("tracker"),
        app_db_url=databases("app"),
        knowledge_db_url=databases("knowledge"),
        redis_url=redis_url,
        redis_key_prefix=f"scale{uuid.uuid4().hex[:10]}",
        web_ip_rate=0,  # every simulated user comes from 127.0.0.1
        web_session_rate=0,
    )


def measure(
    settings: Settings,
    replicas: int,
    users: int,
    messages: int,
    partner: str,
    kill: bool,
    log_dir: Path,
) -> Run:
    """One run: start the stack, load it (killing one replica of each kind if ``kill``), check."""
    from knowledge.loader import load

    load(settings.knowledge_db_url)
    label = f"{replicas} replica{'s' if replicas > 1 else ''}" + (", kills" if kill else "")
    run = Run(label, replicas)
    stack = Stack(settings=settings, log_dir=log_dir, replicas=replicas)
    # N Rasa servers load their model at once on the same cores.
    stack.start(timeout=600 * replicas)
    try:
        with healing(stack) as events:
            total = users * messages
            schedule = {round(total * (i + 1) / 4): kind for i, kind in enumerate(KINDS_KILLED)}

            def on_progress(sent: int) -> None:
                if kill and sent in schedule:
                    run.kills.append(kill_one(stack, schedule.pop(sent)))

            gateway = f"http://{settings.host}:{settings.web_port}"
            counters = Counters(settings.redis_url, settings.tracker_db_url)
            before = counters.read()
            senders = asyncio.run(drive(gateway, partner, users, messages, run, on_progress))
            time.sleep(1.5)  # PostgreSQL publishes its statistics within a second
            after = counters.read()
            counters.close()
            run.redis_commands = after[0] - before[0]
            run.tracker_commits = after[1] - before[1]
        run.kills += [e for e in events if "redémarré" in e]
    finally:
        stack.stop()
    check_store(run, settings.tracker_db_url, senders, messages)
    return run


def report(runs: list[Run]) -> str:
    lines = [HEADER, *(r.row() for r in runs)]
    for r in runs:
        if r.kills:
            lines.append(f"- {r.label}: {'; '.join(r.kills)}")
        seen = Counter((t.status, t.seen[:90]) for t in r.failed)
        for (status, what), n in seen.most_common(4):
            lines.append(
                f"- {r.label}: {n} failed turn(s), HTTP {status}, the person saw « {what} »"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks scaleout", description=__doc__)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--partner", default="rouen_info_jeunes")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--postgres", default="postgresql://root@127.0.0.1:5432/test", help="admin URL"
    )
    return parser.parse_args(argv)


@contextmanager
def throwaway_databases(admin_url: str) -> Iterator[Callable[[str], str]]:
    """A factory of new empty PostgreSQL databases, all dropped at the end."""
    import psycopg2
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    connection = psycopg2.connect(
        host=admin.host, port=admin.port or 5432, user=admin.username, dbname=admin.database
    )
    connection.autocommit = True
    created: list[str] = []

    def make(label: str) -> str:
        name = f"boussole_scale_{label}_{uuid.uuid4().hex[:8]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return str(admin.set(database=name))

    try:
        yield make
    finally:
        with connection.cursor() as cursor:
            for name in created:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


def main(argv: list[str] | None = None) -> int:
    """``make bench`` calls it with no arguments: the defaults, whatever ``sys.argv`` holds."""
    args = parse_args(argv or [])
    runs = []
    with throwaway_databases(args.postgres) as databases:
        for replicas, kill in ((1, False), (args.replicas, False), (args.replicas, True)):
            settings = replicated_settings(load_settings(), databases, args.redis_url)
            log_dir = Path(tempfile.mkdtemp(prefix=f"bench-scaleout-{replicas}-")) / "logs"
            runs.append(
                measure(settings, replicas, args.users, args.messages, args.partner, kill, log_dir)
            )
            print(runs[-1].row(), flush=True)
    print(report(runs))
    faulty = runs[-1]
    ok = faulty.lost == 0 and faulty.out_of_order == 0 and faulty.duplicated == 0
    ok = ok and len(faulty.failed) <= 0.01 * len(faulty.turns)
    print(
        f"Targets with kills: 0 lost, 0 out of order, 0 twice, failed ≤ 1 % — "
        f"{'met' if ok else 'NOT met'}."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
