"""The widget and the totem in Debian's Chromium, driven by Playwright.

The widget flows run twice: in front of the fake Rasa (answers are known, so they are asserted
exactly) and against the real stack (the session fixture ``live_stack``: trained Rasa, actions,
gateway, as `make run` starts them), where the answers' wording is the model's. Screenshots go to
``results/``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from web_support import FALLBACK_PHONE, ServedApps, StandInKnowledge

from bot.settings import PROJECT_ROOT, load_settings
from bot.stack import free_port
from bot.web.app import create_app
from bot.web.fake_rasa import FICTION_PHONE, create_fake_rasa
from knowledge.safety import load_safety_answers

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
RESULTS = PROJECT_ROOT / "results"
TOTEM_IDLE_SECONDS = 4
LAUNCHER = "Une question\u00a0? Boussole t'aide"
TOPIC = "Découvrir un métier"
QUESTION = "je cherche une formation en cuisine"

# The element that has the keyboard focus, looking inside shadow roots.
FOCUSED_LABEL = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  return a ? (a.getAttribute('aria-label') || a.id || a.textContent.trim()) : null;
}"""

# WCAG contrast ratio of an element's text against the first opaque background behind it
# (walking out of the shadow root through its host).
CONTRAST = """(el) => {
  const parse = (c) => {
    const p = c.match(/rgba?\\(([^)]+)\\)/)[1].split(",").map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = (c) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  let node = el, bg = { r: 255, g: 255, b: 255 };
  while (node) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c.a > 0) { bg = c; break; }
    node = node.parentElement || (node.getRootNode().host || null);
  }
  const a = lum(parse(getComputedStyle(el).color)), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""
TEXT_ELEMENTS = [
    ".bsl-launcher",
    ".bsl-title",
    ".bsl-subtitle",
    ".bsl-reset",
    ".bsl-privacy",
    ".bsl-privacy .bsl-link",
    ".bsl-bot .bsl-bubble",
    ".bsl-user .bsl-bubble",
    ".bsl-bubble .bsl-link",
    ".bsl-thumb",
    ".bsl-notice",
    ".bsl-send",
]


@dataclass(frozen=True)
class Backend:
    """Where the browser goes: the gateway's base URL, a partner, and whether Rasa is fake."""

    base_url: str
    partner: str
    fake: bool


def _fake_gateway(served: ServedApps, tmp: Path, rasa_port: int, **overrides) -> str:
    web_port = free_port()
    settings = replace(
        load_settings({}),
        host="127.0.0.1",
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_port=rasa_port,
        web_port=web_port,
        app_db_url=f"sqlite:///{tmp / f'app-{web_port}.sqlite3'}",
        demo_partner="partenaire_test",
        **overrides,
    )
    return served.serve(create_app(settings, knowledge=StandInKnowledge()), web_port)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    apps = ServedApps()
    yield apps
    apps.close()


@pytest.fixture(scope="module")
def fake_backend(served, tmp_path_factory) -> Backend:
    """Gateway + fake Rasa on real ports (the fake answers after 0.3 s: the typing indicator)."""
    rasa_port = free_port()
    served.serve(create_fake_rasa(delay=0.3), rasa_port)
    tmp = tmp_path_factory.mktemp("web")
    base = _fake_gateway(served, tmp, rasa_port, totem_idle_seconds=TOTEM_IDLE_SECONDS)
    return Backend(base, "partenaire_test", fake=True)


@pytest.fixture(scope="module", params=["fake", "live"])
def widget_backend(request) -> Backend:
    """The backend of the widget flows: the fake Rasa, then the real stack."""
    if request.param == "live":
        settings = request.getfixturevalue("live_stack").settings
        return Backend(f"http://{settings.host}:{settings.web_port}", settings.demo_partner, False)
    return request.getfixturevalue("fake_backend")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / name))


def bot_bubbles(page):
    return page.locator(".bsl-bot .bsl-bubble")


