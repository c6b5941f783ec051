"""Every setting of Boussole in one place, with its default and its help.

Values come from the environment; the defaults are the embedded ones (SQLite files under
``var/``, in-memory lock store), so nothing needs configuring to run on one machine.
Production sets the ``*_DB_URL`` variables to PostgreSQL, ``REDIS_URL`` for Rasa's lock store and
the gateway's rate limits, and ``TRUSTED_PROXIES`` when the gateway sits behind a reverse proxy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


def _sqlite(name: str) -> str:
    return f"sqlite:///{VAR_DIR / name}"


def _setting(env: str, default: object, help: str):
    return field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`load_settings`; never mutate."""

    rasa_port: int = _setting("RASA_PORT", 5005, "port of the Rasa server (REST channel, HTTP API)")
    action_port: int = _setting("ACTION_PORT", 5055, "port of the rasa_sdk action server")
    web_port: int = _setting(
        "WEB_PORT", 8080, "port of the web gateway (widget, /api/chat, /console)"
    )
    action_timeout: int = _setting(
        "ACTION_TIMEOUT",
        10,
        "seconds Rasa waits for the action server before going on without it (Rasa's own "
        "limit is 5 minutes); distress and « parler à quelqu'un » never wait for it",
    )
    session_start_timeout: int = _setting(
        "SESSION_START_TIMEOUT",
        3,
        "seconds Rasa waits for Boussole's action_session_start before starting the "
        "conversation with its own (the first message, distress included, waits that long "
        "at most when the action server is frozen)",
    )
    distress_deadline: int = _setting(
        "DISTRESS_DEADLINE",
        4,
        "seconds the gateway gives Rasa to answer a distress message before giving the "
        "safeguarding numbers itself",
    )
    host: str = _setting("BOUSSOLE_HOST", "127.0.0.1", "interface every service listens on")
    rasa_token: str = _setting(
        "RASA_TOKEN",
        "",
        "token that Rasa's HTTP API requires (empty: generated once into var/rasa_token)",
    )
    action_server_url: str = _setting(
        "ACTION_URL",
        "",
        "URL of the action server's webhook as Rasa reaches it (default: from host and port)",
    )
    rasa_url: str = _setting(
        "RASA_URL", "", "Rasa base URL seen by the gateway (default: from host and port)"
    )
    knowledge_db_url: str = _setting(
        "KNOWLEDGE_DB_URL", _sqlite("knowledge.sqlite3"), "SQLAlchemy URL of the knowledge base"
    )
    knowledge_refresh_seconds: int = _setting(
        "KNOWLEDGE_REFRESH_SECONDS",
        30,
        "how often the action servers, the gateways and Rasa's commune resolver check whether "
        "`kb load` changed the knowledge base (one small query), and re-read it if so "
        "(0: at every use)",
    )
    tracker_db_url: str = _setting(
        "TRACKER_DB_URL", _sqlite("tracker.sqlite3"), "SQLAlchemy URL of Rasa's SQL tracker store"
    )
    app_db_url: str = _setting(
        "APP_DB_URL", _sqlite("app.sqlite3"), "SQLAlchemy URL of the console's own tables"
    )
    redis_url: str = _setting(
        "REDIS_URL",
        "",
        "Redis URL for Rasa's lock store and the gateway's rate limits (empty: in memory)",
    )
    model_dir: str = _setting("MODEL_DIR", str(PROJECT_ROOT / "models"), "where trained models go")
    log_retention_days: int = _setting(
        "LOG_RETENTION_DAYS",
        395,
        "conversations and log files older than this are purged (every day by the gateway, "
        "or by `logs purge`)",
    )
    log_dir: str = _setting(
        "LOG_DIR", str(VAR_DIR / "logs"), "the services' log files (rotated every day)"
    )
    web_session_rate: int = _setting(
        "WEB_SESSION_RATE", 20, "chat messages per minute allowed per conversation (0: no limit)"
    )
    web_ip_rate: int = _setting(
        "WEB_IP_RATE", 120, "chat messages per minute allowed per client IP (0: no limit)"
    )
    redis_key_prefix: str = _setting(
        "REDIS_KEY_PREFIX",
        "boussole",
        "prefix of every key Boussole writes to Redis (letters and digits), so that several "
        "deployments can share one Redis",
    )
    trusted_proxies: str = _setting(
        "TRUSTED_PROXIES",
        "",
        "reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For "
        "gives the client's address (empty: none, the header is ignored)",
    )
    totem_idle_seconds: int = _setting(
        "TOTEM_IDLE_SECONDS", 120, "the totem forgets its conversation after this many idle seconds"
    )
    demo_partner: str = _setting("DEMO_PARTNER", "rouen_info_jeunes", "partner shown by /demo")

    def __post_init__(self) -> None:
        # Rasa's lock store silently ignores a prefix that is not alphanumeric.
        if not self.redis_key_prefix.isalnum():
            raise ValueError(
                f"REDIS_KEY_PREFIX ne doit contenir que des lettres et des chiffres "
                f"(lu : {self.redis_key_prefix!r})."
            )

    @property
    def web_limit_prefix(self) -> str:
        """Prefix of the gateway's rate-limit keys in Redis."""
        return f"{self.redis_key_prefix}:limits:"

    @property
    def rasa_base_url(self) -> str:
        return self.rasa_url or f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return self.action_server_url or f"http://{self.host}:{self.action_port}/webhook"

    @property
    def action_health_url(self) -> str:
        """The action server's health route, beside its webhook."""
        base = self.action_url.rstrip("/")
        base = base[: -len("/webhook")] if base.endswith("/webhook") else base
        return f"{base}/health"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (default ``os.environ``), converting to each field's type."""
    env = os.environ if environ is None else environ
    values = {}
    for f in fields(Settings):
        raw = env.get(f.metadata["env"])
        if raw is None or raw == "":
            continue
        values[f.name] = int(raw) if isinstance(f.default, int) else raw
    return Settings(**values)


def as_environ(settings: Settings) -> dict[str, str]:
    """The environment variables that make :func:`load_settings` return ``settings`` again.

    The stack passes them to its child processes, so that settings changed in code (tests,
    replicas on other ports) reach every service.
    """
    environ = {}
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if value != "":
            environ[f.metadata["env"]] = str(value)
    return environ


def describe() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, for ``python -m bot settings``."""
    return [(f.metadata["env"], str(f.default), f.metadata["help"]) for f in fields(Settings)]
