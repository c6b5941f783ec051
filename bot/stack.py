"""Start, watch and stop Boussole's three services: Rasa, the action server and the web gateway.

`python -m bot run` uses it from the command line; the end-to-end tests and the benchmarks use
the same :class:`Stack`, so what they measure is what `make run` starts.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import yaml
from sqlalchemy.engine import make_url

from bot.masking import mask_text
from bot.rasa_runtime import command as rasa_command
from bot.settings import PROJECT_ROOT, VAR_DIR, Settings, load_settings
from bot.training import model_path, rasa_env, rasa_executable

WEB_PYTHON = PROJECT_ROOT / ".venv-web" / "bin" / "python"


def web_python() -> str:
    """The interpreter of the web gateway: ``.venv-web``'s (a current aiohttp, no Rasa; see
    bot/web/README.md), or this one, with a warning, when `make install` has not built it."""
    if WEB_PYTHON.exists():
        return str(WEB_PYTHON)
    print(
        f"Attention : {WEB_PYTHON} manque (lancez `make install`) ; la passerelle tourne avec "
        "l'aiohttp de Rasa.",
        file=sys.stderr,
    )
    return sys.executable


def free_port() -> int:
    """A loopback TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_taken(host: str, port: int) -> bool:
    """True when something already accepts connections on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def tracker_store_config(db_url: str) -> dict:
    """Rasa's SQL tracker-store endpoint config for a SQLAlchemy URL (SQLite or PostgreSQL)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "var/tracker.sqlite3")
        path.parent.mkdir(parents=True, exist_ok=True)
        return {"type": "SQL", "dialect": "sqlite", "db": str(path)}
    config = {
        "type": "SQL",
        "dialect": url.drivername,
        "url": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "db": url.database,
    }
    if url.username:
        config["username"] = url.username
    if url.password:
        config["password"] = url.password
    return config


def lock_store_config(redis_url: str) -> dict:
    """Redis lock store when ``REDIS_URL`` is set (several Rasa replicas), else in memory."""
    if not redis_url:
        return {"type": "in_memory"}
    url = make_url(redis_url)
    config = {"type": "redis", "url": url.host or "127.0.0.1", "port": url.port or 6379}
    if url.database:
        config["db"] = int(url.database)
    if url.password:
        config["password"] = url.password
    return config


