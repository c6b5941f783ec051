"""`python -m bot run` (bot.stack.Stack) refuses ports another process already serves."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
import yaml

from bot.settings import PROJECT_ROOT, load_settings
from bot.stack import Stack, free_port, write_endpoints


def test_a_taken_port_is_refused_before_anything_starts(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    taken = listener.getsockname()[1]
    settings = replace(
        load_settings({}),
        host="127.0.0.1",
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=taken,
    )
    model = tmp_path / "boussole.tar.gz"
    model.write_bytes(b"")
    stack = Stack(settings=settings, model=model, log_dir=tmp_path / "logs")
    try:
        with pytest.raises(RuntimeError, match=rf"Port\(s\) déjà utilisé\(s\) : {taken} \(web\)"):
            stack.start()
    finally:
        listener.close()
    assert stack.services == []
    assert not (tmp_path / "logs").exists()  # no service was started


def test_the_endpoints_file_bounds_the_wait_for_the_action_server(tmp_path):
    settings = replace(
        load_settings({}), action_port=free_port(), action_timeout=7, session_start_timeout=2
    )
    endpoints = yaml.safe_load(write_endpoints(settings, tmp_path / "endpoints.yml").read_text())
    assert endpoints["action_endpoint"] == {
        "url": settings.action_url,
        "timeout": 7,
        "session_start_timeout": 2,
    }
    # The project's own endpoints.yml (plain `rasa shell`) says the same as the default settings.
    default = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())["action_endpoint"]
    assert default["timeout"] == load_settings({}).action_timeout
    assert default["session_start_timeout"] == load_settings({}).session_start_timeout
