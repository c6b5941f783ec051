"""The web gateway's cost: the same conversations sent to Rasa directly and through the gateway.

C = 1, 10 and 50 simulated users replay a few recorded conversations against Rasa's REST channel
(``/webhooks/boussole/webhook``) and against the gateway (``/api/chat``) in front of that same
Rasa, one run after the other; the first table shows p50/p95 latency, throughput and errors side
by side, as issue 5 asks.

The target (issue 5: the gateway adds at most 5 ms at p50, no errors at 50 users) is judged on a
second, paired figure. Once Rasa is saturated (10 or 50 users on two cores, where it answers about
12 messages/s) a turn's latency is mostly its wait in Rasa's queue: two runs made one after the
other differ by far more than 5 ms whatever the gateway does, so the difference of their p50s
is noise. Instead, the gateway reports on every answer how long it waited for Rasa
(``Server-Timing: rasa;dur=…``, see ``bot.web.timing``), and each turn's overhead is its latency
seen by the client minus that wait: the extra hop, the checks, masking, reformatting and any
queueing inside the gateway itself, on that very turn. The wait for Rasa includes the gateway's
hop to Rasa (a direct client pays one too) and the wait for a free connection of its pool (200
connections, more than the 50 users here). The ``gw`` column is the handler's own time.

Addresses come from the arguments or the environment (``RASA_URL``…, see ``--help``). Without
``--gateway-url`` a gateway is started here with rate limits it counts but never reaches (50
users on one IP would reach the real ones), in memory or, with ``--redis-url``, in Redis. When
Rasa does not answer, or with ``--fake-rasa``, the stand-in Rasa of ``bot.web.fake_rasa`` is
used (``--fake-delay`` makes it answer one message at a time, like a CPU-bound Rasa).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from benchmarks.load import TABLE_HEADER, LoadResult, percentile, replay
from bot.settings import PROJECT_ROOT, load_settings
from bot.stack import free_port

# Typical first conversations on a partner site (topic buttons send payloads).
CONVERSATIONS = [
    ["bonjour", "/ask_job_info", "je voudrais devenir boulanger", "merci"],
    ["salut je cherche une alternance", "j'ai 17 ans", "j'habite à Rouen", "au revoir"],
    ["c'est quoi le CEJ ?", "j'ai 20 ans et je suis sans emploi", "qui contacter à Caen ?"],
    ["/find_local_contact", "76000", "merci beaucoup"],
    ["je sais pas quoi faire après le bac", "je suis en terminale", "ok merci"],
]
# Limits the benchmark's gateway counts (so their cost is measured) but that 50 users never reach.
UNREACHABLE_LIMIT = 1_000_000
METADATA = {"page_url": "http://127.0.0.1/bench", "profile": "youth", "mode": "widget"}


def _answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def _process(command: list[str], ready_url: str, env: dict[str, str]) -> Iterator[None]:
    """Run ``command`` until the block ends; wait (30 s at most) until ``ready_url`` answers."""
    # The gateway logs every request: keep that out of the table, but show it if start-up fails.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while not _answers(ready_url, 0.5):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode("utf-8", "replace")[-2000:]
                    raise RuntimeError(f"{' '.join(command)} did not start:\n{output}")
                time.sleep(0.2)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def rasa_body(partner: str):
    """Body factory for Rasa's ``boussole`` channel, with the metadata the gateway would add."""

    def body(sender: str, text: str) -> dict:
        return {"sender": sender, "message": text, "metadata": {"partner": partner, **METADATA}}

    return body


def gateway_body(sender: str, text: str) -> dict:
    """Body of ``/api/chat``: topic-button payloads as payloads, the rest as typed text."""
    if text.startswith("/"):
        return {"session_id": sender, "payload": text, "mode": "widget"}
    return {"session_id": sender, "text": text, "mode": "widget"}


async def compare(
    rasa_url: str, gateway_url: str, partner: str, levels: list[int]
) -> list[tuple[LoadResult, LoadResult]]:
    """(direct Rasa, through the gateway) results for each concurrency level."""
    direct_url = rasa_url.rstrip("/") + "/webhooks/boussole/webhook"
    chat_url = f"{gateway_url.rstrip('/')}/api/chat?partner={partner}"
    # Warm both paths (model caches, connection pools) before measuring.
    await replay(direct_url, CONVERSATIONS[:1], 1, "warm-up", rasa_body(partner))
    await replay(chat_url, CONVERSATIONS[:1], 1, "warm-up", gateway_body)
    pairs = []
    for users in levels:
        # At least ~100 turns per level, and every user busy for two conversations.
        turns = sum(map(len, CONVERSATIONS))
        rounds = max(math.ceil(100 / turns), math.ceil(2 * users / len(CONVERSATIONS)))
        direct = await replay(
            direct_url, CONVERSATIONS, users, "Rasa REST", rasa_body(partner), rounds
        )
        through = await replay(chat_url, CONVERSATIONS, users, "gateway", gateway_body, rounds)
        pairs.append((direct, through))
    return pairs


TARGET_MS = 5.0
PAIRED_HEADER = (
    "| users | turns | overhead p50 ms | overhead p95 ms | gw own work p50 / p95 ms | errors |\n"
    "|---|---|---|---|---|---|"
)


