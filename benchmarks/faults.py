"""Time to the 3114 answer with the action server frozen (SIGSTOP) and killed (issue 13).

Starts the real stack (Rasa, action server, gateway) on free ports, then sends distress messages
through the gateway's /api/chat and through Rasa's REST channel, each from a new conversation
(the worst case: Rasa first runs ``action_session_start`` on the action server) and within a
conversation already under way. Baseline, measured on main before this work: 30 s through the
gateway (its own limit on Rasa; Rasa itself waits 300 s for the action server, then answered
nothing). Target: the safeguarding numbers within 5 s.

The helpers that freeze, resume and kill a service and send one message are shared with the
fault tests (tests/faults/).
"""

from __future__ import annotations

import os
import signal
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import requests

from bot.settings import load_settings
from bot.stack import Service, Stack, free_port

PARTNER = "rouen_info_jeunes"
ORIGIN = "http://localhost:8080"  # declared for this partner in knowledge/data/partners.yml
BASELINE_GATEWAY_S = 30.0
BASELINE_RASA_S = 300.0
TARGET_S = 5.0
SAMPLES = 5
DISTRESS = ["je veux mourir", "franchement personne ne remarquerait si je disparaissais"]


def service(stack: Stack, name: str) -> Service:
    """The stack's service called ``name``."""
    return next(s for s in stack.services if s.name == name)


def resume(target: Service) -> None:
    """SIGCONT to a frozen service's process group (nothing if it is gone)."""
    if target.process is not None and target.process.poll() is None:
        os.killpg(target.process.pid, signal.SIGCONT)


@contextmanager
def frozen(target: Service) -> Iterator[None]:
    """The service stopped with SIGSTOP (alive, accepting connections, silent), then resumed."""
    os.killpg(target.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        resume(target)


def kill(target: Service) -> None:
    """SIGKILL the service's process group and wait until it is gone."""
    os.killpg(target.process.pid, signal.SIGKILL)
    target.process.wait(timeout=30)


def chat(stack: Stack, session_id: str, text: str) -> tuple[int, dict, float]:
    """One message through the gateway's /api/chat: (status, body, seconds)."""
    started = time.perf_counter()
    response = requests.post(
        f"http://{stack.settings.host}:{stack.settings.web_port}/api/chat",
        params={"partner": PARTNER},
        json={"session_id": session_id, "text": text},
        headers={"Origin": ORIGIN},
        timeout=400,
    )
    return response.status_code, response.json(), time.perf_counter() - started


def healthz(stack: Stack) -> tuple[int, str]:
    """``GET /healthz`` on the gateway: (HTTP status, ``ok``/``degraded``/``down``); (0, "—")
    when the gateway does not answer."""
    try:
        response = requests.get(
            f"http://{stack.settings.host}:{stack.settings.web_port}/healthz", timeout=30
        )
        return response.status_code, response.json().get("status", "?")
    except (requests.RequestException, ValueError):
        return 0, "—"


def rest(stack: Stack, sender: str, text: str) -> tuple[list[dict], float]:
    """One message through Boussole's REST channel, Rasa's only one: (messages, seconds)."""
    started = time.perf_counter()
    response = requests.post(
        f"{stack.settings.rasa_base_url}/webhooks/boussole/webhook",
        json={"sender": sender, "message": text},
        timeout=400,
    )
    response.raise_for_status()
    return response.json(), time.perf_counter() - started


def said(messages: list[dict]) -> str:
    """Every text of a list of bot messages."""
    return "\n".join(m.get("text") or "" for m in messages)


def new_session() -> str:
    return f"bench{uuid.uuid4().hex[:16]}"


def _time_to_3114(send: Callable[[str, str], tuple[str, float]], fresh: bool) -> list[float]:
    """Seconds to an answer with 3114 for each sample (inf when 3114 never came)."""
    times = []
    for i in range(SAMPLES):
        text = DISTRESS[i % len(DISTRESS)]
        session = new_session()
        if not fresh:
            send(session, "je cherche une formation")  # a conversation under way, in a form
        answer, seconds = send(session, text)
        times.append(seconds if "3114" in answer else float("inf"))
    return times


def _row(fault: str, path: str, start: str, times: list[float], baseline: float) -> str:
    p50, worst = statistics.median(times), max(times)
    verdict = "met" if worst <= TARGET_S else "MISSED"
    return f"| {fault} | {path} | {start} | {p50:.2f} | {worst:.2f} | {baseline:.0f} | {verdict} |"


def measure(stack: Stack) -> list[str]:
    """Every row of the table (the action server is killed at the end)."""

    def via_gateway(session: str, text: str) -> tuple[str, float]:
        _status, body, seconds = chat(stack, session, text)
        return said(body.get("messages") or []), seconds

    def via_rasa(session: str, text: str) -> tuple[str, float]:
        messages, seconds = rest(stack, session, text)
        return said(messages), seconds

    paths = [("gateway /api/chat", via_gateway, BASELINE_GATEWAY_S)]
    paths.append(("Rasa REST channel", via_rasa, BASELINE_RASA_S))
    actions = service(stack, "actions")
    rows = []
    for fault in ("none", "frozen (SIGSTOP)", "killed (SIGKILL)"):
        if fault.startswith("killed"):
            kill(actions)
        for path, send, baseline in paths:
            for fresh in (True, False):
                start = "new conversation" if fresh else "in a form"
                if fault.startswith("frozen"):
                    with frozen(actions):
                        times = _time_to_3114(send, fresh)
                else:
                    times = _time_to_3114(send, fresh)
                rows.append(_row(fault, path, start, times, baseline))
                print(rows[-1], flush=True)
    return rows


def main() -> int:
    settings = replace(
        load_settings(), rasa_port=free_port(), action_port=free_port(), web_port=free_port()
    )
    var = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    settings = replace(
        settings,
        tracker_db_url=f"sqlite:///{var / 'tracker.sqlite3'}",
        app_db_url=f"sqlite:///{var / 'app.sqlite3'}",
    )
    print(
        f"## Time to the 3114 answer, action server frozen or killed ({SAMPLES} messages each; "
        f"action timeout {settings.action_timeout} s, gateway's distress deadline "
        f"{settings.distress_deadline} s; target ≤ {TARGET_S:.0f} s)"
    )
    print("\n| action server | path | message | p50 s | max s | baseline s | target |")
    print("|---|---|---|---|---|---|---|")
    stack = Stack(settings=settings, log_dir=var / "logs")
    stack.start(timeout=600)
    try:
        rows = measure(stack)
    finally:
        resume(service(stack, "actions"))
        stack.stop()
    missed = [r for r in rows if r.endswith("MISSED |")]
    print(f"\n{len(rows) - len(missed)}/{len(rows)} rows within {TARGET_S:.0f} s.")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
