"""Rate limits in memory and in the machine's Redis (127.0.0.1:6379), and the client's address
behind reverse proxies. Every Redis test counts under its own key prefix and removes it."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
import redis.asyncio
from web_support import SESSION, post_chat

from bot.stack import free_port
from bot.web.limits import MemoryRateLimits, RedisRateLimits
from bot.web.proxies import client_address, parse_networks

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def redis_prefix():
    """A key prefix of this test alone; its keys are deleted afterwards."""
    prefix = f"test:boussole:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.asyncio.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.close()


@pytest.fixture
async def redis_client():
    client = redis.asyncio.from_url(REDIS_URL)
    yield client
    await client.close()


@pytest.fixture(params=["memory", "redis"])
async def make_limits(request, redis_prefix):
    """Factory of rate limits of either kind (the same behaviour is expected from both)."""
    clients = []

    def make(window: float = 60.0, **limits: int):
        if request.param == "memory":
            return MemoryRateLimits(limits, window)
        client = redis.asyncio.from_url(REDIS_URL)
        clients.append(client)
        return RedisRateLimits(client, limits, window, prefix=redis_prefix)

    yield make
    for client in clients:
        await client.close()


async def test_limit_refuses_beyond_the_limit_per_key(make_limits):
    limits = make_limits(session=3)
    assert [await limits.hit(session="a") for _ in range(3)] == [0, 0, 0]
    wait = await limits.hit(session="a")
    assert 59 < wait <= 60
    assert await limits.hit(session="b") == 0


async def test_window_slides(make_limits):
    limits = make_limits(window=1.0, session=2)
    assert await limits.hit(session="a") == 0
    await asyncio.sleep(0.5)
    assert await limits.hit(session="a") == 0
    assert 0 < await limits.hit(session="a") <= 0.51  # the first event leaves the window first
    await asyncio.sleep(0.6)
    assert await limits.hit(session="a") == 0  # the first one is out, the second still counts
    assert await limits.hit(session="a") > 0


async def test_refused_events_are_not_counted(make_limits):
    limits = make_limits(window=1.0, session=1)
    assert await limits.hit(session="a") == 0
    await asyncio.sleep(0.6)
    assert await limits.hit(session="a") > 0  # refused: had it counted, it would last until 1.6 s
    await asyncio.sleep(0.5)
    assert await limits.hit(session="a") == 0


async def test_every_limit_applies_and_a_refused_event_counts_nowhere(make_limits):
    limits = make_limits(ip=3, session=2)
    assert await limits.hit(ip="192.0.2.1", session="s1") == 0
    assert await limits.hit(ip="192.0.2.1", session="s1") == 0
    assert await limits.hit(ip="192.0.2.1", session="s1") > 0  # the session's limit
    assert await limits.hit(ip="192.0.2.1", session="s2") == 0  # 3rd for the IP: not the refused
    assert await limits.hit(ip="192.0.2.1", session="s3") > 0  # the IP's limit
    assert await limits.hit(ip="192.0.2.2", session="s3") == 0
    assert await limits.hit(ip="192.0.2.1") > 0  # a check of the IP alone


async def test_zero_disables_a_limit(make_limits):
    limits = make_limits(ip=0, session=2)
    assert [await limits.hit(ip="192.0.2.1", session=f"s{n}") for n in range(50)] == [0] * 50
    assert [await limits.hit(ip="192.0.2.1", session="s") for _ in range(3)][-1] > 0


async def test_memory_limits_forget_old_keys_beyond_their_bound():
    limits = MemoryRateLimits({"session": 1}, max_keys=3)
    for key in "abcd":
        await limits.hit(session=key)
    assert await limits.hit(session="a") == 0  # "a" was forgotten, so it starts afresh
    assert await limits.hit(session="d") > 0


async def test_replicas_share_their_counts_in_redis(redis_prefix):
    # Two gateway processes: each its own connection, one limit between them.
    first, second = redis.asyncio.from_url(REDIS_URL), redis.asyncio.from_url(REDIS_URL)
    try:
        replicas = [RedisRateLimits(c, {"ip": 4}, prefix=redis_prefix) for c in (first, second)]
        waits = [await replicas[n % 2].hit(ip="203.0.113.5") for n in range(6)]
        assert waits[:4] == [0, 0, 0, 0]
        assert all(w > 0 for w in waits[4:])
    finally:
        await first.close()
        await second.close()


async def test_concurrent_hits_never_exceed_the_limit(redis_prefix, redis_client):
    limits = RedisRateLimits(redis_client, {"session": 10}, prefix=redis_prefix)
    waits = await asyncio.gather(*(limits.hit(session="s") for _ in range(40)))
    assert sum(1 for w in waits if w == 0) == 10


async def test_redis_down_lets_messages_through_and_says_so_once(caplog):
    client = redis.asyncio.from_url(f"redis://127.0.0.1:{free_port()}/0")
    limits = RedisRateLimits(client, {"session": 1}, prefix="test:boussole:down:")
    with caplog.at_level(logging.WARNING, logger="bot.web.limits"):
        assert [await limits.hit(session="a") for _ in range(3)] == [0, 0, 0]
    await client.close()
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.web.limits"]
    assert len(warnings) == 1
    assert warnings[0].startswith("rate limits not applied, Redis unreachable")


async def test_gateway_counts_in_redis_when_redis_url_is_set(fake_rasa, make_gateway, redis_client):
    key_prefix = f"test{uuid.uuid4().hex}"  # REDIS_KEY_PREFIX: letters and digits only
    settings = {"redis_url": REDIS_URL, "redis_key_prefix": key_prefix}
    # Two gateway replicas in front of the same Rasa, sharing one per-session limit.
    replicas = [await make_gateway(fake_rasa.port, web_session_rate=3, **settings) for _ in "ab"]
    statuses = [
        (await post_chat(replicas[n % 2], {"session_id": SESSION, "text": "a"})).status
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    key = f"{key_prefix}:limits:session:{SESSION}"
    assert await redis_client.exists(key)
    await redis_client.delete(key)


async def test_gateway_counts_in_memory_without_redis_url(fake_rasa, make_gateway):
    replicas = [await make_gateway(fake_rasa.port, web_session_rate=3) for _ in "ab"]
    statuses = [
        (await post_chat(replicas[n % 2], {"session_id": SESSION, "text": "a"})).status
        for n in range(5)
    ]
    assert statuses == [200] * 5  # each process counts alone


# Behind a proxy: the peer is the proxy, the client is in X-Forwarded-For.
PROXY = "10.0.0.2"
CLIENT = "198.51.100.7"


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded_for", "expected"),
    [
        ("", PROXY, CLIENT, PROXY),  # no proxy declared: the header is ignored
        ("10.0.0.0/8", PROXY, None, PROXY),
        ("10.0.0.0/8", PROXY, CLIENT, CLIENT),
        ("10.0.0.0/8", CLIENT, "192.0.2.9", CLIENT),  # a client cannot forward for another
        ("10.0.0.0/8", PROXY, f"192.0.2.9, {CLIENT}", CLIENT),  # spoofed entry left of the real
        ("10.0.0.0/8, 127.0.0.1", "127.0.0.1", f"{CLIENT}, 10.0.0.5", CLIENT),  # two proxies
        ("10.0.0.0/8", PROXY, "10.0.0.9, 10.0.0.5", "10.0.0.9"),  # only proxies: the farthest
        ("10.0.0.0/8", PROXY, f"{CLIENT}, n'importe quoi", PROXY),  # garbage: trust no further
        ("2001:db8::/32", "2001:db8::1", "2001:db8:ffff::1, 2a01:e0a::42", "2a01:e0a::42"),
    ],
)
def test_client_address(trusted, remote, forwarded_for, expected):
    assert client_address(remote, forwarded_for, parse_networks(trusted)) == expected


def test_malformed_trusted_proxies_setting_is_named():
    with pytest.raises(ValueError, match=r"TRUSTED_PROXIES: 'proxy\.local'"):
        parse_networks("10.0.0.1, proxy.local")


async def test_per_ip_limit_follows_the_forwarded_client_only_from_trusted_proxies(
    fake_rasa, make_gateway
):
    async def statuses(client, addresses):
        return [
            (
                await client.post(
                    "/api/chat?partner=partenaire_test",
                    json={"session_id": f"session-{n:04d}", "text": "a"},
                    headers={"X-Forwarded-For": address},
                )
            ).status
            for n, address in enumerate(addresses)
        ]

    limits = {"web_ip_rate": 2, "web_session_rate": 0}
    # The test client connects from 127.0.0.1: as a declared proxy, each client has its limit.
    behind_proxy = await make_gateway(fake_rasa.port, trusted_proxies="127.0.0.1", **limits)
    assert await statuses(behind_proxy, [CLIENT, CLIENT, CLIENT, "192.0.2.9"]) == [
        200,
        200,
        429,
        200,
    ]
    # Not declared: changing the header does not escape the limit of the real peer.
    direct = await make_gateway(fake_rasa.port, **limits)
    assert await statuses(direct, ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) == [200, 200, 429]
