"""PostgreSQL and Redis servers that a fault test starts, stops and restarts itself.

Fault tests must not stop the machine's shared servers (other tests and engineers use them):
these are private instances in a temporary folder, on free ports, from the machine's binaries.
PostgreSQL refuses to run as root, so it runs as the ``postgres`` system user when the tests
run as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from bot.stack import free_port


def _as_postgres_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class PrivatePostgres:
    """A throw-away PostgreSQL cluster; :meth:`stop` and :meth:`start` simulate an outage.

    Its folder is made under /tmp (pytest's own folders are private to root, and the server runs
    as ``postgres``); :meth:`remove` stops the server and deletes the folder.
    """

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="boussole-pg-")))
    port: int = 0

    @property
    def url(self) -> str:
        return f"postgresql://root@127.0.0.1:{self.port}/postgres"

    @property
    def data(self) -> str:
        return str(self.folder / "data")

    def init(self) -> PrivatePostgres:
        if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
            raise RuntimeError("PostgreSQL's initdb and pg_ctl are needed for the fault tests")
        if os.geteuid() == 0:
            shutil.chown(self.folder, user="postgres")
        self.port = free_port()
        initdb = ["initdb", "-D", self.data, "-A", "trust", "-U", "root", "-E", "UTF8", "--no-sync"]
        subprocess.run(_as_postgres_user(initdb), check=True, capture_output=True)
        return self.start()

    def start(self) -> PrivatePostgres:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        log = str(self.folder / "server.log")
        start = ["pg_ctl", "-D", self.data, "-o", options, "-l", log, "-w", "start"]
        subprocess.run(_as_postgres_user(start), check=True, capture_output=True)
        return self

    def stop(self) -> None:
        stop = ["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"]
        subprocess.run(_as_postgres_user(stop), capture_output=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class PrivateRedis:
    """A throw-away Redis server that keeps nothing on disk."""

    folder: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is needed for the fault tests")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_timeout=0.5).ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("the private Redis did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
