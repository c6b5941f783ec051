"""A process's knowledge base, kept open and fresh: the one place that decides when to look.

The action server, the web gateway and the NLU's commune resolver each hold one
:class:`LiveKnowledge` and ask it for the base to answer from (:meth:`LiveKnowledge.current`).
On the way, and never more often than needed:

- it opens the base on first use; when it cannot (never loaded, database down), it logs an
  error, says so to the caller, and tries again after 1 s, 2 s, 4 s… up to the refresh
  interval, without ever giving up;
- every ``every`` seconds (``KNOWLEDGE_REFRESH_SECONDS``, 30 by default) it compares the version
  stamp ``kb load`` writes with the one it serves (one small query) and re-reads the base when
  it changed, so new content is served within that interval without a restart;
- when that check or the re-reading fails, it logs an error, keeps serving the snapshot it has,
  and tries again after the same growing waits.

The check runs in the caller's thread, at most once per interval: the callers that arrive while
it runs are served from the current snapshot without waiting. Time comes from ``clock``
(``time.monotonic`` by default), so that tests move it by hand.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

# First wait after a failure; it doubles at each failure in a row, up to the refresh interval.
RETRY_FIRST = 1.0


class KnowledgeBaseUnavailable(RuntimeError):
    """There is no knowledge base to answer from yet (the last error is its ``__cause__``)."""


class LiveKnowledge:
    """The knowledge base a process serves, opened on first use and re-read after a load.

    ``opener`` returns an open ``knowledge.api.KnowledgeBase``; ``every`` is the number of
    seconds between two checks of its version stamp (``0``: at every use; ``None``: never).
    """

    def __init__(
        self,
        opener: Callable[[], Any],
        every: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._opener = opener
        self._every = every
        self._clock = clock
        self._kb: Any = None
        self._owned = False  # opened here, so closed here
        self._due = -math.inf  # when the next opening or check may run
        self._failures = 0  # in a row
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_url(
        cls,
        url: str | None = None,
        every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> LiveKnowledge:
        """The base at ``url`` (default: ``KNOWLEDGE_DB_URL``), checked every ``every`` seconds
        (default: ``KNOWLEDGE_REFRESH_SECONDS``). Nothing is opened before the first use."""
        from knowledge.api import KnowledgeBase

        if every is None:
            from bot.settings import load_settings

            every = load_settings().knowledge_refresh_seconds
        return cls(lambda: KnowledgeBase.from_url(url), every, clock)

    @classmethod
    def fixed(cls, kb: Any) -> LiveKnowledge:
        """An already open base (or a stand-in with its methods), served as it is."""
        live = cls(lambda: kb, every=None)
        live._kb = kb
        return live

    @property
    def failures(self) -> int:
        """Failed openings or checks in a row (0 once one succeeds)."""
        return self._failures

    def current(self) -> Any:
        """The base to answer from, checked first when its interval has passed.

        Raises :class:`KnowledgeBaseUnavailable` while the base cannot be opened.
        """
        kb = self._kb
        if kb is None:
            with self._lock:  # the first callers wait for the opening, then share it
                if self._kb is None and self._clock() >= self._due:
                    self._attempt(self._open)
                kb = self._kb
            if kb is None:
                raise KnowledgeBaseUnavailable(
                    "La base de connaissances est indisponible : lancez `python -m bot kb load` "
                    "ou vérifiez KNOWLEDGE_DB_URL."
                ) from self._error
            return kb
        due = self._every is not None and self._clock() >= self._due
        # Non-blocking: while one caller checks, the others answer from the snapshot.
        if due and self._lock.acquire(blocking=False):
            try:
                if self._clock() >= self._due:
                    self._attempt(self._refresh)
            finally:
                self._lock.release()
        return self._kb

    def close(self) -> None:
        """Release the database connections of a base opened here."""
        if self._owned and self._kb is not None:
            self._kb.close()

    def _open(self) -> None:
        started = time.perf_counter()
        self._kb = self._opener()
        self._owned = True
        logger.info(
            "knowledge base opened (version %s) in %.0f ms",
            getattr(self._kb, "version", None),
            (time.perf_counter() - started) * 1000,
        )

    def _refresh(self) -> None:
        before = self._kb.version
        started = time.perf_counter()
        if self._kb.refresh_if_changed():
            logger.info(
                "knowledge base re-read after a load: version %s -> %s in %.0f ms",
                before,
                self._kb.version,
                (time.perf_counter() - started) * 1000,
            )

    def _attempt(self, action: Callable[[], None]) -> None:
        """Run ``action`` (opening or check); on failure, log and schedule the next try."""
        try:
            action()
        except Exception as exc:  # any driver or data error: serve what we have, try later
            self._failures += 1
            self._error = exc
            wait = min(RETRY_FIRST * 2 ** (self._failures - 1), max(self._every or 0, RETRY_FIRST))
            self._due = self._clock() + wait
            serving = "keeps serving the snapshot it has" if self._kb else "has nothing to serve"
            logger.error(
                "knowledge base unavailable (failure %d in a row: %s: %s); the process %s "
                "and tries again in %.0f s",
                self._failures,
                type(exc).__name__,
                exc,
                serving,
                wait,
                exc_info=self._failures == 1,  # the traceback once per outage
            )
            return
        if self._failures:
            logger.info("knowledge base back after %d failure(s)", self._failures)
        self._failures = 0
        self._error = None
        self._due = self._clock() + (self._every if self._every is not None else math.inf)
