"""Console fixtures: real Rasa tracker stores (written by Rasa itself) and a logged-in client."""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp import web
from bs4 import BeautifulSoup

from bot import appdb
from bot.console import auth, setup_console
from bot.console.indexer import PARIS
from bot.console.sample import Turn, build_tracker, open_store, save_conversations
from bot.settings import PROJECT_ROOT, load_settings

PASSWORD = "correct horse battery staple"
PARTNER = "rouen_info_jeunes"
OTHER_PARTNER = "caen-ij"
# The console's clock in every test: the sample conversations are dated from it, and the pages
# are asked for « today » by it, so no test depends on the day it runs.
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=PARIS).timestamp()
TODAY = datetime.fromtimestamp(NOW, PARIS).date()
DAY = 86400.0

ROUEN = {"entity": "commune", "value": "76540", "start": 10, "end": 15}
CAEN = {"entity": "commune", "value": "14118", "start": 10, "end": 14}


def sample_trackers():
    """Hand-written conversations covering every filter of the console."""
    return [
        build_tracker(
            "conv-rouen",
            [
                Turn(
                    "bonjour",
                    "greet",
                    0.98,
                    action="utter_greet",
                    bot_text="Salut ! Je suis Boussole.",
                ),
                Turn("j'habite Rouen", "inform", 0.91, (ROUEN,), slots={"commune": "76540"}),
                Turn("je cherche une formation en cuisine", "ask_training", 0.88),
            ],
            start=NOW - 2 * DAY,
            partner=PARTNER,
        ),
        build_tracker(
            "conv-script",
            [Turn("<script>alert('x')</script> c koi le cej", "ask_scheme_info", 0.41)],
            start=NOW - 1 * DAY,
            partner=PARTNER,
        ),
        build_tracker(
            "conv-caen",
            [
                Turn("j'habite Caen", "inform", 0.93, (CAEN,), slots={"commune": "14118"}),
                Turn("kesako le truc", "nlu_fallback", 0.3, action="action_default_fallback"),
                Turn("Kesako, le TRUC ?", "nlu_fallback", 0.32, action="action_default_fallback"),
                Turn("je veux parler à quelqu'un", "request_human", 0.95),
            ],
            start=NOW - 3 * DAY,
            partner=OTHER_PARTNER,
        ),
        build_tracker(
            "conv-distress",
            [Turn("je me sens tres mal", "distress", 0.97, action="utter_distress")],
            start=NOW - 0.5 * DAY,
            partner=OTHER_PARTNER,
        ),
        build_tracker(
            "conv-old",
            [Turn("salut", "greet", 0.99)],
            start=NOW - 500 * DAY,
            partner=PARTNER,
        ),
    ]


def write_sample(url: str) -> None:
    """Write the sample conversations with Rasa's SQLTrackerStore to ``url``."""
    store = open_store(url)
    asyncio.run(save_conversations(store, sample_trackers()))
    store.engine.dispose()


@pytest.fixture(scope="session")
def sample_tracker_file(tmp_path_factory) -> Path:
    """A SQLite tracker store holding the sample conversations (written once per session)."""
    path = tmp_path_factory.mktemp("tracker") / "tracker.sqlite3"
    write_sample(f"sqlite:///{path}")
    return path


def private_copy(database: Path, folder: Path) -> str:
    """URL of a copy of a session-wide SQLite file, that one test may change freely."""
    copy = folder / database.name
    shutil.copy(database, copy)
    return f"sqlite:///{copy}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_urls(request, tmp_path) -> tuple[str, str]:
    """(empty tracker store URL, empty app database URL), per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.sqlite3'}", f"sqlite:///{tmp_path / 'app.sqlite3'}"
    make = request.getfixturevalue("make_postgres_database")
    return make("tracker"), make("console")


@pytest.fixture
def sample_urls(empty_urls) -> tuple[str, str]:
    """(tracker URL with the sample conversations, empty app database URL), per backend."""
    write_sample(empty_urls[0])
    return empty_urls


@pytest.fixture
def tracker_url(sample_tracker_file, tmp_path) -> str:
    """A private copy of the sample tracker store (tests may erase from it)."""
    return private_copy(sample_tracker_file, tmp_path)


@pytest.fixture
def project_root(tmp_path) -> Path:
    """A throw-away project root with the real domain and training data (exports go there)."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "domain", root / "domain")
    shutil.copytree(PROJECT_ROOT / "data", root / "data")
    (root / "data" / "nlu").mkdir(parents=True, exist_ok=True)
    return root


