"""Time to the 3114 answer with the action server frozen and killed, and time to recover after
each fault (issue 13).

Starts the real stack (Rasa, action server, gateway) on free ports, with its tracker store in a
PostgreSQL and its locks and limits in a Redis that the benchmark starts itself (never the
machine's shared servers: tests/faults/servers.py).

First table: the stack heals as `make run` does (Stack.heal), and one fault at a time is made
and ended: the action server frozen then resumed, the action server, Rasa and the gateway killed
(the stack restarts them), the tracker store's PostgreSQL and the Redis stopped then started.
From the moment the fault ends (resumed, killed, server started again) the benchmark polls,
side by side, until ``/healthz`` says ``ok`` and until a normal question gets its full answer
through the gateway. Baseline: wave 1 of issue 13, where nothing restarted a dead process
(never), and Rasa's tracker store went on in memory when its database was down. It comes first
so that each process dies once: the stack waits longer before restarting a process that died
again within 5 minutes.

Second table: distress messages through the gateway's /api/chat and through Rasa's REST channel,
each from a new conversation (the worst case: Rasa first runs ``action_session_start`` on the
action server) and within a form already under way (opened before the fault), with
the action server healthy, frozen (SIGSTOP) and killed. Baseline, measured on main before this
work: 30 s through the gateway (its own limit on Rasa; Rasa itself waits 300 s for the action
server, then answered nothing). Target: the safeguarding numbers within 5 s.

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
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

import requests

from bot.channels import STORAGE_APOLOGY
from bot.settings import Settings, load_settings
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


def freeze(target: Service) -> None:
    """SIGSTOP to the service's process group: alive, accepting connections, silent."""
    os.killpg(target.process.pid, signal.SIGSTOP)


@contextmanager
def frozen(target: Service) -> Iterator[None]:
    """The service frozen (:func:`freeze`), then resumed."""
    freeze(target)
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


FORM_OPENER = "je cherche une formation"  # the contact form then asks for the commune


def _time_to_3114(
    send: Callable[[str, str], tuple[str, float]],
    sessions: list[str],
    fault: Callable[[], AbstractContextManager],
) -> list[float]:
    """Seconds to an answer with 3114 in each conversation (inf when 3114 never came), the
    distress message sent during ``fault``."""
    times = []
    for i, session in enumerate(sessions):
        with fault():
            answer, seconds = send(session, DISTRESS[i % len(DISTRESS)])
        times.append(seconds if "3114" in answer else float("inf"))
    return times


def _row(fault: str, path: str, start: str, times: list[float], baseline: float) -> str:
    p50, worst = statistics.median(times), max(times)
    verdict = "met" if worst <= TARGET_S else "MISSED"
    return f"| {fault} | {path} | {start} | {p50:.2f} | {worst:.2f} | {baseline:.0f} | {verdict} |"


def measure(stack: Stack) -> list[str]:
    """Every row of the table (the action server is killed at the end).

    The conversations « in a form » are opened while the action server answers, so that the
    form is really waiting for its next answer when the fault comes."""

    def via_gateway(session: str, text: str) -> tuple[str, float]:
        _status, body, seconds = chat(stack, session, text)
        return said(body.get("messages") or []), seconds

    def via_rasa(session: str, text: str) -> tuple[str, float]:
        messages, seconds = rest(stack, session, text)
        return said(messages), seconds

    def opened(send: Callable[[str, str], tuple[str, float]]) -> str:
        session = new_session()
        answer, _ = send(session, FORM_OPENER)
        if "commune" not in answer:
            raise RuntimeError(f"« {FORM_OPENER} » did not open the form: {answer!r}")
        return session

    paths = [("gateway /api/chat", via_gateway, BASELINE_GATEWAY_S)]
    paths.append(("Rasa REST channel", via_rasa, BASELINE_RASA_S))
    actions = service(stack, "actions")
    rows = []
    for fault in ("none", "frozen (SIGSTOP)", "killed (SIGKILL)"):
        in_forms = {path: [opened(send) for _ in range(SAMPLES)] for path, send, _ in paths}
        if fault.startswith("killed"):
            kill(actions)
        during = (lambda: frozen(actions)) if fault.startswith("frozen") else nullcontext
        for path, send, baseline in paths:
            for start, sessions in (
                ("new conversation", [new_session() for _ in range(SAMPLES)]),
                ("in a form", in_forms[path]),
            ):
                times = _time_to_3114(send, sessions, during)
                rows.append(_row(fault, path, start, times, baseline))
                print(rows[-1], flush=True)
    return rows


