"""« Contenus »: freshness of the knowledge base for staff, corrections proposed by referents.

The page reads the real knowledge/data loaded into a throw-away SQLite file; the day is always
given in the query string and chosen from the data, never the calendar. The corrections are
written into a throw-away copy of knowledge/data (the phone number below is test data).
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import sqlalchemy as sa

from bot import appdb
from bot.console import CONSOLE
from knowledge.freshness import due_entries, loaded_entries
from knowledge.loader import make_engine
from knowledge.sources import DATA_DIR, read_knowledge
from tests.console.conftest import PARTNER, page_csrf, soup, texts

TEST_PHONE = "01 23 45 67 89"  # test data, never content
STRUCTURE = "info_jeunes_rouen"  # the place partners.yml gives the Rouen partner


@pytest.fixture
def console_app(make_console_app, knowledge_db_url, project_root):
    """The console on the loaded knowledge base, with a copy of knowledge/data to export into."""
    shutil.copytree(DATA_DIR, project_root / "knowledge" / "data")
    return make_console_app(knowledge_db_url=knowledge_db_url)


@pytest.fixture(scope="module")
def entries(knowledge_db_url):
    engine = make_engine(knowledge_db_url)
    try:
        return loaded_entries(engine)
    finally:
        engine.dispose()


def _review_day(entries) -> dt.date:
    """A day just after the review date of an entry checked against its source."""
    verified = [e for _k, e in entries if not e.to_verify and e.review_by]
    assert verified, "the data has no verified entry to build the day from"
    return verified[0].review_by + dt.timedelta(days=1)


def _rows(html: str) -> set[tuple[str, str, str]]:
    return {
        (tr["data-kind"], tr["data-id"], tr["data-reason"])
        for tr in soup(html).select("#due-entries tbody tr[data-id]")
    }


async def test_staff_see_what_is_due_on_the_day_they_choose(client_for, entries):
    day = _review_day(entries)
    client = await client_for("staff@aom.fr")
    response = await client.get(f"/console/contents?on={day.isoformat()}")
    assert response.status == 200
    html = await response.text()
    expected = due_entries(entries, day, 30)
    assert _rows(html) == {(d.kind, d.id, d.reason) for d in expected}
    assert {r for _k, _i, r in _rows(html)} == {"to_verify", "overdue"}
    figures = {dd["data-reason"]: int(dd.get_text()) for dd in soup(html).select("dd")}
    assert figures == {
        "to_verify": sum(d.reason == "to_verify" for d in expected),
        "overdue": sum(d.reason == "overdue" for d in expected),
        "soon": sum(d.reason == "soon" for d in expected),
        "total": len(entries),
    }
    assert "Contenus" in texts(html, "nav a[aria-current]")
    # The events and partners marked to verify are listed (they were lost by the loader).
    assert ("partner", PARTNER, "to_verify") in _rows(html)
    assert any(kind == "event" for kind, _i, _r in _rows(html))


async def test_the_list_filters_by_kind_and_refuses_a_bad_day(client_for, entries):
    day = _review_day(entries)
    client = await client_for("admin@aom.fr")
    response = await client.get(f"/console/contents?on={day.isoformat()}&kind=event")
    html = await response.text()
    assert {kind for kind, _i, _r in _rows(html)} == {"event"}
    figures = {dd["data-reason"]: int(dd.get_text()) for dd in soup(html).select("dd")}
    assert figures["total"] == sum(1 for kind, _e in entries if kind == "event")
    assert figures["to_verify"] + figures["overdue"] + figures["soon"] == len(_rows(html))
    bad = await client.get("/console/contents?on=31/12/2026")
    assert bad.status == 400
    assert "Date illisible" in await bad.text()


async def test_the_routing_rules_due_are_listed(client_for, entries):
    rules = [e for kind, e in entries if kind == "rule" and not e.to_verify]
    assert rules, "the loaded base has no checked routing rule"
    day = rules[0].review_by + dt.timedelta(days=1)
    client = await client_for("staff@aom.fr")
    html = await (await client.get(f"/console/contents?on={day.isoformat()}&kind=rule")).text()
    overdue = {r.id for r in rules if r.review_by < day}
    assert {(k, i) for k, i, reason in _rows(html) if reason == "overdue"} == {
        ("rule", i) for i in overdue
    }
    assert "règle d'orientation" in texts(html, "#due-entries tbody td")


async def test_the_page_reads_the_knowledge_base_read_only(client_for, console_app):
    await client_for("staff@aom.fr")  # starts the app: engines open
    engine = console_app[CONSOLE].knowledge_engine
    with pytest.raises(sa.exc.OperationalError, match="readonly"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM kb_meta"))


async def _propose(client, field: str, value: str, comment: str = ""):
    token = await page_csrf(client, "/console/contents")
    return await client.post(
        "/console/contents/corrections",
        data={"csrf_token": token, "field": field, "value": value, "comment": comment},
        allow_redirects=False,
    )


async def test_a_correction_from_referent_to_knowledge_data(client_for, console_app, project_root):
    referent = await client_for("ref@rouen.fr")
    page = await (await referent.get("/console/contents")).text()
    phone_row = soup(page).select_one("#structure-entry tr[data-field=phone] td")
    assert phone_row.get_text(strip=True) == "inconnu"
    assert "Rouen Info Jeunes" in page

    # A mistake gets a French message and the form keeps what was typed.
    refused = await _propose(referent, "phone", "appelez-nous")
    assert refused.status == 400
    html = await refused.text()
    assert "numéro de téléphone invalide" in texts(html, "p.error")[0]
    assert soup(html).select_one("input[name=value]")["value"] == "appelez-nous"

    sent = await _propose(referent, "phone", TEST_PHONE, "standard de l'accueil")
    assert sent.status == 302
    mine = await (await referent.get(sent.headers["Location"])).text()
    assert "proposition n°1 est enregistrée" in mine
    assert texts(mine, "#my-corrections tbody tr") == [
        f"1 Téléphone {TEST_PHONE} " + texts(mine, "#my-corrections tbody td")[3] + " En attente"
    ]

    staff = await client_for("staff@aom.fr")
    listing = await (await staff.get("/console/contents")).text()
    (row,) = soup(listing).select("#pending-corrections tbody tr")
    assert row["data-correction"] == "1"
    assert TEST_PHONE in row.get_text() and STRUCTURE in row.get_text()
    token = await page_csrf(staff, "/console/contents")
    decided = await staff.post(
        "/console/contents/corrections/1",
        data={"csrf_token": token, "decision": "accept"},
        allow_redirects=False,
    )
    assert decided.status == 302
    again = await staff.post(
        "/console/contents/corrections/1", data={"csrf_token": token, "decision": "refuse"}
    )
    assert again.status == 409
    assert "déjà été traitée" in await again.text()

    diff = await staff.get("/console/contents/corrections.diff")
    assert diff.status == 200
    patch = await diff.text()
    assert "+++ b/knowledge/data/operators/partner.yml" in patch
    assert "-    phone: null" in patch
    assert f'+    phone: "{TEST_PHONE}"' in patch

    written = await staff.post(
        "/console/contents/corrections/export", data={"csrf_token": token}, allow_redirects=False
    )
    assert written.status == 302
    data, problems = read_knowledge(project_root / "knowledge" / "data", code_root=None)
    assert [p for p in problems if p.severity == "error"] == []
    assert next(o for o in data.operators if o.id == STRUCTURE).phone == TEST_PHONE
    after = await (await staff.get(written.headers["Location"])).text()
    assert "1 correction(s) écrite(s) dans knowledge/data/operators/partner.yml" in after
    assert "0 correction(s) acceptée(s)" in texts(after, "#corrections-export p")[0]

    mine = await (await referent.get("/console/contents")).text()
    assert texts(mine, "#my-corrections tbody td")[-1] == "Acceptée"
    engine = appdb.get_engine(console_app[CONSOLE].settings.app_db_url)
    with engine.connect() as conn:
        actions = [
            r.action
            for r in conn.execute(sa.select(appdb.audit_log).order_by(appdb.audit_log.c.id))
        ]
    engine.dispose()
    flow = [a for a in actions if a in ("correction_propose", "correction_accept", "export")]
    assert flow == ["correction_propose", "correction_accept", "export", "export"]  # diff, write


async def test_an_export_that_would_break_the_data_writes_nothing(
    client_for, console_app, project_root
):
    engine = appdb.get_engine(console_app[CONSOLE].settings.app_db_url)
    staff = await client_for("staff@aom.fr")
    with engine.begin() as conn:  # a value that skipped the form's checks
        conn.execute(
            appdb.content_corrections.insert().values(
                partner_id=PARTNER, operator_id=STRUCTURE, field="website",
                new_value="pas un site", status="accepted", author="ref@rouen.fr",
                created_at=0.0, decided_at=0.0,
            )
        )  # fmt: skip
    engine.dispose()
    path = project_root / "knowledge" / "data" / "operators" / "partner.yml"
    before = path.read_text(encoding="utf-8")
    token = await page_csrf(staff, "/console/contents")
    response = await staff.post("/console/contents/corrections/export", data={"csrf_token": token})
    assert response.status == 400
    message = soup(await response.text()).get_text()
    assert "rien n'a été écrit" in message and "URL invalide" in message
    assert path.read_text(encoding="utf-8") == before


async def test_roles_on_corrections(client_for):
    referent = await client_for("ref@rouen.fr")
    token = await page_csrf(referent, "/console/contents")
    for path in ("/console/contents/corrections/1", "/console/contents/corrections/export"):
        response = await referent.post(path, data={"csrf_token": token, "decision": "accept"})
        assert response.status == 403, path
    assert (await referent.get("/console/contents/corrections.diff")).status == 403
    page = await (await referent.get("/console/contents")).text()
    assert not soup(page).select("#due-entries")  # staff's list is not theirs
    staff = await client_for("staff@aom.fr")
    response = await _propose(staff, "phone", TEST_PHONE)
    assert response.status == 403


async def test_a_referent_sees_only_their_own_proposals(client_for, console_app):
    engine = appdb.get_engine(console_app[CONSOLE].settings.app_db_url)
    referent = await client_for("ref@rouen.fr")
    with engine.begin() as conn:
        conn.execute(
            appdb.content_corrections.insert().values(
                partner_id="autre_partenaire", operator_id="lieu_autre", field="phone",
                new_value="02 00 00 00 00", status="pending", author="x@autre.fr",
                created_at=0.0,
            )
        )  # fmt: skip
    engine.dispose()
    await _propose(referent, "website", "https://exemple.test/structure")
    mine = await (await referent.get("/console/contents")).text()
    rows = texts(mine, "#my-corrections tbody tr")
    assert len(rows) == 1 and "https://exemple.test/structure" in rows[0]


@pytest.mark.postgres
def test_the_corrections_workflow_on_postgres(make_postgres_database):
    from bot.console import corrections as cor
    from knowledge.models import Operator

    engine = appdb.get_engine(make_postgres_database("corrections"))
    appdb.create_schema(engine)
    place = Operator(id=STRUCTURE, type="partner", name="Lieu d'essai", phone=None)
    try:
        with pytest.raises(cor.CorrectionError, match="site"):
            cor.propose(engine, partner_id=PARTNER, operator=place, field="email",
                        value="x@y.fr", comment="", author="ref@rouen.fr")  # fmt: skip
        first = cor.propose(engine, partner_id=PARTNER, operator=place, field="phone",
                            value=TEST_PHONE, comment="", author="ref@rouen.fr")  # fmt: skip
        second = cor.propose(
            engine,
            partner_id="autre",
            operator=place,
            field="website",
            value="https://exemple.test",
            comment="",
            author="x@autre.fr",
        )
        assert [r.id for r in cor.corrections(engine, PARTNER)] == [first]
        cor.decide(engine, first, True, "staff@aom.fr")
        cor.decide(engine, second, False, "staff@aom.fr")
        with pytest.raises(cor.CorrectionError, match="déjà été traitée"):
            cor.decide(engine, second, True, "staff@aom.fr")
        assert [(r.id, r.new_value) for r in cor.to_export(engine)] == [(first, TEST_PHONE)]
        cor.mark_exported(engine, [first])
        assert cor.to_export(engine) == []
    finally:
        engine.dispose()