def make_accounts(app_url: str) -> None:
    engine = appdb.get_engine(app_url)
    appdb.create_schema(engine)
    auth.add_user(engine, "admin@aom.fr", PASSWORD, "admin")
    auth.add_user(engine, "staff@aom.fr", PASSWORD, "staff")
    auth.add_user(engine, "ref@rouen.fr", PASSWORD, "referent", PARTNER)
    engine.dispose()


@pytest.fixture(scope="session")
def accounts_file(tmp_path_factory) -> Path:
    """An app database with the three accounts (argon2 is slow on purpose: hash once)."""
    path = tmp_path_factory.mktemp("accounts") / "app.sqlite3"
    make_accounts(f"sqlite:///{path}")
    return path


@pytest.fixture
def app_url(accounts_file, tmp_path) -> str:
    """A private copy of the app database with the accounts."""
    return private_copy(accounts_file, tmp_path)


@pytest.fixture
def make_console_app(tracker_url, app_url, project_root):
    """``make_console_app(**settings)``: the console app below, with some settings changed;
    its clock stands at :data:`NOW`."""

    def make(**overrides) -> web.Application:
        settings = replace(
            load_settings({}), tracker_db_url=tracker_url, app_db_url=app_url, **overrides
        )
        app = web.Application()
        setup_console(app, settings, project_root=project_root, clock=lambda: NOW)
        return app

    return make


@pytest.fixture
def console_app(make_console_app):
    """A bare aiohttp app with the console mounted on the sample data, and three accounts."""
    return make_console_app()


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    field = BeautifulSoup(html, "html.parser").find("input", {"name": "csrf_token"})
    assert field is not None, "the page has no form with a CSRF token"
    return field["value"]


async def login(client, email: str, password: str = PASSWORD):
    """Log in through the real form; returns the response after redirects."""
    page = await client.get("/console/login")
    token = csrf_of(await page.text())
    return await client.post(
        "/console/login", data={"email": email, "password": password, "csrf_token": token}
    )


@pytest.fixture
def client_for(aiohttp_client, console_app):
    """``await client_for("staff@aom.fr")``: a test client logged in as that user."""

    async def make(email: str | None = None):
        client = await aiohttp_client(console_app)
        if email:
            response = await login(client, email)
            assert response.status == 200, await response.text()
        return client

    return make


async def page_csrf(client, path: str = "/console/conversations") -> str:
    """The session's CSRF token, read from a page's logout form."""
    response = await client.get(path)
    return csrf_of(await response.text())


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def texts(html: str, selector: str) -> list[str]:
    return [re.sub(r"\s+", " ", el.get_text(" ", strip=True)) for el in soup(html).select(selector)]


def assert_valid_for_rasa(root: Path, review_file: Path) -> list[tuple[str, str]]:
    """What `rasa data validate` checks for NLU, with Rasa's own importer and validator.

    ``review_file`` lies in ``root/data``; returns its (intent, text) examples after checking
    that the importer `rasa train` uses reads each of them, under that intent only.
    """
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.validator import Validator

    exported = [
        (m.get("intent"), m.get("text")) for m in load_data(str(review_file)).intent_examples
    ]
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(root / "domain"), training_data_paths=[str(root / "data")]
    )
    validator = Validator.from_importer(importer)
    assert validator.verify_intents(ignore_warnings=False)
    assert validator.verify_example_repetition_in_intents(ignore_warnings=False)
    labelled: dict[str, set] = {}
    for example in validator.intents.intent_examples:
        labelled.setdefault(example.get("text"), set()).add(example.get("intent"))
    assert all(labelled.get(text) == {intent} for intent, text in exported)
    return exported
