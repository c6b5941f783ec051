"""Console accounts: argon2 password hashes, login throttling, server-side sessions, CSRF.

Throttling itself is :mod:`bot.console.throttle`; this module decides which keys an attempt counts
against (its address, and its account or its trusted browser).

The session cookie only carries a random token; the database keeps its SHA-256, the user and the
CSRF token, so logging out or deleting a user ends the session at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from bot import appdb
from bot.console import labels, throttle

SESSION_COOKIE = "boussole_console"
LOGIN_CSRF_COOKIE = "boussole_console_csrf"
SESSION_SECONDS = 8 * 3600
DEVICE_COOKIE = "boussole_console_device"
DEVICE_SECONDS = 90 * 86400
MIN_PASSWORD_LENGTH = 12
# Argon2 hashes any length, but a megabyte-long "password" is only a way to burn CPU.
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()
# Verifying against this when the e-mail is unknown keeps the answer time the same either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A refused account operation; the message is French and safe to show."""


@dataclass(frozen=True)
class User:
    """A console user as the pages see it (never the password hash)."""

    id: int
    email: str
    role: str
    partner_id: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_referent(self) -> bool:
        return self.role == "referent"

    @property
    def scope(self) -> str | None:
        """The only partner whose data this user may see (``None``: all of them)."""
        return self.partner_id if self.is_referent else None


def _user(row) -> User:
    return User(row.id, row.email, row.role, row.partner_id)


def add_user(
    engine: Engine, email: str, password: str, role: str, partner_id: str | None = None
) -> User:
    """Create an account; raises :class:`AccountError` when an input is refused."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise AccountError(f"Adresse e-mail invalide : {email!r}.")
    if role not in appdb.ROLES:
        raise AccountError(f"Rôle inconnu : {role!r} (admin, staff ou referent).")
    if role == "referent" and not partner_id:
        raise AccountError("Un compte référent doit être rattaché à un partenaire (--partner).")
    if role != "referent" and partner_id:
        raise AccountError("Seuls les comptes référents sont rattachés à un partenaire.")
    if partner_id and partner_id not in labels.partner_ids():
        raise AccountError(
            f"Partenaire inconnu : {partner_id!r}. Partenaires déclarés dans "
            f"knowledge/data/partners.yml : {', '.join(labels.partner_ids())}."
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."
        )
    with engine.begin() as conn:
        exists = conn.execute(
            sa.select(appdb.users.c.id).where(appdb.users.c.email == email)
        ).first()
        if exists:
            raise AccountError(f"Un compte existe déjà pour {email}.")
        new_id = conn.execute(
            appdb.users.insert().values(
                email=email,
                password_hash=_hasher.hash(password),
                role=role,
                partner_id=partner_id or None,
                created_at=time.time(),
            )
        ).inserted_primary_key[0]
    return User(new_id, email, role, partner_id or None)


def list_users(engine: Engine) -> list[User]:
    """Every account, by e-mail."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(appdb.users).order_by(appdb.users.c.email)).all()
    return [_user(r) for r in rows]


def _user_id(conn, email: str) -> int | None:
    return conn.execute(
        sa.select(appdb.users.c.id).where(appdb.users.c.email == email.strip().lower())
    ).scalar()


def remove_user(engine: Engine, email: str) -> bool:
    """Delete an account and its sessions; ``False`` when there was none."""
    with engine.begin() as conn:
        user_id = _user_id(conn, email)
        if user_id is None:
            return False
        conn.execute(appdb.sessions.delete().where(appdb.sessions.c.user_id == user_id))
        conn.execute(
            appdb.trusted_devices.delete().where(appdb.trusted_devices.c.user_id == user_id)
        )
        conn.execute(appdb.users.delete().where(appdb.users.c.id == user_id))
    return True


