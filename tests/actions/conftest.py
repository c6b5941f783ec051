"""Fixtures for the action tests: the real knowledge base, the real domain, tracker builders.

The knowledge base is ``knowledge/data`` loaded once per session into a throw-away SQLite file
(``knowledge_db_url``), so the actions run against the same content as in production. What the
person sees is rebuilt from the dispatcher's messages with the domain's responses
(``action_helpers.shown``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge_access import use_knowledge_base
from bot.settings import PROJECT_ROOT
from bot.training import sync_safety_domain
from knowledge.api import KnowledgeBase


@pytest.fixture(scope="session")
def kb(knowledge_db_url: str) -> Iterator[KnowledgeBase]:
    """The knowledge base of the repository (loaded by the shared fixture), used by the actions."""
    base = KnowledgeBase.from_url(knowledge_db_url)
    use_knowledge_base(base)
    yield base
    use_knowledge_base(None)
    base.close()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The merged domain of ``domain/``, as the action server receives it."""
    sync_safety_domain()  # its safety responses are written from contacts.yml
    return Domain.load(str(Path(PROJECT_ROOT) / "domain")).as_dict()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
