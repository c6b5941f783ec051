"""`python -m bot run` restarts a service that dies, the others serving meanwhile."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid

import pytest

from bot.stack import RESTART_MAX_WAIT, Service, Stack
from tests.e2e.conftest import say, texts


def _dying_stack(tmp_path) -> Stack:
    """A stack of one service that exits at once, to follow the restart policy."""
    command = [sys.executable, "-c", "import sys; sys.exit(3)"]
    service = Service("fragile", command, "http://127.0.0.1:9/", tmp_path / "fragile.log")
    stack = Stack(with_web=False, log_dir=tmp_path / "logs")
    stack.services = [service]
    service.start(stack.env())
    service.process.wait(timeout=30)
    return stack


def test_the_wait_before_a_restart_doubles_and_is_capped(tmp_path):
    stack = _dying_stack(tmp_path)
    service = stack.services[0]
    waits = []
    for _ in range(8):
        now = service.started_at + 1  # it died one second after starting
        events = stack.heal(now)
        assert len(events) == 1 and "s'est arrêté (code 3)" in events[0]
        waits.append(service.restart_at - now)
        assert stack.heal(service.restart_at - 0.01) == []  # not before its time
        events = stack.heal(service.restart_at)
        assert events == [f"fragile redémarré (arrêt n° {len(waits)} d'affilée)."]
        service.process.wait(timeout=30)
    # approx: restart_at - now on a large monotonic clock carries float rounding (60.0000000000009)
    assert waits == pytest.approx([1, 2, 4, 8, 16, 32, RESTART_MAX_WAIT, RESTART_MAX_WAIT])


def test_a_service_that_lived_long_restarts_quickly_again(tmp_path):
    stack = _dying_stack(tmp_path)
    service = stack.services[0]
    service.failures = 5
    stack.heal(service.started_at + 3600)  # it had served an hour
    assert service.restart_at - (service.started_at + 3600) == 1


@pytest.mark.stack
def test_a_killed_action_server_comes_back_and_rasa_kept_serving(live_stack):
    sender = f"fault-{uuid.uuid4().hex[:10]}"
    actions = next(s for s in live_stack.services if s.name == "actions")
    os.killpg(actions.process.pid, signal.SIGKILL)
    actions.process.wait(timeout=30)
    # Rasa and the gateway are still up while the action server is down.
    rasa = next(s for s in live_stack.services if s.name == "rasa")
    assert rasa.exited() is None and rasa.is_healthy()
    deadline = time.monotonic() + 120
    events = []
    while not (actions.exited() is None and actions.is_healthy()):
        assert time.monotonic() < deadline, f"the action server did not come back: {events}"
        events += live_stack.heal()
        time.sleep(0.2)
    assert any("actions redémarré" in e for e in events)
    # The conversation that needs the action server works again.
    answer = texts(say(live_stack.settings.rasa_base_url, sender, "je cherche une formation"))
    assert answer and "Désolé" not in answer
