"""Access control: anonymous refusal on every route, login, throttling, cookies, CSRF, roles."""

from __future__ import annotations

import re

import pytest
from aiohttp import web

from bot.console import views
from tests.console.conftest import PASSWORD, csrf_of, login, page_csrf, soup

# Only the login form is open to anonymous visitors (plus the stylesheet).
EXPECTED_PUBLIC = {("GET", "/console/login"), ("POST", "/console/login")}
SAMPLE_PARAMS = {"sender_id": "conv-rouen", "table": "jours", "correction_id": "1"}


def console_routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, concrete path) of every console route in the app's router."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        template = info.get("path") or info.get("formatter")
        if template is None or not template.startswith("/console") or "prefix" in info:
            continue
        path = re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: SAMPLE_PARAMS[m.group(1)], template)
        if route.method != "HEAD":
            found.append((route.method, path))
    return found


async def test_router_walk_finds_every_page(console_app):
    routes = set(console_routes(console_app))
    assert len(routes) >= 20
    assert ("GET", "/console/conversations/conv-rouen") in routes
    assert ("POST", "/console/conversations/conv-rouen/erase") in routes


async def test_every_console_route_refuses_an_anonymous_request(aiohttp_client, console_app):
    client = await aiohttp_client(console_app)
    public = set()
    for method, path in console_routes(console_app):
        response = await client.request(method, path, allow_redirects=False)
        body = await response.text()
        if response.status == 200:
            public.add((method, path))
            continue
        if method == "GET":
            assert response.status == 302, (method, path, response.status)
            assert response.headers["Location"].startswith("/console/login?next=")
        else:
            assert response.status in (401, 403), (method, path, response.status)
        assert "conv-rouen" not in body and "cuisine" not in body
    assert public == {("GET", "/console/login")}
    # A correct login CSRF pair is still not a session: the POST views stay closed.
    page = await client.get("/console/login")
    token = csrf_of(await page.text())
    for method, path in console_routes(console_app):
        if method == "POST" and (method, path) not in EXPECTED_PUBLIC:
            response = await client.post(path, data={"csrf_token": token}, allow_redirects=False)
            assert response.status == 401, path
            assert "Connectez-vous" in await response.text()


async def test_static_files_are_served(aiohttp_client, console_app):
    client = await aiohttp_client(console_app)
    response = await client.get("/console/static/console.css")
    assert response.status == 200


