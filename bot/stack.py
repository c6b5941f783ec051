"""Start, watch and stop Boussole's three services: Rasa, the action server and the web gateway.

`python -m bot run` uses it from the command line; the end-to-end tests and the benchmarks use
the same :class:`Stack`, so what they measure is what `make run` starts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import yaml
from sqlalchemy.engine import make_url

from bot import nginx
from bot.masking import mask_text
from bot.rasa_runtime import command as rasa_command
from bot.settings import PROJECT_ROOT, VAR_DIR, Settings, as_environ, load_settings
from bot.training import model_path, rasa_env, rasa_executable
from bot.web.rasa_client import HEALTH_PATH as RASA_HEALTH_PATH

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


LOOPBACK = "127.0.0.1"


def _at(ports: list[int]) -> tuple[str, ...]:
    return tuple(f"{LOOPBACK}:{port}" for port in ports)


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


# Restart policy of `python -m bot run` (Stack.heal).
RESTART_FIRST_WAIT = 1.0
RESTART_MAX_WAIT = 60.0
STABLE_SECONDS = 300.0

TRACKER_STORE_CLASS = "bot.tracker_store.BoussoleTrackerStore"
LOCK_STORE_CLASS = "bot.lock_store.LeasedRedisLockStore"
# Secrets stay in the environment: Rasa expands ${VAR} when it reads the endpoints file.
REDIS_PASSWORD_VAR = "BOUSSOLE_REDIS_PASSWORD"


def tracker_store_config(db_url: str) -> dict:
    """Rasa's tracker-store endpoint for a SQLAlchemy URL: Boussole's store, URL from the env.

    The whole URL (driver, ``sslmode`` and other query options, password) reaches the store
    through ``${TRACKER_DB_URL}``, never through the file.
    """
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return {"type": TRACKER_STORE_CLASS, "url": "${TRACKER_DB_URL}"}


def lock_store_config(redis_url: str, key_prefix: str) -> dict:
    """Redis lock store when ``REDIS_URL`` is set (several Rasa replicas), else in memory.

    ``rediss://`` turns TLS on; a user name and the database number are kept; the password is
    read from the environment; the key prefix lets several deployments share one Redis.
    """
    if not redis_url:
        return {"type": "in_memory"}
    url = make_url(redis_url)
    if url.drivername not in ("redis", "rediss"):
        raise ValueError(
            f"REDIS_URL doit commencer par redis:// ou rediss:// (lu : {url.drivername}://)"
        )
    config = {
        # Rasa's Redis lock store with leases, so that a dead replica's turn does not hold its
        # conversation for a minute (bot/lock_store.py).
        "type": LOCK_STORE_CLASS,
        "url": url.host or "127.0.0.1",
        "port": url.port or 6379,
        "db": int(url.database or 0),
        "key_prefix": key_prefix,
    }
    if url.drivername == "rediss":
        config["use_ssl"] = True
    if url.username:
        config["username"] = url.username
    if url.password:
        config["password"] = f"${{{REDIS_PASSWORD_VAR}}}"
    return config


RASA_TOKEN_FILE = VAR_DIR / "rasa_token"


def rasa_token(settings: Settings, path: Path = RASA_TOKEN_FILE) -> str:
    """The token of Rasa's HTTP API: ``RASA_TOKEN``, else one generated once into ``var/``."""
    if settings.rasa_token:
        return settings.rasa_token
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token


def secret_env(settings: Settings) -> dict[str, str]:
    """The secrets Rasa reads from its environment: the endpoints file's and the API token."""
    env = {"TRACKER_DB_URL": settings.tracker_db_url, "RASA_TOKEN": rasa_token(settings)}
    if settings.redis_url:
        password = make_url(settings.redis_url).password
        if password:
            env[REDIS_PASSWORD_VAR] = str(password)
    return env


