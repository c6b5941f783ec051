"""Fixtures for the action tests: the real knowledge base, the real domain, tracker builders.

The knowledge base is loaded once per session from ``knowledge/data`` into a throw-away SQLite
file, so the actions run against the same content as in production. What the person sees is
rebuilt from the dispatcher's messages with the domain's responses (:func:`shown`).
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
from knowledge.api import KnowledgeBase
from knowledge.loader import load


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """The knowledge base of the repository, loaded into a temporary SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.sqlite3'}"
    load(url=url)
    base = KnowledgeBase.from_url(url)
    use_knowledge_base(base)
    yield base
    use_knowledge_base(None)
    base.close()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The merged domain of ``domain/``, as the action server receives it."""
    return Domain.load(str(Path(PROJECT_ROOT) / "domain")).as_dict()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
