"""The web gateway's cost: the same conversations sent to Rasa directly and through the gateway.

C = 1, 10 and 50 simulated users replay a few recorded conversations against Rasa's REST channel
(``/webhooks/boussole/webhook``) and against the gateway (``/api/chat``) in front of that same
Rasa, alternately, and the table shows p50/p95 latency, throughput and errors side by side.
Target (issue 5): the gateway adds at most 5 ms at p50 and no errors at 50 users.

Addresses come from the arguments or the environment (``RASA_URL``…, see ``--help``). Without
``--gateway-url`` a gateway is started here with its rate limits off (50 users on one IP would
hit them). When Rasa does not answer, or with ``--fake-rasa``, the stand-in Rasa of
``bot.web.fake_rasa`` is used: the figures are then the gateway's own overhead only.
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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from benchmarks.load import TABLE_HEADER, LoadResult, replay
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


def report(pairs: list[tuple[LoadResult, LoadResult]], against: str) -> str:
    """The markdown table, with the gateway's p50 overhead at each level."""
    lines = [f"Rasa: {against}", "", TABLE_HEADER]
    for direct, through in pairs:
        lines += [direct.row(), through.row()]
    lines.append("")
    for direct, through in pairs:
        overhead = through.p50 - direct.p50
        errors = through.errors
        verdict = "OK" if overhead <= 5 and errors == 0 else "misses the target"
        lines.append(
            f"- {direct.concurrency} users: gateway adds {overhead:+.1f} ms at p50, "
            f"{through.p95 - direct.p95:+.1f} ms at p95, {errors} errors ({verdict})"
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
    """Run the comparison and print the table; 1 if the gateway misses the target."""
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
                "WEB_IP_RATE": "0",
                "WEB_SESSION_RATE": "0",
            }
            stack.enter_context(
                _process([sys.executable, "-m", "bot.web"], f"{gateway_url}/widget.js", env)
            )
        pairs = asyncio.run(compare(rasa_url, gateway_url, args.partner, levels))
    print(report(pairs, against), flush=True)
    ok = all(t.p50 - d.p50 <= 5 and t.errors == 0 for d, t in pairs)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
