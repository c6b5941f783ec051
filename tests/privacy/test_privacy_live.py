"""The privacy corpus sent through the real stack: nothing personal in any store (issue 13).

Every message of ``pii_messages.txt`` goes, in its own conversation, through the gateway's
``/api/chat`` as the widget sends it; one in eight goes instead straight to Rasa's ``boussole``
webhook, as a caller bypassing the gateway would. A staff member then opens the console, exports
the conversations as CSV, classifies the messages and downloads the review file. Then every
store is searched: Rasa's tracker store (its SQLite files, byte for byte, and each user event),
the console's database, the three services' log files, the CSV, the review file and the pages.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from corpus import PiiMessage, leaks, pii_messages
from sqlalchemy.engine import make_url

from bot.console import queries
from bot.settings import PROJECT_ROOT
from tests.e2e.test_console_loop import add_staff_account, log_in

pytestmark = pytest.mark.stack

PARTNER = "rouen_info_jeunes"
ORIGIN = "http://localhost:8080"  # declared for this partner in knowledge/data/partners.yml
EMAIL = "confidentialite@aom.fr"
PASSWORD = "une phrase de passe pour la relecture"
BYPASS_EVERY = 8
ROUTED = "mon numéro c'est le 07 52 14 36 98, j'habite à Évreux, qui peut m'aider ?"


def _post(url: str, **kwargs) -> requests.Response:
    """POST, waiting out the gateway's rate limits (the corpus is larger than a minute's quota)."""
    for _ in range(20):
        response = requests.post(url, timeout=60, **kwargs)
        if response.status_code != 429:
            return response
        time.sleep(float(response.headers.get("Retry-After", "2")))
    raise AssertionError(f"still rate-limited: {url}")


def send_through_gateway(gateway: str, session_id: str, text: str) -> dict:
    response = _post(
        f"{gateway}/api/chat",
        params={"partner": PARTNER},
        json={"session_id": session_id, "text": text, "page_url": f"{ORIGIN}/demo"},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 200, response.text
    return response.json()


def send_to_rasa(rasa: str, sender: str, text: str) -> None:
    response = _post(
        f"{rasa}/webhooks/boussole/webhook",
        json={"sender": sender, "message": text, "metadata": {"partner": PARTNER}},
    )
    assert response.status_code == 200, response.text


def sqlite_path(url: str) -> Path:
    return Path(make_url(url).database)


def raw_files(*paths: Path) -> str:
    """The bytes of files (a SQLite database with its WAL), read as text."""
    chunks = []
    for path in paths:
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
            if candidate.exists():
                chunks.append(candidate.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(chunks)


def tracker_user_texts(path: Path) -> dict[str, list[str]]:
    """Sender → everything Rasa stored about each user message (text, parse data, metadata)."""
    found: dict[str, list[str]] = {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        for sender, data in conn.execute(
            "SELECT sender_id, data FROM events WHERE type_name = 'user'"
        ):
            found.setdefault(sender, []).append(json.dumps(json.loads(data), ensure_ascii=False))
    return found


def app_texts(url: str) -> dict[str, list[str]]:
    """Sender → the texts the console's database holds for it."""
    found: dict[str, list[str]] = {}
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        for table in ("message_index", "conv_index", "annotations"):
            column = "first_text" if table == "conv_index" else "text"
            for sender, text in conn.execute(sa.text(f"SELECT sender_id, {column} FROM {table}")):
                found.setdefault(sender, []).append(text or "")
    engine.dispose()
    return found


@pytest.fixture(scope="module")
def corpus_sent(live_stack) -> dict[str, PiiMessage]:
    """Conversation id → the corpus message sent in it (through the gateway or around it)."""
    settings = live_stack.settings
    gateway = f"http://{settings.host}:{settings.web_port}"
    sent = {}
    for index, message in enumerate(pii_messages()):
        session_id = f"pii-{uuid.uuid4().hex[:16]}"
        if index % BYPASS_EVERY == 0:
            send_to_rasa(settings.rasa_base_url, session_id, message.text)
        else:
            body = send_through_gateway(gateway, session_id, message.text)
            assert body["masked"] is True, message.text
            assert body["messages"], "the bot must never stay silent"
            assert not leaks(message, body["user_text"])
        sent[session_id] = message
    return sent