def write_endpoints(settings: Settings, path: Path) -> Path:
    """Write the Rasa endpoints file matching ``settings`` (ports, tracker and lock stores).

    It holds no secret: URLs with passwords are read by Rasa from its environment
    (:func:`secret_env`).
    """
    endpoints = {
        # Both timeouts are read by bot/rasa_runtime.py (Rasa 3.6 itself would wait 5 minutes).
        "action_endpoint": {
            "url": settings.action_url,
            "timeout": settings.action_timeout,
            "session_start_timeout": settings.session_start_timeout,
        },
        "tracker_store": tracker_store_config(settings.tracker_db_url),
        "lock_store": lock_store_config(settings.redis_url, settings.redis_key_prefix),
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


READY, STARTING, NO_MODEL = "ready", "starting", "no model"


def no_model_message(model: Path, log: str) -> str:
    """What `make run` says when Rasa came up without a model."""
    return (
        f"Rasa a démarré mais n'a chargé aucun modèle : {model} n'a pas pu être lu (archive "
        "abîmée, ou entraînée par une autre version du code). Sans modèle, le bot ne comprend "
        "aucun message. Entraînez-en un avec `make train`, puis relancez `make run`.\n"
        f"--- fin du journal de Rasa\n{log}"
    )


@dataclass
class Service:
    """One child process and the URL that says it is ready."""

    name: str
    command: list[str]
    health_url: str
    log_path: Path
    port: int | None = None  # checked free before the stack starts
    process: subprocess.Popen | None = None
    started_at: float = 0.0  # time.monotonic() of the last start
    failures: int = 0  # deaths in a row, each one doubling the wait before the next start
    restart_at: float | None = None  # when a dead service is started again
    replica: int = 1
    env: dict[str, str] = field(default_factory=dict)  # on top of the stack's environment
    extra_ports: list[tuple[int, str]] = field(default_factory=list)  # also checked free
    needs_model: bool = False  # Rasa: ready only with a model loaded (see state())
    _writer: threading.Thread | None = None

    def start(self, env: dict[str, str]) -> None:
        self.started_at = time.monotonic()
        self.restart_at = None
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # A new process group, so that stopping also stops the children Rasa forks.
        self.process = subprocess.Popen(
            self.command,
            cwd=PROJECT_ROOT,
            env={**env, **self.env},
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
        return self.state() == READY

    def state(self) -> str:
        """:data:`READY`, :data:`STARTING` (no answer yet) or, for Rasa, :data:`NO_MODEL`.

        Rasa answers HTTP only once it has tried to load its model; when that failed it serves
        anyway and ignores every message. So Rasa's health URL is Boussole's channel, which says
        whether a model is loaded: a store that is down at that moment is the gateway's
        « degraded », not a reason to wait.
        """
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:  # a 503 still says what is missing
            status, body = error.code, error.read()
        except (urllib.error.URLError, OSError, ValueError):
            return STARTING
        if not self.needs_model:
            return READY if status < 500 else STARTING
        try:
            loaded = json.loads(body).get("model")
        except (ValueError, AttributeError):
            return STARTING
        if loaded is True:
            return READY
        return NO_MODEL if loaded is False else STARTING

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def kill_group(self) -> None:
        """Kill what is left of the process group of a service whose main process died."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

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
    replicas: int = 1
    services: list[Service] = field(default_factory=list)
    # False only where a Rasa without a model is the point (the fault tests): start() then
    # returns once Rasa answers, model or not.
    require_model: bool = True

    def env(self) -> dict[str, str]:
        env = rasa_env()
        env.update(as_environ(self.settings))
        env["RASA_URL"] = self.settings.rasa_base_url
        env["LOG_DIR"] = str(self.log_dir)  # where the gateway rotates and purges the logs
        env.update(secret_env(self.settings))
        return env

    def build(self) -> list[Service]:
        """The services to start: one of each, or N replicas of each behind nginx."""
        if self.replicas > 1:
            return self._build_replicas()
        s = self.settings
        endpoints = write_endpoints(s, self.log_dir.parent / f"endpoints-{s.rasa_port}.yml")
        services = [
            self._actions(s.action_port, "actions.log"),
            self._rasa(s.rasa_port, endpoints, "rasa.log"),
        ]
        if self.with_web:
            services.append(self._web(s.web_port, "web.log"))
        return services

    def _build_replicas(self) -> list[Service]:
        """N replicas of each service on free loopback ports, and nginx on the settings' ports.

        nginx listens on ``WEB_PORT`` (public), ``RASA_PORT`` and ``ACTION_PORT`` (loopback), and
        each tier reaches the next through it (bot/nginx.py).
        """
        s = self.settings
        n = self.replicas
        action_ports = [free_port() for _ in range(n)]
        rasa_ports = [free_port() for _ in range(n)]
        web_ports = [free_port() for _ in range(n)]
        # Rasa reaches the actions through nginx, the gateways reach Rasa through nginx.
        inner = replace(s, host=LOOPBACK, action_server_url="", rasa_url="")
        endpoints = write_endpoints(inner, self.log_dir.parent / f"endpoints-{s.rasa_port}.yml")
        services = []
        for i in range(n):
            services.append(self._actions(action_ports[i], f"actions-{i + 1}.log", i + 1))
        for i in range(n):
            services.append(self._rasa(rasa_ports[i], endpoints, f"rasa-{i + 1}.log", i + 1))
        if self.with_web:
            for i in range(n):
                web = self._web(web_ports[i], f"web-{i + 1}.log", i + 1)
                # The gateways see nginx as their client; it passes the real one's address.
                web.env = {
                    "WEB_PORT": str(web_ports[i]),
                    "BOUSSOLE_HOST": LOOPBACK,
                    "RASA_URL": f"http://{LOOPBACK}:{s.rasa_port}",
                    "TRUSTED_PROXIES": LOOPBACK,
                }
                services.append(web)
        balancers = [
            nginx.Balancer(
                "actions", f"{LOOPBACK}:{s.action_port}", _at(action_ports), max_body="16m"
            ),
            nginx.Balancer("rasa", f"{LOOPBACK}:{s.rasa_port}", _at(rasa_ports)),
        ]
        if self.with_web:
            balancers.append(nginx.Balancer("gateways", f"{s.host}:{s.web_port}", _at(web_ports)))
        config = nginx.write_config(self.log_dir.parent / "nginx", balancers)
        health_port = s.web_port if self.with_web else s.rasa_port
        health = "/widget.js" if self.with_web else "/version"
        services.append(
            Service(
                "nginx",
                nginx.command(config),
                f"http://{LOOPBACK if not self.with_web else s.host}:{health_port}{health}",
                self.log_dir / "nginx.log",
                None,
            )
        )
        for port, name in ((s.rasa_port, "rasa"), (s.action_port, "actions")):
            services[-1].extra_ports.append((port, f"nginx ({name})"))
        if self.with_web:
            services[-1].extra_ports.append((s.web_port, "nginx (web)"))
        return services

    def _actions(self, port: int, log: str, replica: int = 1) -> Service:
        command = [rasa_executable(), "run", "actions", "--actions", "actions", "--port", str(port)]
        health = f"http://{self._bound_host()}:{port}/health"
        service = Service("actions", command, health, self.log_dir / log, port, replica=replica)
        # rasa_sdk has no --interface option: it binds to SANIC_HOST (default 0.0.0.0).
        service.env = {"SANIC_HOST": self._bound_host()}
        return service

    def _rasa(self, port: int, endpoints: Path, log: str, replica: int = 1) -> Service:
        command = rasa_command(
            "run",
            "--enable-api",
            "--model",
            str(self.model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            "credentials.yml",
            "--interface",
            self._bound_host(),
            "--port",
            str(port),
        )
        health = f"http://{self._bound_host()}:{port}{RASA_HEALTH_PATH}"
        service = Service("rasa", command, health, self.log_dir / log, port, replica=replica)
        service.needs_model = True
        return service

    def _web(self, port: int, log: str, replica: int = 1) -> Service:
        command = [web_python(), "-m", "bot.web"]
        health = f"http://{self._bound_host()}:{port}/widget.js"
        return Service("web", command, health, self.log_dir / log, port, replica=replica)

    def _bound_host(self) -> str:
        """Replicas listen on the loopback only: nginx is the one entry point."""
        return LOOPBACK if self.replicas > 1 else self.settings.host

    def describe(self) -> list[dict]:
        """One entry per process: name, replica number, port and pid (``var/stack.json``)."""
        return [
            {
                "name": sv.name,
                "replica": sv.replica,
                "port": sv.port,
                "pid": sv.process.pid if sv.process else None,
            }
            for sv in self.services
        ]

    def write_description(self, path: Path | None = None) -> Path:
        """Write :meth:`describe` to ``var/stack.json`` (beside the logs) atomically."""
        path = path or self.log_dir.parent / "stack.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(self.describe(), indent=2), encoding="utf-8")
        temporary.replace(path)
        return path

    def start(self, timeout: float = 600) -> Stack:
        """Start every service and wait until each answers; raise with its log if one fails."""
        if not self.model.exists():
            raise RuntimeError(f"Aucun modèle entraîné ({self.model}) : lancez `make train`.")
        services = self.build()
        # Otherwise the health checks would find the other process and call this one ready.
        ports = [(sv.port, sv.name) for sv in services if sv.port]
        ports += [extra for sv in services for extra in sv.extra_ports]
        taken = [f"{port} ({name})" for port, name in ports if port_taken(self.settings.host, port)]
        if taken:
            raise RuntimeError(
                f"Port(s) déjà utilisé(s) : {', '.join(taken)}. Un autre Boussole tourne-t-il ? "
                "Arrêtez-le, ou choisissez d'autres ports (RASA_PORT, ACTION_PORT, WEB_PORT)."
            )
        self.services = services
        if self.with_web:
            upgrade_app_database(self.settings.app_db_url)
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
                state = service.state()
                if state == NO_MODEL and self.require_model:
                    tail = service.log_tail()
                    self.stop()
                    raise RuntimeError(no_model_message(self.model, tail))
                if state in (READY, NO_MODEL):
                    pending.remove(service)
            if pending and time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                tails = "\n".join(f"--- {s.name}\n{s.log_tail()}" for s in pending)
                self.stop()
                raise RuntimeError(f"Pas prêt après {timeout:.0f} s : {names}\n{tails}")
            time.sleep(0.5)
        self.write_description()
        return self

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()

    def first_exited(self) -> Service | None:
        return next((s for s in self.services if s.exited() is not None), None)

    def heal(self, now: float | None = None) -> list[str]:
        """Start again every service that died, the others serving meanwhile.

        The wait before a restart doubles with each death in a row (1 s, 2 s, 4 s… up to
        :data:`RESTART_MAX_WAIT`), so that a service that cannot start does not spin; it goes
        back to 1 s once the service has lived :data:`STABLE_SECONDS`. Returns what happened,
        one French line per event, for the log.
        """
        now = time.monotonic() if now is None else now
        events = []
        for service in self.services:
            code = service.exited()
            if code is None:
                continue
            if service.restart_at is None:
                if now - service.started_at >= STABLE_SECONDS:
                    service.failures = 0
                wait = min(RESTART_MAX_WAIT, RESTART_FIRST_WAIT * 2**service.failures)
                service.failures += 1
                service.restart_at = now + wait
                service.kill_group()  # children it forked may still hold its port
                events.append(
                    f"{service.name} s'est arrêté (code {code}) après "
                    f"{now - service.started_at:.0f} s ; redémarrage dans {wait:.0f} s."
                )
            elif now >= service.restart_at:
                service.start(self.env())
                events.append(f"{service.name} redémarré (arrêt n° {service.failures} d'affilée).")
                self.write_description()  # its new pid
        return events

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def upgrade_app_database(url: str) -> None:
    """Bring the application database's schema up to date once, before the gateways start.

    Each gateway checks again when it starts (Alembic under a lock: nothing left to do), so a
    gateway started on its own is safe too.
    """
    from bot import appdb

    engine = appdb.get_engine(url)
    try:
        appdb.create_schema(engine)
    finally:
        engine.dispose()


def check_replica_settings(settings: Settings) -> list[str]:
    """What keeps ``settings`` from running several replicas (French, for the person)."""
    problems = []
    for name, url in (
        ("TRACKER_DB_URL", settings.tracker_db_url),
        ("APP_DB_URL", settings.app_db_url),
        ("KNOWLEDGE_DB_URL", settings.knowledge_db_url),
    ):
        if make_url(url).get_backend_name() != "postgresql":
            problems.append(f"{name} doit désigner une base PostgreSQL partagée (lu : {url}).")
    if not settings.redis_url:
        problems.append("REDIS_URL doit désigner le Redis partagé (verrous de Rasa, limites).")
    return problems


def ensure_databases(settings: Settings) -> list[str]:
    """Create the PostgreSQL databases of ``settings`` that do not exist yet; return their names.

    For this machine's `make run-replicas`; in production the databases are provisioned.
    """
    import psycopg2

    created = []
    for url in {settings.tracker_db_url, settings.app_db_url, settings.knowledge_db_url}:
        parsed = make_url(url)
        connection = psycopg2.connect(
            host=parsed.host,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            dbname="postgres",
        )
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{parsed.database}"')
                    created.append(parsed.database)
        finally:
            connection.close()
    return created


def run(args: argparse.Namespace) -> int:
    """`python -m bot run`: start everything, print the URLs, restart what dies, stop on Ctrl-C."""
    settings = load_settings()
    replicas = args.replicas
    if replicas > 1:
        problems = check_replica_settings(settings)
        if problems:
            lines = "\n  ".join(problems)
            print(f"Impossible de lancer plusieurs répliques :\n  {lines}", file=sys.stderr)
            return 2
        if args.prepare_databases:
            from knowledge.loader import load

            for name in ensure_databases(settings):
                print(f"Base PostgreSQL créée : {name}")
            load(settings.knowledge_db_url)
            print("Base de connaissances chargée dans PostgreSQL.")
    stack = Stack(settings=settings, with_web=not args.no_web, replicas=replicas)
    what = "Rasa, du serveur d'actions et de la passerelle web"
    if replicas > 1:
        what = f"{replicas} répliques de Rasa, des actions et de la passerelle, et de nginx"
    print(f"Démarrage de {what}…", flush=True)
    started = time.perf_counter()
    try:
        stack.start()
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    description = stack.log_dir.parent / "stack.json"
    host = settings.host
    print(f"Prêt en {time.perf_counter() - started:.0f} s.")
    print(f"  Rasa (canal REST)     : http://{host}:{settings.rasa_port}/webhooks/boussole/webhook")
    print(f"  API HTTP de Rasa      : jeton dans RASA_TOKEN ou {RASA_TOKEN_FILE}")
    print(f"  Serveur d'actions     : http://{host}:{settings.action_port}/health")
    if not args.no_web:
        print(f"  Widget de démo        : http://{host}:{settings.web_port}/demo")
        print(f"  Console               : http://{host}:{settings.web_port}/console")
    print(f"  Journaux              : {stack.log_dir}")
    print(f"  Processus             : {description}")
    print("Ctrl-C pour tout arrêter.", flush=True)
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            for event in stack.heal():
                print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {event}", file=sys.stderr, flush=True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nArrêt des services…", flush=True)
        stack.stop()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="démarre Rasa, le serveur d'actions et la passerelle web")
    p.add_argument("--no-web", action="store_true", help="sans la passerelle web")
    p.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="N répliques de chaque service derrière nginx (PostgreSQL et Redis requis)",
    )
    p.add_argument(
        "--prepare-databases",
        action="store_true",
        help="crée les bases PostgreSQL manquantes et y charge la base de connaissances "
        "(machine de développement ; en production, elles sont fournies)",
    )
    p.set_defaults(func=run)