async def test_login_sets_a_strict_httponly_cookie_and_logout_ends_the_session(
    aiohttp_client, console_app
):
    client = await aiohttp_client(console_app)
    page = await client.get("/console/login")
    token = csrf_of(await page.text())
    response = await client.post(
        "/console/login",
        data={"email": "Staff@AOM.fr", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 302
    cookie = next(
        h for h in response.headers.getall("Set-Cookie") if h.startswith("boussole_console=")
    )
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests
    listing = await client.get("/console/conversations")
    assert listing.status == 200
    csrf = csrf_of(await listing.text())
    out = await client.post("/console/logout", data={"csrf_token": csrf}, allow_redirects=False)
    assert out.status == 302
    # Even replaying the old cookie, the session is gone server-side.
    session = cookie.split(";")[0].split("=", 1)[1]
    again = await client.get(
        "/console/conversations",
        headers={"Cookie": f"boussole_console={session}"},
        allow_redirects=False,
    )
    assert again.status == 302


@pytest.mark.parametrize(
    ("trusted_proxies", "secure"),
    [("127.0.0.1", True), ("", False)],  # the header counts only from a declared proxy
)
async def test_cookie_is_secure_behind_https(
    aiohttp_client, make_console_app, trusted_proxies, secure
):
    client = await aiohttp_client(make_console_app(trusted_proxies=trusted_proxies))
    page = await client.get("/console/login")
    token = csrf_of(await page.text())
    response = await client.post(
        "/console/login",
        data={"email": "staff@aom.fr", "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-Proto": "https"},
        allow_redirects=False,
    )
    cookie = next(
        h for h in response.headers.getall("Set-Cookie") if h.startswith("boussole_console=")
    )
    assert ("Secure" in cookie) is secure


async def test_wrong_password_is_refused_in_french(client_for):
    client = await client_for()
    response = await login(client, "staff@aom.fr", "not the password")
    assert response.status == 401
    assert "E-mail ou mot de passe incorrect." in soup(await response.text()).get_text()


async def test_login_is_throttled_after_repeated_failures(client_for):
    client = await client_for()
    for _ in range(5):
        assert (await login(client, "staff@aom.fr", "wrong password!!")).status == 401
    response = await login(client, "staff@aom.fr", PASSWORD)
    assert response.status == 429
    assert "Trop de tentatives" in await response.text()
    # Another account is not locked by someone guessing this one.
    assert (await login(client, "admin@aom.fr", PASSWORD)).status == 200


async def test_open_redirect_is_refused(client_for):
    client = await client_for()
    page = await client.get("/console/login?next=https://evil.example/")
    form = soup(await page.text()).find("input", {"name": "next"})
    assert form["value"] == "/console/conversations"


@pytest.mark.parametrize("token", [None, "", "forged"])
async def test_post_without_the_csrf_token_is_forbidden(client_for, token):
    client = await client_for("staff@aom.fr")
    data = {"status": "reviewed"}
    if token is not None:
        data["csrf_token"] = token
    response = await client.post(
        "/console/conversations/conv-rouen/review", data=data, allow_redirects=False
    )
    assert response.status == 403
    assert "Formulaire expiré ou invalide" in await response.text()
    detail = await client.get("/console/conversations/conv-rouen")
    assert "Non traitée" in await detail.text()


async def test_login_post_needs_its_csrf_token(client_for):
    client = await client_for()
    response = await client.post(
        "/console/login", data={"email": "staff@aom.fr", "password": PASSWORD}
    )
    assert response.status == 403


async def test_post_with_the_csrf_token_works(client_for):
    client = await client_for("staff@aom.fr")
    csrf = await page_csrf(client, "/console/conversations/conv-rouen")
    response = await client.post(
        "/console/conversations/conv-rouen/review",
        data={"status": "reviewed", "csrf_token": csrf},
    )
    assert response.status == 200
    assert "Revue" in soup(await response.text()).select_one(".marks").get_text()


@pytest.mark.parametrize(
    ("email", "path", "status"),
    [
        ("staff@aom.fr", "/console/users", 403),
        ("staff@aom.fr", "/console/audit", 403),
        ("ref@rouen.fr", "/console/inbox", 403),
        ("ref@rouen.fr", "/console/users", 403),
        ("ref@rouen.fr", "/console/conversations/conv-caen", 404),
        ("ref@rouen.fr", "/console/conversations/conv-rouen", 200),
        ("admin@aom.fr", "/console/users", 200),
    ],
)
async def test_role_limits_on_pages(client_for, email, path, status):
    client = await client_for(email)
    response = await client.get(path)
    assert response.status == status
    if status == 403:
        assert "Votre rôle ne donne pas accès" in await response.text()


async def test_only_admins_erase(client_for):
    client = await client_for("staff@aom.fr")
    csrf = await page_csrf(client)
    response = await client.post(
        "/console/conversations/conv-rouen/erase", data={"csrf_token": csrf, "confirm": "1"}
    )
    assert response.status == 403
    assert (await client.get("/console/conversations/conv-rouen")).status == 200


async def test_referent_cannot_tag_or_review(client_for):
    client = await client_for("ref@rouen.fr")
    csrf = await page_csrf(client)
    response = await client.post(
        "/console/conversations/conv-rouen/tags", data={"csrf_token": csrf, "tag": "x"}
    )
    assert response.status == 403


async def test_errors_are_french_pages_without_traceback(client_for):
    client = await client_for("staff@aom.fr")
    response = await client.get("/console/conversations?date_from=hier")
    text = await response.text()
    assert response.status == 400
    assert "Date illisible" in text and "Traceback" not in text
    missing = await client.get("/console/conversations/nobody")
    assert missing.status == 404 and "Page introuvable" in await missing.text()
    assert views.PUBLIC_PATHS == ("/console/login",)


async def test_the_gateway_app_mounts_the_console_closed_to_anonymous(
    aiohttp_client, tracker_url, app_url, tmp_path
):
    from dataclasses import replace

    from bot.settings import load_settings
    from bot.web.app import create_app

    settings = replace(
        load_settings({}),
        tracker_db_url=tracker_url,
        app_db_url=app_url,
        knowledge_db_url=f"sqlite:///{tmp_path / 'no-knowledge.sqlite3'}",
    )
    app = create_app(settings)
    routes = console_routes(app)
    assert len(routes) >= 20
    client = await aiohttp_client(app)
    for method, path in routes:
        response = await client.request(method, path, allow_redirects=False)
        if (method, path) == ("GET", "/console/login"):
            assert response.status == 200
        elif method == "GET":
            assert response.status == 302, path
        else:
            assert response.status in (401, 403), path
    # And a staff member can log in through the gateway and read a conversation.
    assert (await login(client, "staff@aom.fr")).status == 200
    page = await client.get("/console/conversations/conv-rouen")
    assert "je cherche une formation en cuisine" in await page.text()