def write_endpoints(settings: Settings, path: Path) -> Path:
    """Write the Rasa endpoints file matching ``settings`` (ports, tracker and lock stores)."""
    endpoints = {
        # `timeout` is read by bot/rasa_runtime.py (Rasa 3.6 itself would wait 5 minutes).
        "action_endpoint": {"url": settings.action_url, "timeout": settings.action_timeout},
        "tracker_store": tracker_store_config(settings.tracker_db_url),
        "lock_store": lock_store_config(settings.redis_url),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return path


def _write_masked_log(stream: IO[bytes], path: Path) -> None:
    """Copy a service's output to its log file line by line, personal data masked.

    Whatever a service prints (its own logs, Rasa's structured logs, a traceback quoting a
    message) goes through :func:`bot.masking.mask_text` before it reaches the disk.
    """
    with stream, path.open("ab") as log:
        for line in iter(stream.readline, b""):
            text = line.decode("utf-8", errors="replace")
            log.write(mask_text(text).encode("utf-8"))
            log.flush()


@dataclass
class Service:
    """One child process and the URL that says it is ready."""

    name: str
    command: list[str]
    health_url: str
    log_path: Path
    port: int | None = None  # checked free before the stack starts
    process: subprocess.Popen | None = None
    _writer: threading.Thread | None = None

    def start(self, env: dict[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # A new process group, so that stopping also stops the children Rasa forks.
        self.process = subprocess.Popen(
            self.command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._writer = threading.Thread(
            target=_write_masked_log,
            args=(self.process.stdout, self.log_path),
            name=f"log-{self.name}",
            daemon=True,
        )
        self._writer.start()

    def is_healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return response.status < 500
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass
        if self._writer is not None:
            self._writer.join(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Stack:
    """Rasa + action server + web gateway, started in dependency order."""

    settings: Settings = field(default_factory=load_settings)
    model: Path = field(default_factory=model_path)
    log_dir: Path = VAR_DIR / "logs"
    with_web: bool = True
    services: list[Service] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = rasa_env()
        s = self.settings
        env.update(
            RASA_PORT=str(s.rasa_port),
            ACTION_PORT=str(s.action_port),
            WEB_PORT=str(s.web_port),
            BOUSSOLE_HOST=s.host,
            KNOWLEDGE_DB_URL=s.knowledge_db_url,
            TRACKER_DB_URL=s.tracker_db_url,
            APP_DB_URL=s.app_db_url,
            RASA_URL=s.rasa_base_url,
            LOG_DIR=str(self.log_dir),  # where the gateway rotates and purges the logs
        )
        return env

    def build(self) -> list[Service]:
        s = self.settings
        endpoints = write_endpoints(s, self.log_dir.parent / f"endpoints-{s.rasa_port}.yml")
        rasa = rasa_executable()
        services = [
            Service(
                "actions",
                [rasa, "run", "actions", "--actions", "actions", "--port", str(s.action_port)],
                f"http://{s.host}:{s.action_port}/health",
                self.log_dir / "actions.log",
                s.action_port,
            ),
            Service(
                "rasa",
                rasa_command(
                    "run",
                    "--enable-api",
                    "--model",
                    str(self.model),
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    "credentials.yml",
                    "--interface",
                    s.host,
                    "--port",
                    str(s.rasa_port),
                ),
                f"http://{s.host}:{s.rasa_port}/status",
                self.log_dir / "rasa.log",
                s.rasa_port,
            ),
        ]
        if self.with_web:
            services.append(
                Service(
                    "web",
                    [web_python(), "-m", "bot.web"],
                    f"http://{s.host}:{s.web_port}/widget.js",
                    self.log_dir / "web.log",
                    s.web_port,
                )
            )
        return services

    def start(self, timeout: float = 240) -> Stack:
        """Start every service and wait until each answers; raise with its log if one fails."""
        if not self.model.exists():
            raise RuntimeError(f"Aucun modèle entraîné ({self.model}) : lancez `make train`.")
        services = self.build()
        # Otherwise the health checks would find the other process and call this one ready.
        taken = [
            f"{sv.port} ({sv.name})"
            for sv in services
            if sv.port and port_taken(self.settings.host, sv.port)
        ]
        if taken:
            raise RuntimeError(
                f"Port(s) déjà utilisé(s) : {', '.join(taken)}. Un autre Boussole tourne-t-il ? "
                "Arrêtez-le, ou choisissez d'autres ports (RASA_PORT, ACTION_PORT, WEB_PORT)."
            )
        self.services = services
        env = self.env()
        for service in self.services:
            service.start(env)
        deadline = time.monotonic() + timeout
        pending = list(self.services)
        while pending:
            for service in list(pending):
                code = service.exited()
                if code is not None:
                    self.stop()
                    raise RuntimeError(
                        f"Le service {service.name} s'est arrêté (code {code}).\n"
                        f"{service.log_tail()}"
                    )
                if service.is_healthy():
                    pending.remove(service)
            if pending and time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                tails = "\n".join(f"--- {s.name}\n{s.log_tail()}" for s in pending)
                self.stop()
                raise RuntimeError(f"Pas prêt après {timeout:.0f} s : {names}\n{tails}")
            time.sleep(0.5)
        return self

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()

    def first_exited(self) -> Service | None:
        return next((s for s in self.services if s.exited() is not None), None)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run(args: argparse.Namespace) -> int:
    """`python -m bot run`: start everything, print the URLs, stop cleanly on Ctrl-C."""
    settings = load_settings()
    stack = Stack(settings=settings, with_web=not args.no_web)
    print("Démarrage de Rasa, du serveur d'actions et de la passerelle web…", flush=True)
    started = time.perf_counter()
    try:
        stack.start()
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    host = settings.host
    print(f"Prêt en {time.perf_counter() - started:.0f} s.")
    print(f"  Rasa (REST, API HTTP) : http://{host}:{settings.rasa_port}/webhooks/rest/webhook")
    print(f"  Serveur d'actions     : http://{host}:{settings.action_port}/health")
    if not args.no_web:
        print(f"  Widget de démo        : http://{host}:{settings.web_port}/demo")
        print(f"  Console               : http://{host}:{settings.web_port}/console")
    print(f"  Journaux              : {stack.log_dir}")
    print("Ctrl-C pour tout arrêter.", flush=True)
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            dead = stack.first_exited()
            if dead:
                print(f"Le service {dead.name} s'est arrêté :\n{dead.log_tail()}", file=sys.stderr)
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nArrêt des services…", flush=True)
        stack.stop()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="démarre Rasa, le serveur d'actions et la passerelle web")
    p.add_argument("--no-web", action="store_true", help="sans la passerelle web")
    p.set_defaults(func=run)