# --- recovery after each fault ---------------------------------------------------------------

NORMAL = "je cherche une formation à Évreux"
# The answer a person gets when something failed (the gateway's apology, Rasa's storage apology).
APOLOGIES = ("Je ne peux pas te répondre pour le moment", STORAGE_APOLOGY)
OUTAGE_S = 10.0  # how long a frozen or stopped part stays so
RECOVERY_DEADLINE_S = 600.0  # « never » beyond (Rasa loads its model in 1 to 4 minutes)
HEALTH_POLL_S = 0.25
ANSWER_POLL_S = 0.5


def normal_answer(stack: Stack) -> tuple[bool, str]:
    """A normal question from a new conversation through the gateway: (full answer?, its text).

    Full: HTTP 200, the commune noted (« C'est noté : Évreux (Eure). », said by the form's
    validation on the action server) and no apology."""
    try:
        status, body, _ = chat(stack, new_session(), NORMAL)
    except (requests.RequestException, ValueError) as error:
        return False, type(error).__name__
    text = said(body.get("messages") or [])
    full = status == 200 and "Évreux" in text and not any(a in text for a in APOLOGIES)
    return full, text


def _until(check: Callable[[], bool], since: float, period: float) -> float | None:
    """Seconds from ``since`` to the end of the first call of ``check`` that says True (None:
    not before RECOVERY_DEADLINE_S)."""
    while time.monotonic() - since < RECOVERY_DEADLINE_S:
        if check():
            return time.monotonic() - since
        time.sleep(period)
    return None


@dataclass
class Fault:
    """One fault: ``make`` it; ``end`` it after OUTAGE_S (None: a kill, the stack restarts it)."""

    name: str
    baseline: str
    make: Callable[[], None]
    end: Callable[[], None] | None = None


@dataclass
class Recovery:
    fault: Fault
    health_during: str  # what /healthz said during the fault
    distress: str  # seconds to 3114 through the gateway during the fault, or what came
    health_s: float | None  # from the end of the fault to /healthz ok
    answer_s: float | None  # from the end of the fault to the normal question's full answer

    @property
    def recovered(self) -> bool:
        return self.health_s is not None and self.answer_s is not None

    def row(self) -> str:
        def secs(value: float | None) -> str:
            return "never" if value is None else f"{value:.1f}"

        return (
            f"| {self.fault.name} | {self.health_during} | {self.distress} | "
            f"{secs(self.health_s)} | {secs(self.answer_s)} | {self.fault.baseline} |"
        )


def _during(stack: Stack) -> tuple[str, str]:
    """/healthz and the time to 3114 through the gateway while the fault lasts."""
    code, status = healthz(stack)
    try:
        _status, body, seconds = chat(stack, new_session(), DISTRESS[0])
    except (requests.RequestException, ValueError) as error:
        return f"{status} ({code})", f"no answer ({type(error).__name__})"
    if "3114" not in said(body.get("messages") or []):
        return f"{status} ({code})", f"answered without 3114 in {seconds:.1f}"
    return f"{status} ({code})", f"{seconds:.1f}"


def recover(stack: Stack, fault: Fault) -> Recovery:
    """Make ``fault``, end it, and time the way back to ``ok`` and to a full answer."""
    fault.make()
    made = time.monotonic()
    if fault.end is not None:
        during = _during(stack)
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - made)))
        fault.end()
    ended = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        health = pool.submit(_until, lambda: healthz(stack)[1] == "ok", ended, HEALTH_POLL_S)
        answer = pool.submit(_until, lambda: normal_answer(stack)[0], ended, ANSWER_POLL_S)
        if fault.end is None:  # a kill: the part is down until the stack has restarted it
            during = _during(stack)
        return Recovery(fault, *during, health.result(), answer.result())


def faults(stack: Stack, postgres, redis) -> list[Fault]:
    """The faults in the order they are made (the stack must heal in the background)."""
    actions = service(stack, "actions")

    def killing(name: str) -> Callable[[], None]:
        return lambda: kill(service(stack, name))

    never = "never (nothing restarted it)"
    return [
        Fault(
            "action server frozen (SIGSTOP), resumed",
            "—",
            lambda: freeze(actions),
            lambda: resume(actions),
        ),
        Fault("action server killed (SIGKILL)", never, killing("actions")),
        Fault("Rasa server killed (SIGKILL)", never, killing("rasa")),
        Fault("gateway killed (SIGKILL)", never, killing("web")),
        Fault(
            "tracker store's PostgreSQL stopped, started",
            "no outage seen: Rasa went on in memory, nothing saved meanwhile",
            postgres.stop,
            postgres.start,
        ),
        Fault("Redis stopped, started", "—", redis.stop, redis.start),
    ]


