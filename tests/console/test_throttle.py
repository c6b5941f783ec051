"""Login throttling: parallel guesses, progressive delays, owner never locked out, bounded audit.

The counting is checked on SQLite and on a real PostgreSQL (the production database), with
guesses sent from parallel threads; the behaviour a person sees is checked through the login form.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from bot import appdb
from bot.console import auth, throttle
from tests.console.conftest import PASSWORD, csrf_of, make_accounts

ATTACKER_1 = "198.51.100.7"
ATTACKER_2 = "203.0.113.9"
OWNER = "192.0.2.10"


@pytest.fixture
def cheap_hashing(monkeypatch):
    """Argon2 with minimal cost: these tests count attempts, not hashing strength (the hash
    records its own parameters, so verifying is cheap too)."""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", cheap)
    monkeypatch.setattr(auth, "_DUMMY_HASH", cheap.hash("dummy password"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path, make_postgres_database, cheap_hashing):
    """An app database with the three test accounts, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    else:
        url = make_postgres_database("throttle")
    make_accounts(url)
    engine = appdb.get_engine(url)
    yield engine
    engine.dispose()


def _guess(engine, email: str, ip: str, device: str | None = None) -> str:
    try:
        user = auth.authenticate(engine, email, "not the password", ip, device)
    except throttle.Throttled:
        return "throttled"
    return "checked" if user is None else "in"


def test_parallel_guesses_cannot_pass_the_limit(engine):
    # 40 guesses at once on one account from 40 addresses: only the account's free tries are
    # checked, whatever the interleaving (the old check-then-write let most of them through).
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(
            pool.map(lambda i: _guess(engine, "admin@aom.fr", f"198.51.100.{i}"), range(40))
        )
    assert outcomes.count("checked") == throttle.FREE["account"]
    assert outcomes.count("throttled") == 40 - throttle.FREE["account"]


def test_parallel_guesses_from_one_address_cannot_pass_its_limit(engine):
    emails = [f"inconnu{i}@exemple.fr" for i in range(30)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda e: _guess(engine, e, ATTACKER_1), emails))
    assert outcomes.count("checked") == throttle.FREE["ip"]


def test_delays_grow_then_are_forgotten(engine):
    keys = {"account": throttle.key("account", "x@aom.fr")}
    now = 1_000_000.0
    for _ in range(throttle.FREE["account"]):
        throttle.charge(engine, keys, now)
    waits = []
    for _ in range(5):
        with pytest.raises(throttle.Throttled) as refused:
            throttle.charge(engine, keys, now)
        waits.append(refused.value.wait)
        now += refused.value.wait  # the guesser waits exactly as long as told, then fails again
        throttle.charge(engine, keys, now)
    assert waits == [15.0, 30.0, 60.0, 120.0, 240.0]
    # Long enough without a failure, the key starts afresh.
    now += throttle.WINDOW + 1
    for _ in range(throttle.FREE["account"]):
        throttle.charge(engine, keys, now)
    assert throttle.delay_after(40, 5) == throttle.MAX_DELAY


def test_guesser_cannot_lock_the_owner_out_of_a_known_browser(engine):
    # The owner logged in once from this browser: it holds a device token.
    owner = auth.authenticate(engine, "admin@aom.fr", PASSWORD, OWNER)
    device = auth.trust_device(engine, owner, None)
    # Someone hammers the account from two other addresses until it is throttled.
    outcomes = [_guess(engine, "admin@aom.fr", ip) for ip in (ATTACKER_1, ATTACKER_2) * 10]
    assert outcomes.count("throttled") >= 10
    # A new browser is throttled too (the guesser's own tries look like that)…
    with pytest.raises(throttle.Throttled):
        auth.authenticate(engine, "admin@aom.fr", PASSWORD, OWNER)
    # …but the owner's usual browser is not.
    assert auth.authenticate(engine, "admin@aom.fr", PASSWORD, OWNER, device) == owner
    # A stolen device token of another account gives no free pass on this one.
    assert _guess(engine, "staff@aom.fr", ATTACKER_1, device) == "checked"


def test_success_resets_the_account_and_refunds_the_address(engine):
    for _ in range(throttle.FREE["account"] - 1):
        assert _guess(engine, "staff@aom.fr", OWNER) == "checked"
    assert auth.authenticate(engine, "staff@aom.fr", PASSWORD, OWNER) is not None
    # The typos before the success are forgotten: five more tries are allowed.
    for _ in range(throttle.FREE["account"]):
        assert _guess(engine, "staff@aom.fr", OWNER) == "checked"


def test_the_table_keeps_no_address_or_email_in_clear(engine):
    _guess(engine, "admin@aom.fr", ATTACKER_1)
    with engine.connect() as conn:
        keys = conn.execute(sa.select(appdb.login_throttle.c.key)).scalars().all()
    assert len(keys) == 2
    assert not any(ATTACKER_1 in k or "admin" in k for k in keys)


# --- through the login form ---------------------------------------------------------------------


async def _login_from(client, ip: str, email: str, password: str):
    page = await client.get("/console/login")
    token = csrf_of(await page.text())
    return await client.post(
        "/console/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers={"X-Forwarded-For": ip},
        allow_redirects=False,
    )


async def test_two_attackers_and_the_owner_through_the_form(aiohttp_client, make_console_app):
    from tests.console.conftest import soup

    client = await aiohttp_client(make_console_app(trusted_proxies="127.0.0.1"))
    owner = await _login_from(client, OWNER, "admin@aom.fr", PASSWORD)
    assert owner.status == 302
    device = client.session.cookie_jar.filter_cookies(client.make_url("/console"))
    assert auth.DEVICE_COOKIE in device
    await client.post(
        "/console/logout",
        data={"csrf_token": csrf_of(await (await client.get("/console/conversations")).text())},
    )
    # Attackers, without the owner's cookies.
    attacker = await aiohttp_client(make_console_app(trusted_proxies="127.0.0.1"))
    statuses = []
    for ip in (ATTACKER_1, ATTACKER_2) * 30:
        statuses.append(
            (await _login_from(attacker, ip, "admin@aom.fr", "mauvais mot de passe")).status
        )
    assert statuses.count(401) == throttle.FREE["account"]
    assert statuses.count(429) == 60 - throttle.FREE["account"]
    refused = await _login_from(attacker, ATTACKER_1, "admin@aom.fr", PASSWORD)
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert (
        "Trop de tentatives de connexion. Réessayez dans" in soup(await refused.text()).get_text()
    )
    # The owner, from the browser they used before, logs in at once.
    back = await _login_from(client, OWNER, "admin@aom.fr", PASSWORD)
    assert back.status == 302
    # The audit log has one line per throttling episode, not one per refused try.
    audit = await client.get("/console/audit")
    text = await audit.text()
    assert text.count("login_throttled") <= 2
    assert text.count("login_failed") == throttle.FREE["account"]
