"""nginx in front of the replicas: the one public entry point, and the internal balancers.

``python -m bot run --replicas N`` starts N gateways, N Rasa servers and N action servers, and one
nginx (Debian's package) with three servers:

- ``WEB_PORT`` (public, ``BOUSSOLE_HOST``): balances the gateways;
- ``RASA_PORT`` (loopback): balances the Rasa servers, for the gateways;
- ``ACTION_PORT`` (loopback): balances the action servers, for the Rasa servers.

Each tier therefore reaches the next through nginx, which stops sending to a replica that refuses
connections (it is dead or restarting) and sends a request on to the next replica when the one it
reached refused it, failed or died before answering, even a POST already delivered
(``non_idempotent``). That is safe on every tier:

- an action call only reads (actions return events, Rasa applies them);
- a chat message carries an id (the widget's ``turn_id``, else one given by the gateway, passed to
  Rasa as the message's ``message_id``): a Rasa server that finds it already kept in the
  conversation answers it from there instead of handling it twice (``bot/channels.py``), and a
  turn that died half-way was not saved at all (Rasa saves a turn's events at its end);
- a gateway keeps nothing of a message but the limits' counters.

Any replica may serve any message: the conversation lives in PostgreSQL, and Redis's lock store
keeps its turns in order, a dead replica's lock lapsing within seconds (``bot/lock_store.py``).
Only the replicas' own answers are never retried: a 503 is the gateway's apology, said already.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# A replica that failed is left alone this long before nginx tries it again.
FAIL_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Balancer:
    """One nginx server: where it listens and the replicas it balances."""

    name: str
    listen: str  # host:port
    replicas: tuple[str, ...]  # host:port of each replica
    read_timeout: int = 60
    # The largest request body passed on. Rasa posts the whole tracker to the action server,
    # so that tier takes more than a chat message.
    max_body: str = "1m"


def _upstream(balancer: Balancer) -> str:
    servers = "\n".join(
        f"        server {address} max_fails=1 fail_timeout={FAIL_TIMEOUT_SECONDS}s;"
        for address in balancer.replicas
    )
    return f"""    upstream {balancer.name} {{
{servers}
        keepalive 16;
    }}"""


def _server(balancer: Balancer) -> str:
    return f"""    server {{
        listen {balancer.listen};
        client_max_body_size {balancer.max_body};
        # Bodies stay in memory, never in client_body_temp_path: run by root, nginx's workers
        # run as another user that cannot write there, and every body over 16 KB (an action
        # call late in a conversation) got a 500 from nginx itself.
        client_body_buffer_size {balancer.max_body};
        location / {{
            proxy_pass http://{balancer.name};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # With its port: the gateway builds its own URLs from it (the widget's script, the
            # origin its API accepts); $host would drop it.
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 2s;
            proxy_read_timeout {balancer.read_timeout}s;
            proxy_next_upstream error timeout non_idempotent;
            proxy_next_upstream_tries {len(balancer.replicas)};
            # Likewise for answers: passed on as they come, never through proxy_temp_path.
            proxy_max_temp_file_size 0;
        }}
    }}"""


def render(prefix: Path, balancers: list[Balancer]) -> str:
    """The whole nginx.conf for ``balancers``; every file nginx writes stays under ``prefix``.

    No access log: it would keep every client's address (the gateways log what they need).
    """
    temp = prefix / "tmp"
    upstreams = "\n".join(_upstream(b) for b in balancers)
    servers = "\n".join(_server(b) for b in balancers)
    return f"""# Written by `python -m bot run --replicas N` (bot/nginx.py) at every start.
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
    server_tokens off;
    client_body_temp_path {temp / "body"};
    proxy_temp_path {temp / "proxy"};
    fastcgi_temp_path {temp / "fastcgi"};
    uwsgi_temp_path {temp / "uwsgi"};
    scgi_temp_path {temp / "scgi"};
{upstreams}
{servers}
}}
"""


def write_config(prefix: Path, balancers: list[Balancer]) -> Path:
    """Write ``prefix/nginx.conf`` (and its temp folders); return its path."""
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / name).mkdir(parents=True, exist_ok=True)
    path = prefix / "nginx.conf"
    path.write_text(render(prefix, balancers), encoding="utf-8")
    return path


def command(config: Path) -> list[str]:
    """nginx in the foreground on ``config``, so that the stack watches and stops it."""
    return ["nginx", "-p", str(config.parent), "-c", str(config), "-g", "daemon off;"]