def wait_until_healthy(stack: Stack) -> None:
    """Until /healthz says ok and a normal question gets its full answer (or raise)."""
    now = time.monotonic()
    if _until(lambda: healthz(stack)[1] == "ok", now, HEALTH_POLL_S) is None:
        raise RuntimeError(f"/healthz never said ok: {healthz(stack)}")
    if _until(lambda: normal_answer(stack)[0], now, ANSWER_POLL_S) is None:
        raise RuntimeError(f"no full answer to « {NORMAL} »: {normal_answer(stack)[1]}")


def measure_recovery(stack: Stack, postgres, redis) -> list[Recovery]:
    """Every fault in turn, each from a healthy stack that heals as `make run` does; the
    sequence stops at a fault the stack does not recover from."""
    from benchmarks.scaleout import healing

    results = []
    with healing(stack) as events:
        wait_until_healthy(stack)
        healthy = normal_answer(stack)[1].replace("\n", " / ")
        for fault in faults(stack, postgres, redis):
            results.append(recover(stack, fault))
            print(results[-1].row(), flush=True)
            if not results[-1].recovered:
                break
            wait_until_healthy(stack)
    print(f"\nThe full answer, healthy: « {healthy[:400]} »")
    print("What the stack did:")
    for event in events:
        print(f"- {event}")
    return results


def bench_settings(var: Path, tracker_db_url: str, redis_url: str) -> Settings:
    """Free ports, the given tracker store and Redis, no rate limits (recovery is polled)."""
    return replace(
        load_settings(),
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=free_port(),
        tracker_db_url=tracker_db_url,
        app_db_url=f"sqlite:///{var / 'app.sqlite3'}",
        redis_url=redis_url,
        redis_key_prefix="benchfaults",
        web_session_rate=0,
        web_ip_rate=0,
    )


def main() -> int:
    from tests.faults.servers import PrivatePostgres, PrivateRedis

    var = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    postgres = PrivatePostgres().init()
    redis = PrivateRedis(var / "redis").start()
    settings = bench_settings(var, postgres.url, redis.url)
    stack = Stack(settings=settings, log_dir=var / "logs")
    try:
        stack.start(timeout=600)
        print(
            f"## Recovery after each fault (the stack heals as `make run` does; seconds from "
            f"the end of the fault, /healthz polled every {HEALTH_POLL_S} s, « {NORMAL} » from "
            f"a new conversation every {ANSWER_POLL_S} s; frozen or stopped for {OUTAGE_S:.0f} "
            f"s; never = not within {RECOVERY_DEADLINE_S:.0f} s)"
        )
        print(
            "\n| fault | /healthz during | 3114 during, s | /healthz ok after, s "
            "| full answer after, s | baseline (wave 1) |"
        )
        print("|---|---|---|---|---|---|")
        recoveries = measure_recovery(stack, postgres, redis)
        unrecovered = [r for r in recoveries if not r.recovered]
        print(f"\n{len(recoveries) - len(unrecovered)}/{len(recoveries)} faults recovered.")
        print(
            f"\n## Time to the 3114 answer, action server frozen or killed ({SAMPLES} messages "
            f"each; action_session_start's timeout {settings.session_start_timeout} s, other "
            f"actions' {settings.action_timeout} s, gateway's distress deadline "
            f"{settings.distress_deadline} s; target ≤ {TARGET_S:.0f} s; tracker store in "
            "PostgreSQL, locks in Redis)"
        )
        print("\n| action server | path | message | p50 s | max s | baseline s | target |")
        print("|---|---|---|---|---|---|---|")
        rows = measure(stack)
        missed = [r for r in rows if r.endswith("MISSED |")]
        print(f"\n{len(rows) - len(missed)}/{len(rows)} rows within {TARGET_S:.0f} s.")
    finally:
        if stack.services:
            resume(service(stack, "actions"))
        stack.stop()
        redis.stop()
        postgres.remove()
    return 1 if missed or unrecovered else 0


if __name__ == "__main__":
    raise SystemExit(main())
