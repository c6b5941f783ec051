"""A Rasa whose model cannot be loaded is down, not ok.

Rasa logs that it could not load the model, then serves anyway: ``/version`` answers, every
message is ignored. Found by `make bench` → faults on a model trained by a newer commit (a
component the code did not have yet): ``/healthz`` said ``ok`` while no question got an
answer. The gateway now asks Boussole's channel whether a model is loaded, and so does the
stack: `make run` refuses to say « Prêt » (tests/runtime/test_stack_readiness.py); here the
stack is told to start anyway, to see what a user would meet.
"""

from __future__ import annotations

import pytest

from benchmarks.faults import chat, healthz, new_session, said
from bot.stack import NO_MODEL, Stack
from tests.conftest import stack_settings

pytestmark = pytest.mark.stack


def test_a_rasa_without_its_model_is_down_and_distress_is_still_answered(tmp_path):
    model = tmp_path / "boussole.tar.gz"
    model.write_bytes(b"not a model archive")
    settings = stack_settings(tmp_path)
    stack = Stack(settings=settings, model=model, log_dir=tmp_path / "logs", require_model=False)
    with stack:
        rasa = next(s for s in stack.services if s.name == "rasa")
        assert rasa.state() == NO_MODEL  # what `make run` reads before it would say « Prêt »
        code, status = healthz(stack)
        assert (code, status) == (503, "down")
        status, body, _ = chat(stack, new_session(), "je veux mourir")
        assert status == 200 and "3114" in said(body["messages"])  # the gateway's own answer
