"""Boussole's Redis lock store: leases that a dead replica lets lapse, atomic tickets.

On this machine's Redis (127.0.0.1:6379), each test under its own key prefix.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
import redis
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import LeasedRedisLockStore
from bot.stack import lock_store_config


@pytest.fixture
def prefix() -> str:
    name = f"locktest{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis(host="127.0.0.1", port=6379, db=0)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def store(prefix: str, lease: float) -> LeasedRedisLockStore:
    config = lock_store_config("redis://127.0.0.1:6379/0", prefix)
    return LockStore.create(EndpointConfig(**config, lease_seconds=lease))


def test_rasa_builds_the_leased_store_from_the_endpoints_file(prefix):
    built = store(prefix, 0.5)
    assert isinstance(built, LeasedRedisLockStore)
    assert built.lease_seconds == 0.5
    assert built.key_prefix == f"{prefix}:lock:"


def test_a_dead_replicas_ticket_lapses_within_its_lease(prefix):
    # A replica took the conversation's ticket and died: nobody renews it.
    dead = store(prefix, 0.5)
    dead.issue_ticket("conv-1")
    alive = store(prefix, 0.5)

    async def next_turn() -> float:
        started = time.monotonic()
        async with alive.lock("conv-1", wait_time_in_seconds=0.05):
            return time.monotonic() - started

    waited = asyncio.run(asyncio.wait_for(next_turn(), timeout=20))
    # Rasa's own store would have kept the dead ticket 60 s.
    assert 0.3 <= waited < 20
    assert alive.get_lock("conv-1") is None  # released and deleted


def test_a_live_holder_keeps_its_turn_longer_than_the_lease(prefix):
    first, second = store(prefix, 0.3), store(prefix, 0.3)
    order: list[str] = []

    async def long_turn() -> None:
        async with first.lock("conv-2", wait_time_in_seconds=0.05):
            order.append("first in")
            await asyncio.sleep(1.5)  # five leases
            order.append("first out")

    async def next_turn() -> None:
        await asyncio.sleep(0.1)
        async with second.lock("conv-2", wait_time_in_seconds=0.05):
            order.append("second in")

    async def both() -> None:
        await asyncio.gather(long_turn(), next_turn())

    asyncio.run(asyncio.wait_for(both(), timeout=30))
    assert order == ["first in", "first out", "second in"]


def test_tickets_issued_at_once_by_several_replicas_are_all_distinct(prefix):
    # Rasa's store reads the lock, adds a ticket and writes it back: two replicas at the same
    # moment could get the same number and serve the same conversation at once.
    replicas = [store(prefix, 30) for _ in range(8)]
    numbers: list[int] = []
    start = threading.Barrier(len(replicas))

    def take(replica: LeasedRedisLockStore) -> None:
        start.wait()
        for _ in range(10):
            numbers.append(replica.issue_ticket("conv-3"))

    threads = [threading.Thread(target=take, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(80))
    lock = replicas[0].get_lock("conv-3")
    assert [t.number for t in lock.tickets] == list(range(80))


def test_the_last_ticket_out_deletes_the_lock_and_a_left_lock_expires(prefix):
    held = store(prefix, 0.5)
    number = held.issue_ticket("conv-4")
    client = redis.Redis(host="127.0.0.1", port=6379, db=0)
    ttl = client.ttl(f"{prefix}:lock:conv-4")
    assert 0 < ttl <= 2  # four leases, rounded: gone from Redis even if nobody cleans up
    held.cleanup("conv-4", number)
    assert not client.exists(f"{prefix}:lock:conv-4")
