"""What staff see: conversation list and filters, transcript, tags, dashboard, CSV, audit."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot import appdb
from tests.console.conftest import NOW, TODAY, page_csrf, soup, texts


def listed(html: str) -> list[str]:
    """Conversation ids linked from a list page, in order."""
    return [
        a["href"].rsplit("/", 1)[1]
        for a in soup(html).select("table.list tbody a[href^='/console/conversations/']")
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["conv-distress", "conv-script", "conv-rouen", "conv-caen", "conv-old"]),
        ("fallback=1", ["conv-caen"]),
        ("distress=1", ["conv-distress"]),
        ("place=76", ["conv-rouen"]),
        ("place=14118", ["conv-caen"]),
        ("q=CUISINE", ["conv-rouen"]),
        ("q=tres+mal", ["conv-distress"]),  # accents and case ignored
        ("q=100%25", []),  # a % sign is searched literally
        ("max_confidence=0,5", ["conv-script", "conv-caen"]),
        ("intent=request_human", ["conv-caen"]),
        ("partner=caen-ij", ["conv-distress", "conv-caen"]),
        # ties keep a stable order (by conversation id)
        ("sort=messages", ["conv-caen", "conv-rouen", "conv-distress", "conv-old", "conv-script"]),
        ("sort=oldest", ["conv-old", "conv-caen", "conv-rouen", "conv-script", "conv-distress"]),
        ("status=reviewed", []),
    ],
)
async def test_conversation_filters(client_for, query, expected):
    client = await client_for("staff@aom.fr")
    response = await client.get(f"/console/conversations?{query}")
    assert response.status == 200
    html = await response.text()
    ids = listed(html)
    if "sort=" in query:
        assert ids == expected
    else:
        assert sorted(ids) == sorted(expected)
    if not expected:
        assert "Aucune conversation ne correspond" in html


async def test_date_range_filter(client_for):
    client = await client_for("staff@aom.fr")
    old = await client.get(f"/console/conversations?date_to={TODAY - timedelta(days=100)}")
    assert listed(await old.text()) == ["conv-old"]
    recent = await client.get(f"/console/conversations?date_from={TODAY - timedelta(days=10)}")
    assert "conv-old" not in listed(await recent.text())


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("max_confidence=abc", "Seuil de confiance illisible"),
        ("max_confidence=3", "compris entre 0 et 1"),
        ("status=done", "Statut de revue inconnu"),
        ("place=7", "code INSEE"),
        ("sort=drop", "Tri inconnu"),
    ],
)
async def test_bad_filters_get_a_french_message(client_for, query, message):
    client = await client_for("staff@aom.fr")
    response = await client.get(f"/console/conversations?{query}")
    assert response.status == 400
    assert message in await response.text()


async def test_negative_feedback_and_review_status_filters(client_for, app_url):
    engine = appdb.get_engine(app_url)
    appdb.record_feedback(
        engine, session_id="conv-script", message_id=None, rating=-1, partner_id="rouen"
    )
    engine.dispose()
    client = await client_for("staff@aom.fr")
    response = await client.get("/console/conversations?negative_feedback=1")
    html = await response.text()
    assert listed(html) == ["conv-script"]
    assert "1 avis négatif" in html
    csrf = await page_csrf(client)
    await client.post(
        "/console/conversations/conv-script/review",
        data={"status": "to_review", "csrf_token": csrf},
    )
    to_review = await client.get("/console/conversations?status=to_review")
    assert listed(await to_review.text()) == ["conv-script"]
    new = await client.get("/console/conversations?status=new")
    assert "conv-script" not in listed(await new.text())


async def test_pagination_keeps_the_filters(client_for, monkeypatch):
    from bot.console import queries

    monkeypatch.setattr(queries, "PER_PAGE", 2)
    monkeypatch.setattr(queries.list_conversations, "__defaults__", (1, 2))
    client = await client_for("staff@aom.fr")
    first = await (await client.get("/console/conversations?sort=oldest")).text()
    assert listed(first) == ["conv-old", "conv-caen"]
    assert "page 1 sur 3" in first
    next_link = soup(first).select_one("a[rel=next]")["href"]
    assert "sort=oldest" in next_link and "page=2" in next_link
    second = await (await client.get(f"/console/conversations{next_link}")).text()
    assert listed(second) == ["conv-rouen", "conv-script"]


async def test_script_in_a_message_is_shown_as_text(client_for):
    client = await client_for("staff@aom.fr")
    for path in ("/console/conversations/conv-script", "/console/conversations", "/console/inbox"):
        html = await (await client.get(path)).text()
        page = soup(html)
        assert page.find("script") is None, path
        assert "<script>alert('x')</script>" in page.get_text(), path
        assert "&lt;script&gt;" in html


async def test_transcript_shows_intents_confidence_entities_actions_and_slots(client_for):
    client = await client_for("staff@aom.fr")
    html = await (await client.get("/console/conversations/conv-caen")).text()
    users = texts(html, ".transcript li.user")
    assert users[0].startswith("j'habite Caen Donne une information inform · confiance 0,93")
    assert "commune = 14118" in users[0]
    assert users[1].startswith("kesako le truc Non compris nlu_fallback · confiance 0,30")
    assert soup(html).select(".transcript li.user .low")  # low confidence highlighted
    events = texts(html, ".transcript li.event")
    assert 'slot commune = "14118"' in events
    assert "action action_default_fallback" in events
    assert texts(html, ".transcript li.bot .bubble")[0] == "D'accord."
    assert "Caen (14118)" in soup(html).select_one(".meta").get_text()


async def test_tags_can_be_added_and_removed_and_are_audited(client_for, app_url):
    client = await client_for("staff@aom.fr")
    csrf = await page_csrf(client, "/console/conversations/conv-rouen")
    await client.post(
        "/console/conversations/conv-rouen/tags",
        data={"tag": "  Contenu  à revoir ", "csrf_token": csrf},
    )
    html = await (await client.get("/console/conversations/conv-rouen")).text()
    assert "contenu à revoir" in texts(html, ".marks .badge")
    await client.post(
        "/console/conversations/conv-rouen/tags/delete",
        data={"tag": "contenu à revoir", "csrf_token": csrf},
    )
    html = await (await client.get("/console/conversations/conv-rouen")).text()
    assert texts(html, ".marks .badge") == []
    empty = await client.post(
        "/console/conversations/conv-rouen/tags", data={"tag": " ", "csrf_token": csrf}
    )
    assert empty.status == 400 and "entre 1 et 60 caractères" in await empty.text()
    engine = appdb.get_engine(app_url)
    with engine.connect() as conn:
        audited = conn.execute(
            sa.select(
                appdb.audit_log.c.actor,
                appdb.audit_log.c.action,
                appdb.audit_log.c.target,
                appdb.audit_log.c.detail,
            )
            .where(appdb.audit_log.c.action.like("tag%"))
            .order_by(appdb.audit_log.c.id)
        ).all()
    engine.dispose()
    assert [tuple(r) for r in audited] == [
        ("staff@aom.fr", "tag_add", "conv-rouen", "contenu à revoir"),
        ("staff@aom.fr", "tag_remove", "conv-rouen", "contenu à revoir"),
    ]


async def test_referent_sees_only_their_partner(client_for):
    client = await client_for("ref@rouen.fr")
    html = await (await client.get("/console/conversations")).text()
    assert sorted(listed(html)) == ["conv-old", "conv-rouen", "conv-script"]
    # The partner filter cannot widen the scope.
    other = await (await client.get("/console/conversations?partner=caen-ij")).text()
    assert sorted(listed(other)) == ["conv-old", "conv-rouen", "conv-script"]
    exported = await (await client.get("/console/conversations.csv")).read()
    assert b"conv-caen" not in exported and b"conv-rouen" in exported
    dashboard = await (await client.get("/console/dashboard?partner=caen-ij")).text()
    assert soup(dashboard).select_one("#fig-conversations").get_text() == "2"
    assert soup(dashboard).select_one("#fig-distress").get_text() == "0"


async def test_dashboard_figures_and_tables(client_for, app_url):
    engine = appdb.get_engine(app_url)
    for rating in (1, 1, 1, -1):
        appdb.record_feedback(
            engine,
            session_id="conv-rouen",
            message_id=None,
            rating=rating,
            partner_id=None,
            now=NOW - 3600,
        )
    engine.dispose()
    client = await client_for("staff@aom.fr")
    html = await (await client.get("/console/dashboard")).text()
    page = soup(html)
    figure = {dd["id"]: dd.get_text(" ", strip=True) for dd in page.select(".figures dd")}
    assert figure["fig-conversations"] == "4"  # the 500-day-old one is outside the 30 days
    assert figure["fig-messages"] == "9"
    assert figure["fig-fallback"] == "25 %"
    assert figure["fig-human"] == "1"
    assert figure["fig-distress"] == "1"
    assert figure["fig-feedback"] == "75 % (3 positifs, 1 négatif)"
    assert len(page.select("svg.chart")) == 2
    assert page.select("svg.chart rect")
    intents = texts(html, "#table-intentions tbody tr")
    assert intents[0] == "inform Donne une information 2"
    assert "nlu_fallback Non compris 2" in intents
    assert texts(html, "#table-communes tbody tr") == [
        "14118 Caen 1",
        "76540 Rouen 1",
    ]
    assert texts(html, "#table-departements tbody tr") == ["14 Calvados 1", "76 Seine-Maritime 1"]
    assert texts(html, "#table-partenaires tbody tr") == [
        "caen-ij 2 1 1",
        "rouen_info_jeunes 2 0 0",
    ]


async def test_every_dashboard_table_exports_as_csv(client_for):
    client = await client_for("staff@aom.fr")
    html = await (await client.get("/console/dashboard")).text()
    links = [a["href"] for a in soup(html).select("a.csv")]
    assert len(links) == 6
    for link in links:
        response = await client.get(link)
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        rows = list(
            csv.reader(io.StringIO((await response.read()).decode("utf-8-sig")), delimiter=";")
        )
        table_id = "table-" + link.split("/dashboard/")[1].split(".csv")[0]
        assert rows[0] == texts(html, f"#{table_id} thead th")
    communes = await client.get(links[2])
    text = (await communes.read()).decode("utf-8-sig")
    assert "14118;Caen;1" in text


async def test_conversations_csv_neutralises_formulas(client_for, tracker_url):
    from bot.console.sample import Turn, build_tracker, open_store, save_conversations

    store = open_store(tracker_url)
    tracker = build_tracker("conv-formula", [Turn('=HYPERLINK("x")', "greet", 0.9)], start=0)
    await save_conversations(store, [tracker])
    store.engine.dispose()
    client = await client_for("staff@aom.fr")
    data = (await (await client.get("/console/conversations.csv")).read()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert rows[0][0] == "Conversation"
    formula = next(r for r in rows if r[0] == "conv-formula")
    assert formula[-1] == '\'=HYPERLINK("x")'


async def test_views_exports_and_deletions_are_audited(client_for, app_url, tracker_url):
    admin = await client_for("admin@aom.fr")
    await admin.get("/console/conversations?distress=1")
    await admin.get("/console/conversations/conv-rouen")
    await admin.get("/console/dashboard/jours.csv")
    csrf = await page_csrf(admin, "/console/conversations/conv-rouen")
    refused = await admin.post("/console/conversations/conv-rouen/erase", data={"csrf_token": csrf})
    assert refused.status == 400 and "confirmation" in await refused.text()
    erased = await admin.post(
        "/console/conversations/conv-rouen/erase", data={"csrf_token": csrf, "confirm": "1"}
    )
    assert erased.status == 200
    assert "conv-rouen" not in listed(await erased.text())
    assert (await admin.get("/console/conversations/conv-rouen")).status == 404
    tracker = appdb.get_engine(tracker_url, read_only=True)
    with tracker.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM events WHERE sender_id='conv-rouen'"))
        assert left.scalar() == 0
    tracker.dispose()
    html = await (await admin.get("/console/audit")).text()
    rows = texts(html, "table.list tbody tr")
    actions = [r.split(" ")[3] for r in rows]  # date, time, actor, action
    assert {"login", "view_list", "view", "export", "erase"} <= set(actions)
    erase_row = next(r for r in rows if " erase " in r)
    assert "admin@aom.fr" in erase_row and "conv-rouen" in erase_row


async def test_admin_manages_users(client_for):
    admin = await client_for("admin@aom.fr")
    csrf = await page_csrf(admin, "/console/users")

    async def add(**fields):
        data = {"password": "a long enough password", "csrf_token": csrf, **fields}
        return await admin.post("/console/users", data=data)

    bad = await add(email="x@y.fr", role="referent", password="short")
    assert bad.status == 400 and "rattaché à un partenaire" in await bad.text()
    # Referents are attached to a partner the widget knows (knowledge/data/partners.yml).
    assert texts(await bad.text(), "select[name=partner] option") == [
        "—",
        "demo_referent",
        "rouen_info_jeunes",
    ]
    unknown = await add(email="ref2@rouen.fr", role="referent", partner="rouen-info-jeunes")
    assert unknown.status == 400 and "Partenaire inconnu" in await unknown.text()
    ok = await add(email="new@aom.fr", role="staff")
    assert "Compte créé : new@aom.fr." in await ok.text()
    gone = await admin.post(
        "/console/users/delete", data={"email": "new@aom.fr", "csrf_token": csrf}
    )
    assert "Compte supprimé" in await gone.text()
    self_delete = await admin.post(
        "/console/users/delete", data={"email": "admin@aom.fr", "csrf_token": csrf}
    )
    assert self_delete.status == 400


async def test_pages_work_before_rasa_ever_wrote_a_tracker(aiohttp_client, app_url, tmp_path):
    from dataclasses import replace

    from aiohttp import web

    from bot.console import setup_console
    from bot.settings import load_settings
    from tests.console.conftest import login

    settings = replace(
        load_settings({}),
        tracker_db_url=f"sqlite:///{tmp_path / 'not-yet.sqlite3'}",
        app_db_url=app_url,
    )
    app = web.Application()
    setup_console(app, settings)
    client = await aiohttp_client(app)
    assert (await login(client, "staff@aom.fr")).status == 200
    for path in ("/console/conversations", "/console/dashboard", "/console/inbox"):
        response = await client.get(path)
        assert response.status == 200, path
    listing = await (await client.get("/console/conversations")).text()
    assert "Aucune conversation ne correspond" in listing
    assert not (tmp_path / "not-yet.sqlite3").exists()  # read-only: never created by the console


async def test_partner_filter_suggests_known_partners(client_for):
    staff = await client_for("staff@aom.fr")
    for path in ("/console/conversations", "/console/dashboard"):
        html = await (await staff.get(path)).text()
        options = [o["value"] for o in soup(html).select("datalist#partners option")]
        assert options == ["caen-ij", "rouen_info_jeunes"], path
    referent = await client_for("ref@rouen.fr")
    html = await (await referent.get("/console/conversations")).text()
    assert soup(html).select("datalist#partners") == []
    assert soup(html).select("input[name=partner]") == []