def test_widget_flow_with_the_mouse(page, widget_backend):
    from playwright.sync_api import expect

    posted = []
    page.on(
        "request",
        lambda r: (
            posted.append(json.loads(r.post_data)) if urlsplit(r.url).path == "/api/chat" else None
        ),
    )
    page.goto(f"{widget_backend.base_url}/demo")
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(bot_bubbles(page).first).to_contain_text("Je suis Boussole")
    expect(page.locator(".bsl-privacy")).to_contain_text("mois")

    page.get_by_role("button", name=TOPIC).click()
    expect(page.locator(".bsl-user .bsl-bubble").last).to_have_text("Toi : " + TOPIC)
    expect(bot_bubbles(page)).to_have_count(2)

    page.get_by_role("textbox", name="Ton message").fill(QUESTION)
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator(".bsl-typing")).to_be_visible()
    if widget_backend.fake:
        expect(bot_bubbles(page).nth(2)).to_have_text(f"Boussole : Tu m'as écrit : {QUESTION}")
        phone = page.get_by_role("link", name=FICTION_PHONE)
        expect(phone).to_have_attribute("href", "tel:+33199001234")
    else:
        expect(bot_bubbles(page)).not_to_have_count(2, timeout=30_000)
    expect(page.locator(".bsl-typing")).to_be_hidden()
    # Each message carries its own id (Rasa answers one sent twice only once).
    turn_ids = [body["turn_id"] for body in posted]
    assert len(turn_ids) == 2 and len(set(turn_ids)) == 2, posted
    assert all(re.fullmatch("[0-9a-f]{32}", turn_id) for turn_id in turn_ids)
    shot(page, "widget-desktop.png")
    before = bot_bubbles(page).all_inner_texts()

    page.get_by_role("button", name="Réponse utile").last.click()
    expect(page.locator(".bsl-notice")).to_have_text("Merci pour ton avis !")
    expect(page.get_by_role("button", name="Réponse utile").last).to_have_attribute(
        "aria-pressed", "true"
    )

    for selector in TEXT_ELEMENTS:
        if not widget_backend.fake and page.locator(selector).count() == 0:
            continue  # the real bot's answer may have no link; the fake one always does
        ratio = page.locator(selector).first.evaluate(CONTRAST)
        assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f} is below AA"

    page.reload()
    expect(page.get_by_role("log")).to_be_visible()
    expect(bot_bubbles(page)).to_have_count(len(before))
    assert bot_bubbles(page).all_inner_texts() == before
    # Restored silently, then live again for the next answers.
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("button", name="Réponse utile").last).to_have_attribute(
        "aria-pressed", "true"
    )

    page.get_by_role("button", name="Nouvelle conversation").click()
    expect(bot_bubbles(page)).to_have_count(1)
    expect(page.locator(".bsl-user")).to_have_count(0)
    expect(page.locator(".bsl-notice")).to_contain_text("Nouvelle conversation")


def test_widget_flow_with_the_keyboard_only(page, widget_backend):
    from playwright.sync_api import expect

    page.goto(f"{widget_backend.base_url}/demo")
    expect(page.get_by_role("button", name=LAUNCHER)).to_be_visible()
    tab_to(page, LAUNCHER, "Tab")
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUSED_LABEL) == "bsl-input"

    tab_to(page, TOPIC, "Shift+Tab")
    # The focus ring must be visible (RGAA): an outline is drawn on the focused button.
    outline = page.get_by_role("button", name=TOPIC).evaluate(
        "b => getComputedStyle(b).outlineStyle + ' ' + getComputedStyle(b).outlineWidth"
    )
    assert outline == "solid 3px"
    page.keyboard.press("Enter")
    expect(bot_bubbles(page)).to_have_count(2)
    assert page.evaluate(FOCUSED_LABEL) == "bsl-input"

    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    expect(bot_bubbles(page)).not_to_have_count(2, timeout=30_000)
    if widget_backend.fake:
        expect(bot_bubbles(page).nth(2)).to_contain_text(QUESTION)
    shot(page, "widget-keyboard.png")
    kept = bot_bubbles(page).all_inner_texts()

    page.keyboard.press("Escape")
    expect(page.locator(".bsl-panel")).to_be_hidden()
    assert page.evaluate(FOCUSED_LABEL) == LAUNCHER

    page.reload()
    tab_to(page, LAUNCHER, "Tab")
    page.keyboard.press("Enter")
    expect(bot_bubbles(page)).to_have_count(len(kept))
    assert bot_bubbles(page).all_inner_texts() == kept
    tab_to(page, "Nouvelle conversation", "Shift+Tab")
    page.keyboard.press(" ")
    expect(bot_bubbles(page)).to_have_count(1)
    expect(page.locator(".bsl-user")).to_have_count(0)


