"""Hostile input, property-based: bodies and headers no client should send, to `/api/chat`,
`/api/feedback` and the console's forms, through real HTTP to a gateway on a real port.

Properties: no answer is a 5xx; an API refusal is French JSON; a refused request stores nothing
(Rasa is not called, no feedback, tag, review, annotation or account is written). The figures
(requests sent, statuses seen) are printed and written to ``results/fuzz.json``.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse
from collections import Counter
from dataclasses import replace

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_support import PARTNER_ORIGIN, SESSION, ServedApps, StandInKnowledge

from bot import appdb
from bot.settings import PROJECT_ROOT, load_settings
from bot.stack import free_port
from bot.web.app import create_app
from bot.web.fake_rasa import RECEIVED_KEY, create_fake_rasa
from tests.console.conftest import NOW, PASSWORD, csrf_of, make_accounts, write_sample

FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,  # the same hostile inputs on every run: a failure is reproducible
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# What a refused request must not have written (the audit log and the login throttle are
# written on purpose for refused logins).
STORED = ("feedback", "tags", "reviews", "annotations", "console_users")
FRENCH = re.compile(r"[a-zà-ÿ]+ [a-zà-ÿ]+", re.IGNORECASE)


class Target:
    """A gateway (fake Rasa behind it, console on sample data) and what was sent to it."""

    def __init__(self, tmp_path) -> None:
        self.apps = ServedApps()
        self.fake = create_fake_rasa()
        rasa_port, self.port = free_port(), free_port()
        self.apps.serve(self.fake, rasa_port)
        tracker_url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
        self.app_url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
        write_sample(tracker_url)
        make_accounts(self.app_url)
        config = replace(
            load_settings({}),
            host="127.0.0.1",
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            action_port=rasa_port,
            app_db_url=self.app_url,
            tracker_db_url=tracker_url,
            log_dir=str(tmp_path / "logs"),
            # Limits off: every accepted body must reach Rasa, every hostile one be parsed.
            web_ip_rate=0,
            web_session_rate=0,
        )
        # The console's export writes review_<day>.yml: into a throw-away root, on a fixed day.
        app = create_app(
            config,
            knowledge=StandInKnowledge(),
            project_root=tmp_path / "project",
            clock=lambda: NOW,
        )
        self.apps.serve(app, self.port)
        self.engine = appdb.get_engine(self.app_url)
        self.statuses: dict[str, Counter] = {}
        self.accepted_chats = 0
        self.session_cookie, self.csrf = self._login()

    def request(self, method: str, path: str, body: bytes = b"", headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.msg, response.read()
        finally:
            connection.close()

    def _login(self) -> tuple[str, str]:
        status, headers, page = self.request("GET", "/console/login")
        login_cookie = headers["Set-Cookie"].split(";")[0]
        form = f"email=admin%40aom.fr&password={PASSWORD.replace(' ', '+')}"
        form += f"&csrf_token={csrf_of(page.decode())}"
        status, headers, _ = self.request(
            "POST",
            "/console/login",
            form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": login_cookie},
        )
        assert status == 302, status
        session = next(
            c.split(";")[0] for c in _cookies(headers) if c.startswith("boussole_console=")
        )
        _, _, page = self.request("GET", "/console/conversations", headers={"Cookie": session})
        return session, csrf_of(page.decode())

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                name: conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar()
                for name in STORED
            }

    def record(self, route: str, status: int) -> None:
        self.statuses.setdefault(route, Counter())[status] += 1

    def close(self) -> None:
        self.engine.dispose()
        self.apps.close()


def _cookies(headers) -> list[str]:
    return headers.get_all("Set-Cookie") or []


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    target = Target(tmp_path_factory.mktemp("fuzz"))
    yield target
    target.close()
    figures = {
        route: {str(k): v for k, v in sorted(c.items())} for route, c in target.statuses.items()
    }
    total = sum(sum(c.values()) for c in target.statuses.values())
    (PROJECT_ROOT / "results").mkdir(exist_ok=True)
    (PROJECT_ROOT / "results" / "fuzz.json").write_text(
        json.dumps({"requests": total, "statuses": figures}, indent=2), encoding="utf-8"
    )
    print(f"\nfuzz: {total} requests, statuses {figures}")
    assert total >= 1000


# --- strategies -------------------------------------------------------------------------------

header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
    max_size=300,
)
hostile_text = st.text(max_size=700) | st.sampled_from(
    ["", " ", "\x00", "\ud800", "a" * 501, "é" * 500, "/restart", "[x](y)", "<script>", "\u202e"]
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def nested(draw) -> bytes:
    depth = draw(st.integers(1, 50_000))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}"), (b'{"text":[', b"]}")]))
    closed = draw(st.booleans())
    return opener * depth + b"1" + (closer * depth if closed else b"")


def chat_fields() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {},
        optional={
            "session_id": st.just(SESSION) | hostile_text | json_value,
            "text": hostile_text | json_value,
            "payload": st.sampled_from(["/greet", '/inform{"age":"19"}']) | hostile_text,
            "page_url": hostile_text | json_value,
            "profile": st.sampled_from(["youth", "referent"]) | json_value,
            "mode": st.sampled_from(["widget", "totem"]) | json_value,
            "message_id": st.just("abcdef0123456789-1-0") | hostile_text | json_value,
            "rating": st.sampled_from(["up", "down"]) | json_value,
        },
    )


# Well-formed chat messages with hostile text: these reach Rasa when the text passes the checks.
plausible = st.fixed_dictionaries(
    {
        "session_id": st.just(SESSION) | st.from_regex(r"\A[A-Za-z0-9_-]{8,64}\Z"),
        "text": hostile_text,
    }
).map(lambda d: json.dumps(d).encode())

bodies = st.one_of(
    plausible,
    plausible,
    chat_fields().map(lambda d: json.dumps(d).encode()),
    chat_fields().map(lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    json_value.map(lambda v: json.dumps(v).encode()),
    nested(),
    st.binary(max_size=4000),
    st.integers(16 * 1024, 1024 * 1024).map(lambda n: b'{"text": "' + b"a" * n + b'"}'),
)
api_headers = st.fixed_dictionaries(
    {
        "Content-Type": st.sampled_from(
            ["application/json", "text/plain", "multipart/form-data; boundary=x", ""]
        )
        | header_text
    },
    optional={
        "Origin": st.just(PARTNER_ORIGIN) | header_text,
        "X-Forwarded-For": header_text,
        "Cookie": header_text,
        "Accept-Language": header_text,
    },
)
partners = st.sampled_from(["partenaire_test"] * 3) | st.text(max_size=80)


# --- the API --------------------------------------------------------------------------------------


def _check_api(target: Target, route: str, status: int, headers: dict, body: bytes) -> None:
    target.record(route, status)
    assert status < 500, (route, status, body[:300])
    if status >= 400:
        error = json.loads(body)
        assert FRENCH.search(error["message"]), error
        assert "Traceback" not in error["message"]


@FUZZ
@given(body=bodies, headers=api_headers, partner=partners)
def test_chat_never_fails_and_forwards_only_what_it_accepts(target, body, headers, partner):
    before = len(target.fake[RECEIVED_KEY])
    query = urllib.parse.quote(partner)
    status, got, answer = target.request("POST", f"/api/chat?partner={query}", body, headers)
    _check_api(target, "/api/chat", status, got, answer)
    forwarded = len(target.fake[RECEIVED_KEY]) - before
    assert forwarded == (1 if status == 200 else 0), (status, answer[:200])


@FUZZ
@given(body=bodies, headers=api_headers, partner=partners)
def test_feedback_never_fails_and_stores_only_what_it_accepts(target, body, headers, partner):
    before = target.counts()
    query = urllib.parse.quote(partner)
    status, got, answer = target.request("POST", f"/api/feedback?partner={query}", body, headers)
    _check_api(target, "/api/feedback", status, got, answer)
    after = target.counts()
    expected = dict(before, feedback=before["feedback"] + (1 if status == 200 else 0))
    assert after == expected, (status, answer[:200])


# --- the console's forms --------------------------------------------------------------------------

FORMS = [
    "/console/login",
    "/console/users",
    "/console/users/delete",
    "/console/conversations/conv-rouen/tags",
    "/console/conversations/conv-rouen/tags/delete",
    "/console/conversations/conv-rouen/review",
    "/console/conversations/conv-script/erase",
    "/console/inbox/annotate",
    "/console/inbox/export",
]
form_fields = st.dictionaries(
    st.sampled_from(
        [
            "email",
            "password",
            "role",
            "partner",
            "tag",
            "status",
            "confirm",
            "event_ids",
            "intent",
            "decision",
            "next",
            "csrf_token",
        ]
    )
    | hostile_text,
    hostile_text | st.integers().map(str),
    max_size=6,
)


@st.composite
def form_body(draw, csrf: str) -> tuple[bytes, str]:
    fields = draw(form_fields)
    if draw(st.sampled_from([True, True, True, False])):
        fields["csrf_token"] = csrf  # past the CSRF check, into the views
    kind = draw(st.sampled_from(["urlencoded", "multipart", "raw"]))
    if kind == "urlencoded":
        encoded = urllib.parse.urlencode(fields, errors="surrogatepass")
        return encoded.encode(), "application/x-www-form-urlencoded"
    if kind == "multipart":
        boundary = draw(st.sampled_from(["b0undary", "", "x" * 80]))
        parts = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode(
                "utf-8", "surrogatepass"
            )
            + v.encode("utf-8", "surrogatepass")
            + b"\r\n"
            for k, v in fields.items()
        )
        closing = draw(st.booleans())
        body = parts + (f"--{boundary}--\r\n".encode() if closing else b"")
        return body, f"multipart/form-data; boundary={boundary}"
    return draw(bodies), draw(header_text)


@FUZZ
@given(data=st.data())
def test_console_forms_never_fail_and_refusals_store_nothing(target, data):
    path = data.draw(st.sampled_from(FORMS))
    body, content_type = data.draw(form_body(target.csrf))
    logged_in = data.draw(st.sampled_from([True, True, True, False]))
    cookie = target.session_cookie if logged_in else data.draw(header_text)
    headers = {"Content-Type": content_type, "Cookie": cookie}
    before = target.counts()
    status, _headers, page = target.request("POST", path, body, headers)
    target.record("console " + path.split("/")[-1], status)
    assert status < 500, (path, status, body[:300])
    if status >= 400:
        assert "Traceback" not in page.decode("utf-8", "replace")
        assert target.counts() == before, (path, status, body[:300])
