"""A stack of real processes for the fault tests.

The fault tests freeze (SIGSTOP) and kill the action server, so they run their own stack on free
ports rather than the session's ``live_stack`` that other tests share. The faults themselves and
the ways to send a message are the benchmark's (benchmarks/faults.py), so that both measure the
same thing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.faults import resume, service
from bot.stack import Stack
from bot.training import model_path
from tests.conftest import stack_settings


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory) -> Iterator[Stack]:
    """Rasa + action server + gateway as `make run` starts them, for one test module."""
    model = model_path()
    if not model.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    var = tmp_path_factory.mktemp("faults")
    settings = stack_settings(var)
    stack = Stack(settings=settings, model=model, log_dir=var / "logs")
    stack.start(timeout=600)  # loading the model takes minutes on a busy machine
    try:
        yield stack
    finally:
        resume(service(stack, "actions"))  # a failed test must not leave a stopped process
        stack.stop()
