"""Login throttling: per address and per account, with progressive delays, counted atomically.

Every login attempt is charged as a failure *before* the password is checked, in one conditional
``UPDATE`` per key (``… WHERE the key may try now``): two guesses sent in parallel cannot both
read "not throttled yet" and both go through, since the database serialises the updates of a row.
A successful login gives the charge back.

The keys an attempt is charged to:
- its client address (``ip``): many accounts guessed from one place;
- the account (``account``), unless the browser is one where this account logged in before
  (``device``: a random token in a cookie, its hash in ``console_devices``). A guesser elsewhere
  then slows down the account for unknown browsers only, never for its owner's usual browser,
  whose own failures are counted under its device key.

After ``FREE`` failures a key must wait 15 s, then 30 s, 1 min, 2 min… up to ``MAX_DELAY`` between
attempts;
``WINDOW`` seconds without a failure and it is forgotten. Keys are SHA-256 hashes: the table holds
no address or e-mail in clear, and rows are deleted once forgotten.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot import appdb

FREE = {"ip": 10, "account": 5, "device": 5}
FIRST_DELAY = 15.0
MAX_DELAY = 15 * 60
WINDOW = 60 * 60  # longer than MAX_DELAY, or a patient guesser would never be remembered
# 15 s, 30 s … 480 s, then MAX_DELAY.
_STEPS = 6

_t = appdb.login_throttle
_KIND_LABELS = {"ip": "adresse", "account": "compte", "device": "navigateur connu"}


def delay_after(failures: int, free: int) -> float:
    """Seconds to wait after the ``failures``-th failure of a key allowed ``free`` ones."""
    if failures < free:
        return 0.0
    return float(min(FIRST_DELAY * 2 ** (failures - free), MAX_DELAY))


def key(kind: str, value: str) -> str:
    """The stored key of an address, an e-mail or a device token (``kind:sha256``)."""
    return f"{kind}:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()}"


@dataclass(frozen=True)
class Throttled(Exception):
    """An attempt refused without checking the password: ``wait`` seconds until the next one."""

    wait: float
    kinds: tuple[str, ...]
    first: bool  # the first refusal of this throttling episode (then audited)

    def describe(self) -> str:
        """The keys that refused, in French, for the audit log."""
        return ", ".join(_KIND_LABELS[k] for k in self.kinds)


def _charge_one(conn: Connection, k: str, free: int, now: float) -> bool:
    forgotten = _t.c.last_failure < now - WINDOW
    failures = sa.case((forgotten, 1), else_=_t.c.failures + 1)
    steps = [(failures < free, now)]
    steps += [(failures == free + i, now + delay_after(free + i, free)) for i in range(_STEPS)]
    result = conn.execute(
        _t.update()
        .where(_t.c.key == k, sa.or_(forgotten, _t.c.blocked_until <= now))
        .values(
            failures=failures,
            last_failure=now,
            blocked_until=sa.case(*steps, else_=now + MAX_DELAY),
            reported=False,
        )
    )
    return result.rowcount == 1


def charge(engine: Engine, keys: dict[str, str], now: float | None = None) -> None:
    """Count one failed attempt under each key (``{kind: key}``), or none of them.

    Raises :class:`Throttled` when one key must still wait; nothing is then counted.
    """
    now = time.time() if now is None else now
    refused: list[str] = []
    try:
        with engine.begin() as conn:
            conn.execute(
                _t.delete().where(_t.c.last_failure < now - WINDOW, _t.c.blocked_until < now)
            )
            for k in keys.values():
                appdb.insert_missing(
                    conn, _t, key=k, failures=0, last_failure=0.0, blocked_until=0.0, reported=False
                )
            for kind, k in keys.items():
                if not _charge_one(conn, k, FREE[kind], now):
                    refused.append(kind)
            if refused:
                raise _Refused()
    except _Refused:
        pass
    if not refused:
        return
    with engine.begin() as conn:
        refusing = [keys[kind] for kind in refused]
        wait = conn.execute(
            sa.select(sa.func.max(_t.c.blocked_until)).where(_t.c.key.in_(refusing))
        ).scalar()
        # Only the first refusal of an episode goes to the audit log: a flood of refused tries
        # costs the attacker nothing, it must not cost the database a row each.
        first = (
            conn.execute(
                _t.update()
                .where(_t.c.key.in_(refusing), _t.c.reported.is_(False))
                .values(reported=True)
            ).rowcount
            > 0
        )
    raise Throttled(max((wait or now) - now, 1.0), tuple(refused), first)


class _Refused(Exception):
    """Rolls back the charges already made in the transaction."""


def succeeded(engine: Engine, keys: dict[str, str]) -> None:
    """A correct password: forget the account's or device's failures, give the address its
    charge back."""
    with engine.begin() as conn:
        personal = [k for kind, k in keys.items() if kind != "ip"]
        if personal:
            conn.execute(_t.delete().where(_t.c.key.in_(personal)))
        if "ip" in keys:
            conn.execute(
                _t.update()
                .where(_t.c.key == keys["ip"], _t.c.failures > 0)
                .values(failures=_t.c.failures - 1)
            )


def french_wait(seconds: float) -> str:
    """« 8 secondes », « 4 minutes »: how long to wait, rounded up."""
    if seconds < 60:
        n = max(1, int(-(-seconds // 1)))
        return f"{n} seconde{'s' if n > 1 else ''}"
    n = int(-(-seconds // 60))
    return f"{n} minute{'s' if n > 1 else ''}"
