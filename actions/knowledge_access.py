"""The action server's single handle on the knowledge base.

Actions never open connections themselves: they ask :func:`knowledge_base` for the process-wide
:class:`knowledge.api.KnowledgeBase`, opened on first use (never at import time, so that
``rasa run actions`` starts even before ``python -m bot kb load`` has run), re-read within
``KNOWLEDGE_REFRESH_SECONDS`` of a new load, and tried again after a failure
(``knowledge/live.py``).
"""

from __future__ import annotations

import threading

from knowledge.api import KnowledgeBase
from knowledge.live import LiveKnowledge

_lock = threading.Lock()
_live: LiveKnowledge | None = None


def knowledge_base() -> KnowledgeBase:
    """Return the shared knowledge base, opening it from ``KNOWLEDGE_DB_URL`` on first use.

    Raises ``knowledge.live.KnowledgeBaseUnavailable`` while it cannot be opened.
    """
    global _live
    if _live is None:
        with _lock:
            if _live is None:
                _live = LiveKnowledge.from_url()
    return _live.current()


def use_knowledge_base(kb: KnowledgeBase | None) -> None:
    """Make the actions use ``kb`` as it is (tests, embedding); ``None`` reopens from settings
    next time."""
    global _live
    with _lock:
        _live = None if kb is None else LiveKnowledge.fixed(kb)
