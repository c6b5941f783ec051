"""The public gateway runs in its own environment (``.venv-web``), with a current aiohttp.

Rasa pins aiohttp < 3.10; the gateway and the console import no Rasa, so `make install` builds
``.venv-web`` from ``requirements-web.txt`` and :mod:`bot.stack` starts the gateway with it. The
other gateway tests run in-process in the main environment (same code, aiohttp 3.9); these prove
that the process `make run` starts loads ``.venv-web``'s aiohttp, and refuses hostile bodies there.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from web_support import ServedApps

from bot.settings import PROJECT_ROOT, load_settings
from bot.stack import WEB_PYTHON, Stack, free_port, web_python
from bot.web.fake_rasa import create_fake_rasa

LOCK = PROJECT_ROOT / "requirements-web.txt"


def _pinned(name: str) -> str:
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if line.lower().startswith(name + "=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{name} is not pinned in {LOCK.name}")


@pytest.fixture(scope="module")
def web_env():
    if not WEB_PYTHON.exists():
        pytest.fail(f"{WEB_PYTHON} is missing: `make install` builds it from {LOCK.name}")
    return str(WEB_PYTHON)


def test_the_web_environment_has_the_pinned_aiohttp_and_no_rasa(web_env):
    version = tuple(int(p) for p in _pinned("aiohttp").split(".")[:2])
    assert version >= (3, 10), "the point of .venv-web is an aiohttp newer than Rasa's pin"
    probe = (
        "import sys, aiohttp, bot.web.app, bot.web.__main__, bot.console.views, knowledge.api;"
        "print(aiohttp.__version__, any(m.split('.')[0] in ('rasa', 'tensorflow', 'spacy') "
        "for m in sys.modules))"
    )
    out = subprocess.run(
        [web_env, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [_pinned("aiohttp"), "False"]
    assert web_python() == web_env


def _post(url: str, body: bytes) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_the_stack_runs_the_gateway_on_the_web_environment(web_env, tmp_path, knowledge_db_url):
    apps = ServedApps()
    rasa_port = free_port()
    apps.serve(create_fake_rasa(), rasa_port)
    settings = replace(
        load_settings({}),
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_port=rasa_port,
        web_port=free_port(),
        knowledge_db_url=knowledge_db_url,
        app_db_url=f"sqlite:///{tmp_path / 'app.sqlite3'}",
        tracker_db_url=f"sqlite:///{tmp_path / 'tracker.sqlite3'}",
    )
    stack = Stack(settings=settings, log_dir=tmp_path / "logs")
    web = next(s for s in stack.build() if s.name == "web")
    assert web.command[0] == web_env
    web.start(stack.env())
    try:
        deadline = time.monotonic() + 60
        while not web.is_healthy():
            assert web.exited() is None, web.log_tail()
            assert time.monotonic() < deadline, web.log_tail()
            time.sleep(0.2)
        maps = Path(f"/proc/{web.process.pid}/maps").read_text()
        site = str(PROJECT_ROOT / ".venv-web" / "lib")
        assert any(site in line and "/aiohttp/" in line for line in maps.splitlines())
        assert "/.venv/lib" not in maps  # nothing of Rasa's environment is loaded
        url = f"http://127.0.0.1:{settings.web_port}/api/chat?partner={settings.demo_partner}"
        deep = b'{"session_id": "abcdef0123456789", "text": "x", "p": ' + b"[" * 9 + b"]" * 9 + b"}"
        status, headers, body = _post(url, deep)
        assert (status, body["error"]) == (400, "malformed_json")
        assert headers["Server"] == "Boussole"  # no version announced
        status, _, body = _post(url, b'{"text": "' + b"a" * (1 << 20) + b'"}')
        assert (status, body["error"]) == (413, "too_large")
        status, _, body = _post(url, b'{"session_id": "abcdef0123456789", "text": "bonjour"}')
        assert status == 200 and body["messages"]
    finally:
        web.stop()
        apps.close()
