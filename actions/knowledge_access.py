"""The action server's single handle on the knowledge base.

Actions never open connections themselves: they ask :func:`knowledge_base` for the process-wide
:class:`knowledge.api.KnowledgeBase`, opened on first use (never at import time, so that
``rasa run actions`` starts even before ``python -m bot kb load`` has run).
"""

from __future__ import annotations

import threading

from knowledge.api import KnowledgeBase

_lock = threading.Lock()
_kb: KnowledgeBase | None = None


def knowledge_base() -> KnowledgeBase:
    """Return the shared knowledge base, opening it from ``KNOWLEDGE_DB_URL`` on first use."""
    global _kb
    if _kb is None:
        with _lock:
            if _kb is None:
                _kb = KnowledgeBase.from_url()
    return _kb


def use_knowledge_base(kb: KnowledgeBase | None) -> None:
    """Make the actions use ``kb`` (tests, embedding); ``None`` reopens from settings next time."""
    global _kb
    with _lock:
        _kb = kb
