"""Rasa's Redis lock store with leases, named by module path in the endpoints file.

Several Rasa replicas keep each conversation's turns in order with ticket locks in Redis (Rasa's
``RedisLockStore``): a turn takes a ticket and waits until every earlier ticket is served or has
expired. Rasa gives every ticket a fixed lifetime (``TICKET_LOCK_LIFETIME``, 60 s by default), so
when a replica dies in the middle of a turn, the next message of that conversation waits up to a
minute, longer than the gateway waits for an answer: the person gets an apology, and again for
the message after.

:class:`LeasedRedisLockStore` gives a ticket a short lease instead (``lease_seconds``, 10 s by
default) that its holder renews every ``lease_seconds / 5`` while it waits or is served. A live
replica keeps its tickets however long a turn takes; the tickets of a dead one lapse within the
lease. Every change of a lock is also atomic (Redis ``WATCH``/``MULTI``): Rasa reads a lock,
changes it and writes it back, so two replicas issuing a ticket for the same conversation at the
same moment could both get the same number. A lock left behind by a dead replica expires from
Redis by itself.

Tickets compare expiry times of the replicas' clocks: keep the hosts' clocks synchronised (NTP),
as any Kubernetes node is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 10.0
T = TypeVar("T")


class LeasedRedisLockStore(RedisLockStore):
    """Redis ticket locks whose tickets are leases renewed by their live holder."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        **kwargs: Any,
    ) -> None:
        # Rasa builds a lock store named by module path with ``endpoint_config`` only; the
        # endpoint's ``url`` is the Redis host, as for Rasa's own ``type: redis``.
        if endpoint_config is not None:
            options = dict(endpoint_config.kwargs)
            lease_seconds = float(options.pop("lease_seconds", lease_seconds))
            kwargs = {"host": endpoint_config.url or "localhost", **options, **kwargs}
        super().__init__(**kwargs)
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.lease_seconds = lease_seconds

    # -- every change of a lock is one Redis transaction ------------------------------------

    def _change(
        self, conversation_id: str, change: Callable[[TicketLock | None], tuple[TicketLock, T]]
    ) -> T:
        """Apply ``change`` to the stored lock atomically; returns what ``change`` returns.

        ``change`` gets the stored lock (None when there is none) and returns the lock to store
        (deleted when it holds no ticket) and a result. It runs again if another replica changed
        the lock meanwhile.
        """
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    lock, result = change(lock)
                    lock.remove_expired_tickets()
                    pipe.multi()
                    if lock.tickets:
                        # A lock left by a dead replica does not stay in Redis for ever.
                        expiry = max(1, round(4 * self.lease_seconds))
                        pipe.set(key, lock.dumps(), ex=expiry)
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float | None = None) -> int:
        """A new ticket with a lease of ``lease_seconds`` (Rasa's lifetime is not used)."""

        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(self.lease_seconds)

        try:
            return self._change(conversation_id, issue)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def renew(self, conversation_id: str, ticket_number: int) -> bool:
        """Extend the lease of ``ticket_number``; False when it has already lapsed."""

        def extend(lock: TicketLock | None) -> tuple[TicketLock, bool]:
            lock = lock or self.create_lock(conversation_id)
            for ticket in lock.tickets:
                if ticket.number == ticket_number and not ticket.has_expired():
                    ticket.expires = time.time() + self.lease_seconds
                    return lock, True
            return lock, False

        return self._change(conversation_id, extend)

    def update_lock(self, conversation_id: str) -> None:
        """Drop the lapsed tickets of the conversation's lock."""
        self._change(conversation_id, lambda lock: (lock or self.create_lock(conversation_id), 0))

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove ``ticket_number``; the lock goes when no ticket is left."""

        def finish(lock: TicketLock | None) -> tuple[TicketLock, None]:
            lock = lock or self.create_lock(conversation_id)
            lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Same as :meth:`finish_serving`: an empty lock is deleted in the same transaction."""
        self.finish_serving(conversation_id, ticket_number)

    # -- the lease is renewed while its holder lives ------------------------------------------

    async def _keep_alive(self, conversation_id: str, ticket_number: int) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 5)
            try:
                kept = await asyncio.to_thread(self.renew, conversation_id, ticket_number)
            except redis.RedisError as error:
                logger.warning("Lock of conversation %s not renewed: %s", conversation_id, error)
                continue
            if not kept:
                logger.warning(
                    "Lock of conversation %s lapsed during a turn (event loop blocked longer "
                    "than %.0f s?)",
                    conversation_id,
                    self.lease_seconds,
                )
                return

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float | None = None,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ticket lock, its ticket renewed from issue to release."""
        ticket = self.issue_ticket(conversation_id)
        keeper = asyncio.create_task(self._keep_alive(conversation_id, ticket))
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            keeper.cancel()
            self.cleanup(conversation_id, ticket)