def set_password(engine: Engine, email: str, password: str) -> bool:
    """Change a password and end the user's sessions; ``False`` when the account is unknown."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."
        )
    with engine.begin() as conn:
        user_id = _user_id(conn, email)
        if user_id is None:
            return False
        conn.execute(
            appdb.users.update()
            .where(appdb.users.c.id == user_id)
            .values(password_hash=_hasher.hash(password))
        )
        conn.execute(appdb.sessions.delete().where(appdb.sessions.c.user_id == user_id))
    return True


def _device_owner(conn, device_token: str | None, now: float) -> str | None:
    """The e-mail of the account that trusted this browser, if its token is valid."""
    if not device_token or not isinstance(device_token, str) or len(device_token) > 100:
        return None
    d, u = appdb.trusted_devices, appdb.users
    return conn.execute(
        sa.select(u.c.email)
        .join(d, d.c.user_id == u.c.id)
        .where(d.c.token_hash == _hash_token(device_token), d.c.expires_at > now)
    ).scalar()


def throttle_keys(
    engine: Engine, email: str, ip: str, device_token: str | None = None, now: float | None = None
) -> dict[str, str]:
    """The throttling keys a login attempt counts against (see :mod:`bot.console.throttle`)."""
    now = time.time() if now is None else now
    with engine.connect() as conn:
        owner = _device_owner(conn, device_token, now)
    keys = {"ip": throttle.key("ip", ip)}
    if owner is not None and owner == email:
        keys["device"] = throttle.key("device", device_token or "")
    else:
        keys["account"] = throttle.key("account", email)
    return keys


def authenticate(
    engine: Engine, email: str, password: str, ip: str, device_token: str | None = None
) -> User | None:
    """Check a login; ``None`` when the password is wrong.

    Raises :class:`bot.console.throttle.Throttled` when too many attempts failed lately from
    this address or for this account (from a browser it never logged in from); the password is
    then not even checked.
    """
    email = email.strip().lower()[:254]
    password = password[:MAX_PASSWORD_LENGTH]
    keys = throttle_keys(engine, email, ip, device_token)
    throttle.charge(engine, keys)
    with engine.connect() as conn:
        row = conn.execute(sa.select(appdb.users).where(appdb.users.c.email == email)).first()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
        ok = row is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        return None
    throttle.succeeded(engine, keys)
    return _user(row)


def trust_device(engine: Engine, user: User, device_token: str | None) -> str:
    """Remember this browser for ``user`` (after a successful login); returns its token.

    A token the browser already holds for this user is kept, else a new one is made.
    """
    now = time.time()
    d = appdb.trusted_devices
    with engine.begin() as conn:
        conn.execute(d.delete().where(d.c.expires_at < now))
        if _device_owner(conn, device_token, now) == user.email:
            conn.execute(
                d.update()
                .where(d.c.token_hash == _hash_token(device_token or ""))
                .values(expires_at=now + DEVICE_SECONDS)
            )
            return device_token or ""
        token = secrets.token_urlsafe(32)
        conn.execute(
            d.insert().values(
                token_hash=_hash_token(token), user_id=user.id, expires_at=now + DEVICE_SECONDS
            )
        )
    return token


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(engine: Engine, user: User) -> tuple[str, str]:
    """Start a session; returns (cookie token, CSRF token)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = time.time()
    with engine.begin() as conn:
        conn.execute(appdb.sessions.delete().where(appdb.sessions.c.expires_at < now))
        conn.execute(
            appdb.sessions.insert().values(
                token_hash=_hash_token(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + SESSION_SECONDS,
            )
        )
    return token, csrf


def session_user(engine: Engine, token: str | None) -> tuple[User, str] | None:
    """The user and CSRF token of a live session, ``None`` when absent or expired."""
    if not token:
        return None
    s, u = appdb.sessions, appdb.users
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(u, s.c.csrf_token)
            .join(s, s.c.user_id == u.c.id)
            .where(s.c.token_hash == _hash_token(token), s.c.expires_at > time.time())
        ).first()
    return (_user(row), row.csrf_token) if row else None


def close_session(engine: Engine, token: str | None) -> None:
    """End a session (logout)."""
    if token:
        with engine.begin() as conn:
            conn.execute(
                appdb.sessions.delete().where(appdb.sessions.c.token_hash == _hash_token(token))
            )


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two CSRF tokens (both must be present)."""
    if not (isinstance(expected, str) and isinstance(given, str) and expected and given):
        return False
    return secrets.compare_digest(expected.encode(), given.encode())


def new_csrf_token() -> str:
    """A fresh random token (the login form's, before any session exists)."""
    return secrets.token_urlsafe(32)