@pytest.fixture(scope="module")
def console_outputs(live_stack, corpus_sent) -> dict[str, str]:
    """What a staff member takes out of the console: CSV, review file, pages."""
    settings = live_stack.settings
    gateway = f"http://{settings.host}:{settings.web_port}"
    add_staff_account(settings, EMAIL, PASSWORD)
    browser = log_in(gateway, EMAIL, PASSWORD)
    outputs = {"conversations": browser.get(f"{gateway}/console/conversations", timeout=60).text}
    export = browser.get(f"{gateway}/console/conversations.csv", timeout=60)
    assert export.status_code == 200
    outputs["csv"] = export.content.decode("utf-8-sig")
    outputs["inbox"] = browser.get(f"{gateway}/console/inbox", timeout=60).text
    # Every corpus message classified, so that the review file holds them all.
    engine = sa.create_engine(settings.app_db_url, future=True)
    with engine.connect() as conn:
        ids = list(conn.execute(sa.text("SELECT event_id, sender_id FROM message_index")).all())
    engine.dispose()
    ours = [event_id for event_id, sender in ids if sender in corpus_sent]
    assert len(ours) == len(corpus_sent)
    engine = sa.create_engine(settings.app_db_url, future=True)
    queries.annotate(engine, ours, "out_of_scope", EMAIL, None)
    engine.dispose()
    review = browser.get(f"{gateway}/console/inbox/export.yml", timeout=60)
    assert review.status_code == 200
    outputs["review"] = review.text
    for sender in list(corpus_sent)[:10]:
        page = browser.get(f"{gateway}/console/conversations/{sender}", timeout=60)
        assert page.status_code == 200
        outputs[f"page {sender}"] = page.text
    return outputs


def test_no_store_keeps_personal_data(live_stack, corpus_sent, console_outputs):
    settings = live_stack.settings
    tracker = sqlite_path(settings.tracker_db_url)
    app_db = sqlite_path(settings.app_db_url)
    everywhere = {
        "tracker store (file)": raw_files(tracker),
        "console database (file)": raw_files(app_db),
        **{
            f"log {path.name}": path.read_text(encoding="utf-8", errors="replace")
            for path in sorted(live_stack.log_dir.glob("*.log"))
        },
        **console_outputs,
    }
    per_message = {
        "tracker store": tracker_user_texts(tracker),
        "console database": app_texts(settings.app_db_url),
        "CSV export": {
            row[0]: [";".join(row)]
            for row in csv.reader(io.StringIO(console_outputs["csv"]), delimiter=";")
        },
    }
    found = []
    for sender, message in corpus_sent.items():
        for store, content in everywhere.items():
            found += [(store, piece, message.text) for piece in message.strong if piece in content]
        for store, by_sender in per_message.items():
            stored = "\n".join(by_sender.get(sender, []))
            assert stored, f"{store} holds nothing for « {message.text} »"
            found += [(store, piece, message.text) for piece in leaks(message, stored)]
    assert found == []
    assert "masqué" in console_outputs["review"]


def test_the_commune_still_routes_after_masking(live_stack):
    settings = live_stack.settings
    gateway = f"http://{settings.host}:{settings.web_port}"
    session_id = f"pii-route-{uuid.uuid4().hex[:12]}"
    body = send_through_gateway(gateway, session_id, ROUTED)
    assert body["user_text"] == (
        "mon numéro c'est le [numéro masqué], j'habite à Évreux, qui peut m'aider ?"
    )
    with (PROJECT_ROOT / "knowledge/data/territories/communes.csv").open(encoding="utf-8") as f:
        evreux = next(row["code_insee"] for row in csv.DictReader(f) if row["nom"] == "Évreux")
    texts = tracker_user_texts(sqlite_path(settings.tracker_db_url))[session_id]
    event = json.loads(texts[-1])
    communes = [e["value"] for e in event["parse_data"]["entities"] if e["entity"] == "commune"]
    assert communes and set(communes) == {evreux}
    answer = " ".join(m.get("text") or "" for m in body["messages"])
    assert answer, "the bot must answer"