def tab_to(page, label: str, key: str) -> None:
    """Press ``key`` (Tab or Shift+Tab) until ``label`` has the focus."""
    for _ in range(40):
        page.keyboard.press(key)
        if page.evaluate(FOCUSED_LABEL) == label:
            return
    pytest.fail(f"« {label} » cannot be reached with {key}")


def test_an_old_conversation_is_not_restored(page, widget_backend):
    from playwright.sync_api import expect

    page.goto(f"{widget_backend.base_url}/demo")
    page.get_by_role("button", name=LAUNCHER).click()
    page.get_by_role("button", name=TOPIC).click()
    expect(page.locator(".bsl-user")).to_have_count(1)
    # the answer arrives and is saved (with a fresh date) before the save is made to look old
    expect(page.locator(".bsl-typing")).to_be_hidden()
    key = f"boussole:{widget_backend.partner}"
    page.evaluate(
        """(key) => {
          const saved = JSON.parse(localStorage.getItem(key));
          saved.savedAt = Date.now() - 8 * 24 * 3600 * 1000;
          localStorage.setItem(key, JSON.stringify(saved));
        }""",
        key,
    )
    page.reload()
    page.get_by_role("button", name=LAUNCHER).click()
    expect(bot_bubbles(page)).to_have_count(1)
    expect(page.locator(".bsl-user")).to_have_count(0)


