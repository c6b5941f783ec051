"""The gateway's pages and embed files, read as a browser would get them."""

from __future__ import annotations

import asyncio
import re

from bs4 import BeautifulSoup

from bot.settings import PROJECT_ROOT
from bot.web.routes import STATIC_DIR
from knowledge.voice import informal_words
from tests.console.conftest import TODAY, csrf_of, login, make_accounts, write_sample


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


async def test_demo_shows_the_one_line_embed_and_loads_the_widget(fake_rasa, make_gateway):
    client = await make_gateway(fake_rasa.port, demo_partner="partenaire_test")
    response = await client.get("/demo")
    assert response.status == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    page = soup(await response.text())
    base = f"http://{client.host}:{client.port}"
    assert page.find("code", string=lambda s: s and "widget.js" in s).get_text() == (
        f'<script src="{base}/widget.js" data-partner="partenaire_test" defer></script>'
    )
    script = page.find("script", src=f"{base}/widget.js")
    assert script["data-partner"] == "partenaire_test"
    assert page.html["lang"] == "fr"


async def test_totem_page_has_the_idle_timeout_and_partner(fake_rasa, make_gateway):
    client = await make_gateway(fake_rasa.port, totem_idle_seconds=7)
    page = soup(await (await client.get("/totem?partner=partenaire_test")).text())
    script = page.find("script", src="/widget.js")
    assert script["data-mode"] == "totem"
    assert script["data-idle-seconds"] == "7"
    assert page.find(id=script["data-mount"]) is not None


async def test_totem_for_an_unknown_partner_is_a_french_403_page(gateway):
    response = await gateway.get("/totem?partner=inconnu")
    assert response.status == 403
    assert "partenaire de Boussole" in soup(await response.text()).main.get_text()


async def test_privacy_page_says_how_long(gateway):
    page = soup(await (await gateway.get("/confidentialite")).text())
    assert "395 jours" in page.get_text()
    assert "au plus 7 jours" in " ".join(page.get_text().split())


async def test_privacy_page_says_vous_to_parents_and_professionals(gateway):
    youth = " ".join(
        soup(await (await gateway.get("/confidentialite")).text()).main.get_text().split()
    )
    page = soup(await (await gateway.get("/confidentialite?voix=vous")).text())
    vous = " ".join(page.main.get_text().split())
    assert informal_words(vous) == [], informal_words(vous)
    assert "Vos droits" in vous and "au plus 7 jours après votre dernier message" in vous
    assert "Tes droits" in youth and informal_words(youth)
    # The widget's link follows the page's profile.
    config = await (
        await gateway.get("/api/config?partner=partenaire_test&profile=referent")
    ).json()
    assert config["privacy"]["url"].endswith("/confidentialite?voix=vous")


async def test_widget_files_are_served_locally(gateway):
    js = await gateway.get("/widget.js")
    assert js.status == 200
    assert "javascript" in js.headers["Content-Type"]
    css = await gateway.get("/widget.css")
    assert css.status == 200 and "text/css" in css.headers["Content-Type"]


def test_widget_never_inserts_html():
    # User and bot text must only ever reach the DOM as text.
    source = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source
    # Nothing loaded from a CDN: the only absolute address is the placeholder in the comment.
    assert re.findall(r"https?://[\w.-]+", source) == ["https://GATEWAY"]


async def test_console_is_mounted_with_its_own_login(gateway):
    response = await gateway.get("/console", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"].startswith("/console/login")


async def test_the_console_export_writes_into_the_root_and_day_it_is_given(
    fake_rasa, make_gateway, gateway_settings, tmp_path
):
    settings = gateway_settings(fake_rasa.port)
    make_accounts(settings.app_db_url)
    await asyncio.to_thread(write_sample, settings.tracker_db_url)  # it runs its own loop
    client = await make_gateway(fake_rasa.port)
    assert (await login(client, "staff@aom.fr")).status == 200
    csrf = csrf_of(await (await client.get("/console/inbox")).text())
    written = await client.post("/console/inbox/export", data={"csrf_token": csrf})
    notice = soup(await written.text()).select_one(".notice").get_text()
    day = TODAY.isoformat()
    assert f"écrit(s) dans data/nlu/review_{day}.yml" in notice
    assert (tmp_path / "project" / "data" / "nlu" / f"review_{day}.yml").is_file()
    assert not (PROJECT_ROOT / "data" / "nlu" / f"review_{day}.yml").exists()


def test_the_widgets_own_words_have_a_vous_form_without_tu():
    import json

    from knowledge.voice import informal_words

    source = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    table = source[source.index("var WORDS = {") : source.index("};", source.index("var WORDS"))]
    string = r'"(?:[^"\\]|\\.)*"'
    pairs = re.findall(rf"(\w+): \[\s*({string}),\s*({string}),?\s*\]", table)
    assert len(pairs) == table.count(": [") >= 10
    for key, youth, formal in pairs:
        youth, formal = json.loads(youth), json.loads(formal)
        assert informal_words(formal) == [], (key, formal)
        assert youth != formal, key
    # every word the widget says itself comes from the table
    for said in ("Écris ta question", "Ton message n'a pas pu", "Vérifie ta connexion"):
        assert source.count(said) == 1, said
