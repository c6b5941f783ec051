"""The chat API as the widget sees it: partners, origins, limits, bad input, masking, Rasa down."""

from __future__ import annotations

import json
import shutil

import pytest
import sqlalchemy as sa
from aiohttp import web
from bs4 import BeautifulSoup
from web_support import FALLBACK_PHONE, PARTNER_ORIGIN, SESSION, post_chat

from bot import appdb
from bot.stack import free_port
from bot.web.fake_rasa import FICTION_PHONE, RECEIVED_KEY


def received(fake_rasa):
    return fake_rasa.app[RECEIVED_KEY]


async def test_text_is_forwarded_with_metadata_and_answer_cut_into_parts(gateway, fake_rasa):
    response = await post_chat(
        gateway,
        {
            "session_id": SESSION,
            "text": "  je cherche une formation  ",
            "page_url": "https://partenaire.example/jeunes?email=a@b.fr#haut",
            "turn_id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        },
    )
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    body = await response.json()
    assert body["user_text"] == "je cherche une formation"
    assert body["masked"] is False
    assert body["messages"][0]["text"] == "Tu m'as écrit : je cherche une formation"
    links = [p for p in body["messages"][1]["parts"] if "href" in p]
    assert {"text": FICTION_PHONE, "href": "tel:+33199001234", "kind": "phone"} in links
    assert any(p["href"] == "https://exemple.fr/aide" for p in links)
    assert all(m["id"].startswith(SESSION) for m in body["messages"])
    assert received(fake_rasa) == [
        {
            "sender": SESSION,
            "message": "je cherche une formation",
            "metadata": {
                "partner": "partenaire_test",
                "page_url": "https://partenaire.example/jeunes",
                "profile": "youth",
                "mode": "widget",
                "welcome_shown": True,
                "message_id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            },
        }
    ]


async def test_each_message_reaches_rasa_with_an_id_and_a_bad_id_is_refused(gateway, fake_rasa):
    # Without the widget's id the gateway gives one, different for every message.
    for _ in range(2):
        response = await post_chat(gateway, {"session_id": SESSION, "text": "bonjour"})
        assert response.status == 200
    ids = [m["metadata"]["message_id"] for m in received(fake_rasa)]
    assert len(set(ids)) == 2 and all(len(i) >= 8 for i in ids)
    response = await post_chat(
        gateway, {"session_id": SESSION, "text": "bonjour", "turn_id": "a%b_c' OR 1=1"}
    )
    assert response.status == 400
    assert (await response.json())["message"] == "Identifiant de message invalide."
    assert len(received(fake_rasa)) == 2  # refused before anything was forwarded


async def test_button_payload_is_forwarded_and_buttons_come_back(gateway, fake_rasa):
    response = await post_chat(gateway, {"session_id": SESSION, "payload": "/ask_job_info"})
    assert response.status == 200
    body = await response.json()
    assert body["user_text"] is None
    assert body["messages"][0]["buttons"][0] == {
        "title": "Moins de 16 ans",
        "payload": '/inform{"age":"15"}',
    }
    assert received(fake_rasa)[0]["message"] == "/ask_job_info"


async def test_referent_partner_sends_its_profile(gateway, fake_rasa):
    response = await post_chat(
        gateway,
        {"session_id": SESSION, "text": "bonjour"},
        partner="structure_referent",
        origin=None,
    )
    assert response.status == 200
    assert received(fake_rasa)[0]["metadata"]["profile"] == "referent"


@pytest.mark.parametrize("partner", ["inconnu", "", "../etc", "A" * 80])
async def test_unknown_partner_gets_403_in_french(gateway, fake_rasa, partner):
    response = await post_chat(gateway, {"session_id": SESSION, "text": "salut"}, partner=partner)
    assert response.status == 403
    body = await response.json()
    assert body["error"] == "unknown_partner"
    assert "partenaire" in body["message"]
    assert "Access-Control-Allow-Origin" not in response.headers
    assert received(fake_rasa) == []


async def test_undeclared_origin_is_refused(gateway, fake_rasa):
    response = await post_chat(
        gateway, {"session_id": SESSION, "text": "salut"}, origin="https://intrus.example"
    )
    assert response.status == 403
    assert (await response.json())["error"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert received(fake_rasa) == []


async def test_gateway_own_origin_is_always_allowed(gateway):
    own = f"http://{gateway.host}:{gateway.port}"
    response = await post_chat(
        gateway, {"session_id": SESSION, "text": "salut"}, partner="structure_referent", origin=own
    )
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == own


async def test_preflight_answers_declared_origin_only(gateway):
    headers = {
        "Origin": PARTNER_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    ok = await gateway.options("/api/chat?partner=partenaire_test", headers=headers)
    assert ok.status == 204
    assert ok.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in ok.headers["Access-Control-Allow-Headers"]
    headers["Origin"] = "https://intrus.example"
    refused = await gateway.options("/api/chat?partner=partenaire_test", headers=headers)
    assert refused.status == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


BAD_BODIES = [
    ("malformed_json", b'{"session_id": "abcdef0123456789", "text": '),
    ("malformed_json", b'["bonjour"]'),
    ("binary", b'{"session_id": "abcdef0123456789", "text": "\xff\xfe\x00"}'),
    ("binary", json.dumps({"session_id": SESSION, "text": "ok\u0000\u0007"}).encode()),
    ("binary", json.dumps({"session_id": SESSION, "text": "\ud800"}).encode()),
    ("empty", json.dumps({"session_id": SESSION, "text": ""}).encode()),
    ("empty", json.dumps({"session_id": SESSION, "text": " \n\t "}).encode()),
    ("too_long", json.dumps({"session_id": SESSION, "text": "a" * 501}).encode()),
    ("bad_session", json.dumps({"text": "bonjour"}).encode()),
    ("bad_session", json.dumps({"session_id": "court", "text": "bonjour"}).encode()),
    ("bad_message", json.dumps({"session_id": SESSION}).encode()),
    ("bad_message", json.dumps({"session_id": SESSION, "text": "a", "payload": "/greet"}).encode()),
    ("bad_message", json.dumps({"session_id": SESSION, "text": 42}).encode()),
    ("bad_payload", json.dumps({"session_id": SESSION, "payload": "<script>"}).encode()),
    ("bad_profile", json.dumps({"session_id": SESSION, "text": "a", "profile": "x"}).encode()),
]


@pytest.mark.parametrize(("code", "raw"), BAD_BODIES)
async def test_bad_input_gets_400_in_french_and_nothing_is_forwarded(gateway, fake_rasa, code, raw):
    response = await post_chat(gateway, None, raw=raw)
    assert response.status == 400
    body = await response.json()
    assert body["error"] == code
    assert body["message"] and body["message"][0].isupper()
    # The widget must be able to read the reason.
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    assert received(fake_rasa) == []


async def test_too_long_message_says_the_limit(gateway):
    response = await post_chat(gateway, {"session_id": SESSION, "text": "é" * 600})
    assert "500 caractères" in (await response.json())["message"]


async def test_exactly_500_characters_is_accepted(gateway, fake_rasa):
    response = await post_chat(gateway, {"session_id": SESSION, "text": "é" * 500})
    assert response.status == 200
    assert len(received(fake_rasa)[0]["message"]) == 500


async def test_huge_body_is_refused_in_french(gateway, fake_rasa):
    raw = json.dumps({"session_id": SESSION, "text": "a" * 2_000_000}).encode()
    response = await post_chat(gateway, None, raw=raw)
    assert response.status == 413
    assert "trop long" in (await response.json())["message"]
    assert received(fake_rasa) == []


async def test_per_session_limit_is_friendly_and_per_session(fake_rasa, make_gateway):
    client = await make_gateway(fake_rasa.port, web_session_rate=3)
    for _ in range(3):
        assert (await post_chat(client, {"session_id": SESSION, "text": "a"})).status == 200
    limited = await post_chat(client, {"session_id": SESSION, "text": "a"})
    assert limited.status == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert "Attends quelques secondes" in (await limited.json())["message"]
    other = await post_chat(client, {"session_id": "autre-session-42", "text": "a"})
    assert other.status == 200
    assert len(received(fake_rasa)) == 4


async def test_per_ip_limit_covers_every_session(fake_rasa, make_gateway):
    client = await make_gateway(fake_rasa.port, web_ip_rate=3, web_session_rate=0)
    statuses = [
        (await post_chat(client, {"session_id": f"session-{n:04d}", "text": "a"})).status
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert len(received(fake_rasa)) == 3


@pytest.mark.parametrize(
    ("typed", "forwarded"),
    [
        ("mon mail c'est lea.martin76@gmail.com", "mon mail c'est [e-mail masqué]"),
        ("rappelez moi au 06 12 34 56 78 svp", "rappelez moi au [numéro masqué] svp"),
        ("+33612345678 ou 07.98.76.54.32", "[numéro masqué] ou [numéro masqué]"),
        ("j'ai 17 ans, j'habite au 76000", "j'ai 17 ans, j'habite au 76000"),
    ],
)
async def test_emails_and_phones_are_masked_before_forwarding(gateway, fake_rasa, typed, forwarded):
    response = await post_chat(gateway, {"session_id": SESSION, "text": typed})
    body = await response.json()
    assert received(fake_rasa)[0]["message"] == forwarded
    assert body["user_text"] == forwarded
    assert body["masked"] is (typed != forwarded)


async def test_payloads_are_masked_too(gateway, fake_rasa):
    payload = '/inform{"commune":"76540","contact":"lea@exemple.fr"}'
    response = await post_chat(gateway, {"session_id": SESSION, "payload": payload})
    assert response.status == 200
    assert (await response.json())["masked"] is True
    assert received(fake_rasa)[0]["message"] == (
        '/inform{"commune":"76540","contact":"[e-mail masqué]"}'
    )


async def test_rasa_unreachable_gives_503_with_the_fallback_line(make_gateway):
    client = await make_gateway(free_port())
    response = await post_chat(client, {"session_id": SESSION, "text": "bonjour"})
    assert response.status == 503
    body = await response.json()
    assert body["error"] == "rasa_unavailable"
    assert FALLBACK_PHONE in body["message"]
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    phone_parts = [p for p in body["messages"][0]["parts"] if p.get("kind") == "phone"]
    assert phone_parts == [{"text": FALLBACK_PHONE, "href": "tel:+33199005678", "kind": "phone"}]


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, "Internal Server Error"), (200, "pas du JSON"), (200, '{"pas": "une liste"}')],
)
async def test_rasa_answering_nonsense_is_treated_as_down(
    aiohttp_server, make_gateway, status, body
):
    broken = web.Application()

    async def webhook(_request):
        return web.Response(status=status, text=body, content_type="application/json")

    broken.router.add_post("/webhooks/boussole/webhook", webhook)
    server = await aiohttp_server(broken)
    client = await make_gateway(server.port)
    response = await post_chat(client, {"session_id": SESSION, "text": "bonjour"})
    assert response.status == 503
    assert FALLBACK_PHONE in (await response.json())["message"]


async def test_totem_answers_carry_a_qr_code_of_the_contact(gateway):
    response = await post_chat(
        gateway, {"session_id": SESSION, "text": "qui appeler", "mode": "totem"}
    )
    takeaway = (await response.json())["takeaway"]
    assert takeaway["href"] == "tel:+33199001234"
    assert takeaway["shown"] == FICTION_PHONE
    assert takeaway["qr_svg"].startswith("data:image/svg+xml")


async def test_config_gives_welcome_topics_and_privacy(gateway):
    response = await gateway.get(
        "/api/config?partner=partenaire_test", headers={"Origin": PARTNER_ORIGIN}
    )
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    body = await response.json()
    assert body["partner"] == {"id": "partenaire_test", "name": "Partenaire de test"}
    payloads = [b["payload"] for b in body["welcome"]["buttons"]]
    assert "/ask_job_info" in payloads and "/find_local_contact" in payloads
    assert "13 mois" in body["privacy"]["text"]
    assert body["privacy"]["url"].endswith("/confidentialite")
    referent = await (await gateway.get("/api/config?partner=structure_referent")).json()
    assert "/ask_agency_contact" in [b["payload"] for b in referent["welcome"]["buttons"]]


async def test_welcome_payloads_are_intents_of_the_domain(gateway):
    import yaml

    from bot.settings import PROJECT_ROOT
    from bot.web.views import welcome_texts

    intents = set(yaml.safe_load((PROJECT_ROOT / "domain/intents.yml").read_text())["intents"])
    for profile in welcome_texts().values():
        for topic in profile["topics"]:
            assert topic["payload"].lstrip("/") in intents


async def _feedback_rows(url):
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(appdb.feedback)).mappings().all()
    engine.dispose()
    return rows


async def _check_feedback(client, app_db_url):
    body = {"session_id": SESSION, "message_id": f"{SESSION}-1732800000000-0", "rating": "down"}
    response = await client.post(
        "/api/feedback?partner=partenaire_test", json=body, headers={"Origin": PARTNER_ORIGIN}
    )
    assert response.status == 200
    assert (await response.json())["message"] == "Merci pour ton avis !"
    bad = await client.post("/api/feedback?partner=partenaire_test", json={**body, "rating": "bof"})
    assert bad.status == 400
    assert "avis" in (await bad.json())["message"]
    rows = await _feedback_rows(app_db_url)
    assert [(r["session_id"], r["rating"], r["partner_id"]) for r in rows] == [
        (SESSION, -1, "partenaire_test")
    ]


async def test_feedback_is_stored_with_the_conversation(gateway, tmp_path):
    await _check_feedback(gateway, f"sqlite:///{tmp_path / 'app.sqlite3'}")


@pytest.mark.postgres
async def test_feedback_is_stored_in_postgresql(fake_rasa, make_gateway, make_postgres_database):
    url = make_postgres_database("web")
    client = await make_gateway(fake_rasa.port, app_db_url=url)
    await _check_feedback(client, url)


async def test_feedback_with_the_database_down_is_a_french_503(fake_rasa, make_gateway, tmp_path):
    folder = tmp_path / "appdb"
    client = await make_gateway(fake_rasa.port, app_db_url=f"sqlite:///{folder / 'app.sqlite3'}")
    shutil.rmtree(folder)  # the database disappears while the gateway runs
    body = {"session_id": SESSION, "message_id": f"{SESSION}-1-0", "rating": "up"}
    response = await client.post("/api/feedback?partner=partenaire_test", json=body)
    assert response.status == 503
    assert "pas pu être enregistré" in (await response.json())["message"]


async def test_healthz_all_up(gateway):
    response = await gateway.get("/healthz")
    body = await response.json()
    assert response.status == 200, body
    assert body["status"] == "ok"
    services = body["services"]
    assert set(services) == {"rasa", "tracker_store", "actions", "knowledge", "app_db"}
    assert all(part == {"ok": True, "detail": "ok"} for part in services.values())
    assert "fake-rasa" not in json.dumps(body)  # no part says what version it runs


async def test_healthz_says_down_without_rasa(make_gateway):
    client = await make_gateway(free_port())
    response = await client.get("/healthz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "down"
    services = body["services"]
    assert services["rasa"]["ok"] is False and services["tracker_store"]["ok"] is False
    assert services["knowledge"]["ok"] is True and services["app_db"]["ok"] is True


async def test_healthz_says_down_when_rasa_has_no_model(aiohttp_server, make_gateway):
    # What Rasa does when its model fails to load: it serves, and ignores every message.
    async def version(_request):
        return web.json_response({"version": "3.6.21"})

    async def health(_request):
        return web.json_response({"model": False, "tracker_store": True}, status=503)

    app = web.Application()
    app.router.add_get("/version", version)
    app.router.add_get("/webhooks/boussole/health", health)
    rasa = await aiohttp_server(app)
    client = await make_gateway(rasa.port)
    response = await client.get("/healthz")
    body = await response.json()
    assert response.status == 503 and body["status"] == "down"
    assert body["services"]["rasa"] == {"ok": False, "detail": "aucun modèle chargé"}
    assert body["services"]["tracker_store"]["ok"] is True


async def test_healthz_says_degraded_when_the_action_server_is_down(fake_rasa, make_gateway):
    client = await make_gateway(
        fake_rasa.port, action_server_url=f"http://127.0.0.1:{free_port()}/webhook"
    )
    response = await client.get("/healthz")
    body = await response.json()
    assert response.status == 200 and body["status"] == "degraded"
    assert body["services"]["actions"]["ok"] is False and body["services"]["rasa"]["ok"] is True


async def test_healthz_checks_redis_when_limits_are_counted_there(fake_rasa, make_gateway):
    client = await make_gateway(fake_rasa.port, redis_url="redis://127.0.0.1:1/0")
    response = await client.get("/healthz")
    body = await response.json()
    # Rasa's lock store is in that Redis too: no turn can be taken.
    assert response.status == 503 and body["status"] == "down"
    assert body["services"]["redis"]["ok"] is False


async def test_wrong_routes_answer_in_french(gateway):
    api = await gateway.get("/api/chat")
    assert api.status == 405
    assert (await api.json())["message"] == "Cette méthode n'est pas acceptée ici."
    page = await gateway.get("/nulle-part")
    assert page.status == 404
    assert BeautifulSoup(await page.text(), "html.parser").p.get_text() == (
        "Cette adresse n'existe pas."
    )