def test_widget_fits_a_360_px_screen(browser, widget_backend):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{widget_backend.base_url}/demo")
    page.get_by_role("button", name=LAUNCHER).click()
    expect(bot_bubbles(page).first).to_be_visible()
    box = page.locator(".bsl-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert box["y"] >= 0 and box["y"] + box["height"] <= 740
    for button in page.locator(".bsl-reply").all():
        assert button.bounding_box()["height"] >= 40  # comfortable touch targets
    shot(page, "widget-360.png")
    context.close()


def test_widget_says_whom_to_call_when_rasa_is_down(page, served, tmp_path):
    from playwright.sync_api import expect

    base = _fake_gateway(served, tmp_path, free_port())
    page.goto(f"{base}/demo")
    page.get_by_role("button", name=LAUNCHER).click()
    page.get_by_role("textbox", name="Ton message").fill("bonjour")
    page.keyboard.press("Enter")
    expect(bot_bubbles(page).last).to_contain_text("Je ne peux pas te répondre")
    expect(page.get_by_role("link", name=FALLBACK_PHONE)).to_have_attribute(
        "href", "tel:+33199005678"
    )


def test_every_distress_number_is_a_phone_link(page, widget_backend):
    """3114, 119, 3018 (the short numbers of contacts.yml) can be tapped to call, in the line's
    label as well as after it, and so can the lines with ten digits."""
    from playwright.sync_api import expect

    safety = load_safety_answers()
    page.goto(f"{widget_backend.base_url}/demo")
    page.get_by_role("button", name=LAUNCHER).click()
    page.get_by_role("textbox", name="Ton message").fill("je veux mourir")
    page.keyboard.press("Enter")
    log = page.get_by_role("log")
    expect(log).to_contain_text(safety.phones("distress")[-1], timeout=30_000)
    for number in safety.short_numbers():
        links = log.get_by_role("link", name=number, exact=True)
        expect(links).to_have_count(2)  # « 3114 – numéro national… : 3114 (appel gratuit) »
        for link in links.all():
            expect(link).to_have_attribute("href", f"tel:{number}")
    for phone in safety.phones("distress"):
        expect(log.get_by_role("link", name=phone, exact=True).first).to_have_attribute(
            "href", re.compile(r"^tel:\+?\d+$")
        )
    shot(page, "widget-distress-links.png")


def test_widget_refuses_too_long_messages_without_losing_them(page, widget_backend):
    from playwright.sync_api import expect

    page.goto(f"{widget_backend.base_url}/demo")
    page.get_by_role("button", name=LAUNCHER).click()
    long_text = "a" * 520
    box = page.get_by_role("textbox", name="Ton message")
    box.fill(long_text)
    expect(page.locator(".bsl-counter")).to_have_text("520 / 500")
    page.keyboard.press("Enter")
    expect(page.locator(".bsl-notice")).to_contain_text("500 caractères maximum")
    expect(box).to_have_value(long_text)
    expect(page.locator(".bsl-user")).to_have_count(0)


def test_totem_topics_first_qr_code_and_reset_after_idle(browser, fake_backend):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    page = context.new_page()
    page.goto(f"{fake_backend.base_url}/totem?partner={fake_backend.partner}")
    topic = page.get_by_role("button", name=TOPIC)
    expect(topic).to_be_visible()
    assert topic.bounding_box()["height"] >= 64
    topic.tap()
    expect(bot_bubbles(page)).to_have_count(2)

    page.get_by_role("textbox", name="Ton message").fill("qui appeler ?")
    page.get_by_role("button", name="Envoyer").tap()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("alt", f"QR code vers {FICTION_PHONE}")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    # Nothing on the kiosk navigates away: numbers and addresses are text, the QR code carries them.
    expect(page.locator(".bsl-log").get_by_text(FICTION_PHONE)).to_be_visible()
    expect(page.get_by_role("link")).to_have_count(0)
    shot(page, "totem.png")

    notice = page.locator(".bsl-notice")
    expect(notice).to_contain_text("Tu es toujours là", timeout=TOTEM_IDLE_SECONDS * 1000)
    expect(notice).to_contain_text("a été effacée", timeout=TOTEM_IDLE_SECONDS * 1000)
    expect(page.locator(".bsl-user")).to_have_count(0)
    expect(bot_bubbles(page)).to_have_count(1)
    expect(page.locator(".bsl-takeaway")).to_be_hidden()
    expect(topic).to_be_visible()
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    shot(page, "totem-reset.png")
    context.close()


@pytest.fixture(scope="module")
def slow_backend(served, tmp_path_factory) -> Backend:
    """Gateway + a fake Rasa that takes 2.5 s to answer: a reset happens while it thinks."""
    rasa_port = free_port()
    served.serve(create_fake_rasa(delay=2.5), rasa_port)
    tmp = tmp_path_factory.mktemp("slow")
    return Backend(_fake_gateway(served, tmp, rasa_port), "partenaire_test", fake=True)


def test_totem_reset_clears_the_box_and_drops_a_late_answer(browser, slow_backend):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    page = context.new_page()
    page.goto(f"{slow_backend.base_url}/totem?partner={slow_backend.partner}")
    box = page.get_by_role("textbox", name="Ton message")
    box.fill("je m'appelle Camille et j'habite Elbeuf")
    page.get_by_role("button", name="Envoyer").tap()
    expect(page.locator(".bsl-typing")).to_be_visible()
    box.fill("et aussi un brouillon pas encore envoyé")
    # The first visitor leaves; the next one taps « Nouvelle conversation » while Rasa thinks.
    page.get_by_role("button", name="Nouvelle conversation").tap()
    expect(box).to_have_value("")
    expect(page.locator(".bsl-user")).to_have_count(0)
    expect(page.locator(".bsl-typing")).to_be_hidden()
    expect(page.get_by_role("button", name="Envoyer")).to_be_enabled()
    page.wait_for_timeout(3500)  # the first visitor's answer has arrived by now: not shown
    expect(bot_bubbles(page)).to_have_count(1)
    expect(page.locator(".bsl-log")).not_to_contain_text("Camille")
    expect(page.locator(".bsl-takeaway")).to_be_hidden()
    shot(page, "totem-late-answer-dropped.png")
    # The next visitor's own question is answered normally.
    box.fill("bonjour")
    page.get_by_role("button", name="Envoyer").tap()
    expect(bot_bubbles(page).nth(1)).to_contain_text("Tu m'as écrit : bonjour", timeout=15_000)
    expect(page.locator(".bsl-log")).not_to_contain_text("Camille")
    context.close()


def test_widget_stores_only_the_masked_text(page, fake_backend):
    """What is typed reaches ``localStorage`` only as the gateway masked it, never as typed."""
    from playwright.sync_api import expect

    typed = "moi c'est Kevin, mon tel 06 12 34 56 78, j'habite 12 rue des Lilas à Rouen"
    stored = "() => JSON.stringify(Object.assign({}, window.localStorage))"
    page.goto(f"{fake_backend.base_url}/demo")
    page.get_by_role("button", name=LAUNCHER).click()
    box = page.get_by_role("textbox", name="Ton message")

    # The gateway cannot be reached: the message stays on screen, never in the storage.
    page.route("**/api/chat**", lambda route: route.abort())
    box.fill(typed)
    page.keyboard.press("Enter")
    expect(page.locator(".bsl-notice")).to_contain_text("Impossible de joindre Boussole")
    assert "06 12 34 56 78" not in page.evaluate(stored)
    page.unroute("**/api/chat**")

    box.fill(typed)
    page.keyboard.press("Enter")
    masked = "moi c'est [nom masqué], mon tel [numéro masqué], j'habite [adresse masquée] à Rouen"
    expect(page.locator(".bsl-user .bsl-bubble").last).to_have_text("Toi : " + masked)
    expect(page.locator(".bsl-notice")).to_contain_text("données personnelles")
    content = page.evaluate(stored)
    assert masked in content
    for piece in ("Kevin", "06 12 34 56 78", "12 rue des Lilas"):
        assert piece not in content


def test_the_widgets_own_words_follow_the_profile(page, fake_backend):
    """« vous » on a referent's page from the start, and on a young people's page once the
    conversation says a parent is writing (the gateway sends the profile with each answer)."""
    from playwright.sync_api import expect

    page.goto(f"{fake_backend.base_url}/demo?partner=structure_referent")
    page.get_by_role("button", name="Une question\u00a0? Boussole vous aide").click()
    box = page.get_by_role("textbox", name="Votre message")
    expect(box).to_have_attribute("placeholder", "Écrivez votre question…")

    posted = []
    page.on(
        "request",
        lambda r: (
            posted.append(json.loads(r.post_data)) if urlsplit(r.url).path == "/api/chat" else None
        ),
    )
    page.goto(f"{fake_backend.base_url}/demo")
    launcher = page.get_by_role("button", name=LAUNCHER)
    launcher.click()
    box = page.get_by_role("textbox", name="Ton message")
    expect(box).to_have_attribute("placeholder", "Écris ta question…")
    privacy = page.get_by_role("link", name="En savoir plus")
    expect(privacy).to_have_attribute("href", re.compile(r"/confidentialite$"))
    box.fill("ma fille a 16 ans")
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Votre message")
    expect(box).to_have_attribute("placeholder", "Écrivez votre question…")
    expect(privacy).to_have_attribute("href", re.compile(r"/confidentialite\?voix=vous$"))
    expect(
        page.get_by_role("button", name="Une question\u00a0? Boussole vous aide")
    ).to_be_visible()
    expect(page.locator(".bsl-log")).to_contain_text("Tu m'as écrit : ma fille a 16 ans")

    box.fill("elle est au collège")
    page.keyboard.press("Enter")
    expect(page.locator(".bsl-user .bsl-bubble").last).to_have_text("Vous : elle est au collège")
    assert posted[-1]["profile"] == "parent"  # sent back: the gateway's own words say « vous »
    expect(page.locator(".bsl-typing")).to_be_hidden()
    page.route("**/api/chat**", lambda route: route.abort())
    box.fill("et après ?")
    page.keyboard.press("Enter")
    expect(page.locator(".bsl-notice")).to_have_text(
        "Impossible de joindre Boussole. Vérifiez votre connexion puis réessayez."
    )
    page.unroute("**/api/chat**")

    page.reload()  # the profile is kept with the conversation
    page.get_by_role("textbox", name="Votre message").wait_for()
    page.get_by_role("button", name="Nouvelle conversation").click()  # maybe someone else
    expect(page.get_by_role("textbox", name="Ton message")).to_have_attribute(
        "placeholder", "Écris ta question…"
    )
