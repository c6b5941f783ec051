"""`python -m bot run` (bot.stack.Stack) refuses ports another process already serves."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from bot.settings import load_settings
from bot.stack import Stack, free_port


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