def paired_overheads(through: LoadResult) -> tuple[list[float], list[float]]:
    """Per turn: (latency minus the gateway's wait for Rasa, the gateway's own work), in ms."""
    timed = [(latency, metrics) for latency, metrics in through.timed if "rasa" in metrics]
    return (
        [latency - metrics["rasa"] for latency, metrics in timed],
        [metrics.get("gw", 0.0) for _latency, metrics in timed],
    )


def meets_target(through: LoadResult) -> bool:
    """Paired p50 overhead within the target, no errors, and every turn timed by the gateway."""
    overheads, _own = paired_overheads(through)
    return (
        through.errors == 0
        and len(overheads) == len(through.latencies_ms) > 0
        and percentile(overheads, 50) <= TARGET_MS
    )


def report(pairs: list[tuple[LoadResult, LoadResult]], against: str) -> str:
    """The side-by-side table, then the paired overhead per turn and the verdict."""
    lines = [f"Rasa: {against}", "", TABLE_HEADER]
    for direct, through in pairs:
        lines += [direct.row(), through.row()]
    lines += [
        "",
        "Paired: each turn through the gateway minus the time the gateway waited for Rasa on "
        "that turn (Server-Timing).",
        "",
        PAIRED_HEADER,
    ]
    for _direct, through in pairs:
        overheads, own = paired_overheads(through)
        lines.append(
            f"| {through.concurrency} | {len(overheads)} | {percentile(overheads, 50):.2f} | "
            f"{percentile(overheads, 95):.2f} | {percentile(own, 50):.2f} / "
            f"{percentile(own, 95):.2f} | {through.errors} |"
        )
    lines.append("")
    for direct, through in pairs:
        overheads, _own = paired_overheads(through)
        verdict = "OK" if meets_target(through) else "misses the target"
        lines.append(
            f"- {direct.concurrency} users: the gateway adds {percentile(overheads, 50):.2f} ms "
            f"per turn at p50 (paired; unpaired difference of p50s "
            f"{through.p50 - direct.p50:+.1f} ms), {through.errors} errors: {verdict}"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gateway", description=__doc__)
    parser.add_argument("--rasa-url", default=settings.rasa_base_url, help="(env RASA_URL…)")
    parser.add_argument(
        "--gateway-url",
        default=os.environ.get("BENCH_GATEWAY_URL", ""),
        help="a running gateway (env BENCH_GATEWAY_URL); default: start one, limits off",
    )
    parser.add_argument(
        "--redis-url",
        default=settings.redis_url,
        help="the gateway started here counts its rate limits there (env REDIS_URL; "
        "default: in memory)",
    )
    parser.add_argument("--partner", default=settings.demo_partner)
    parser.add_argument("--users", default="1,10,50", help="concurrency levels, comma-separated")
    parser.add_argument("--fake-rasa", action="store_true", help="measure against the stand-in")
    parser.add_argument(
        "--fake-delay",
        type=float,
        default=0.0,
        help="the stand-in answers one message at a time, each after this many seconds "
        "(a CPU-bound Rasa); 0: at once, in parallel",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the tables; 1 if the gateway misses the target."""
    args = parse_args(argv)
    levels = [int(n) for n in args.users.split(",") if n.strip()]
    with ExitStack() as stack:
        rasa_url, against = args.rasa_url, f"{args.rasa_url} (real)"
        if args.fake_rasa or not _answers(rasa_url.rstrip("/") + "/version"):
            if not args.fake_rasa:
                print(f"Rasa does not answer at {rasa_url}: using the stand-in Rasa.")
            port = free_port()
            rasa_url = f"http://127.0.0.1:{port}"
            command = [sys.executable, "-m", "bot.web.fake_rasa", "--port", str(port)]
            against = "stand-in (bot.web.fake_rasa)"
            if args.fake_delay:
                command += ["--delay", str(args.fake_delay), "--serial"]
                against += f", serial, {args.fake_delay * 1000:.0f} ms per message"
            stack.enter_context(_process(command, f"{rasa_url}/version", {}))
        gateway_url = args.gateway_url
        if not gateway_url:
            port = free_port()
            gateway_url = f"http://127.0.0.1:{port}"
            env = {
                "WEB_PORT": str(port),
                "BOUSSOLE_HOST": "127.0.0.1",
                "RASA_URL": rasa_url,
                "WEB_IP_RATE": str(UNREACHABLE_LIMIT),
                "WEB_SESSION_RATE": str(UNREACHABLE_LIMIT),
                "REDIS_URL": args.redis_url,
                "REDIS_KEY_PREFIX": f"bench{uuid.uuid4().hex}",
            }
            store = "Redis" if args.redis_url else "memory"
            against += f"; the gateway counts its rate limits in {store}"
            stack.enter_context(
                _process([sys.executable, "-m", "bot.web"], f"{gateway_url}/widget.js", env)
            )
        pairs = asyncio.run(compare(rasa_url, gateway_url, args.partner, levels))
    print(report(pairs, against), flush=True)
    return 0 if all(meets_target(through) for _direct, through in pairs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
