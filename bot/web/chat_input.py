"""Reading and checking what the widget posts, before anything is forwarded."""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bot.web import wording
from bot.web.errors import ApiError

MAX_TEXT = 500
MAX_PAYLOAD = 300
MAX_PAGE_URL = 2000
# A legitimate body is a flat object of at most a few kilobytes (500 characters of text are at
# most 6,000 bytes even fully \u-escaped). Anything larger is refused before it is read whole, and
# anything nested deeper than this before it is parsed: the JSON parser recurses, and a deep enough
# body would raise RecursionError (a 500) after burning CPU on the event loop.
MAX_BODY = 16 * 1024
MAX_DEPTH = 8
# What a request may say of who is talking: the widget's ``data-profile`` (youth or referent),
# then the conversation's profile that the gateway sent back with the last answer (a parent
# known only from what they said, too).
PROFILES = ("youth", "parent", "referent")
MODES = ("widget", "totem")

SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# One id per message the person sends, the same when it is sent again; Rasa keeps it with the
# message (its ``message_id``) and answers a resend from the conversation (bot/channels.py).
# Letters, digits and hyphens only: Rasa's side looks it up in a LIKE pattern.
TURN_ID_RE = re.compile(r"^[A-Za-z0-9-]{8,64}$")
# What Rasa accepts as a button payload: /intent, optionally followed by a JSON object of entities.
PAYLOAD_RE = re.compile(r"^/[A-Za-z0-9_]{1,80}(?:\{.{0,200}\})?$")
PARTNER_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def _bad(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


@dataclass(frozen=True)
class ChatRequest:
    """A checked chat message: exactly one of ``text`` and ``payload`` is set."""

    session_id: str
    text: str | None
    payload: str | None
    page_url: str | None
    profile: str | None
    mode: str
    turn_id: str  # the widget's, else a new one


def looks_binary(text: str) -> bool:
    """True when ``text`` holds control, surrogate, private-use or replacement characters."""
    for char in text:
        if char in _ALLOWED_CONTROLS:
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") or char == "\ufffd":
            return True
    return False


def clean_page_url(value: Any) -> str | None:
    """The page address without query string or fragment (they may carry personal data)."""
    if not isinstance(value, str) or len(value) > MAX_PAGE_URL:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(raw: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings ignored).

    One linear scan with two regular expressions, no recursion: safe on hostile input.
    """
    depth = deepest = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def too_large(profile: str | None = None) -> ApiError:
    """413 for a body over :data:`MAX_BODY` bytes, said to a request of ``profile``."""
    return ApiError(413, "too_large", wording.said(wording.TOO_LARGE, profile))


async def read_body(request: Any, limit: int = MAX_BODY, profile: str | None = None) -> bytes:
    """The request's body, refused with a 413 as soon as it exceeds ``limit`` bytes.

    The declared length is checked first, then the bytes as they arrive: an oversized body is
    never buffered whole nor parsed.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large(profile)
    body = bytearray()
    async for chunk in request.content.iter_chunked(8192):
        body.extend(chunk)
        if len(body) > limit:
            raise too_large(profile)
    return bytes(body)


def read_json_object(raw: bytes, profile: str | None = None) -> dict[str, Any]:
    """The JSON object in a request body, or a 400 :class:`ApiError` in French (said to a
    request of ``profile``).

    Size (:data:`MAX_BODY`) and nesting (:data:`MAX_DEPTH`) are checked before parsing.
    """
    if len(raw) > MAX_BODY:
        raise too_large(profile)
    if json_depth(raw) > MAX_DEPTH:
        raise _bad("malformed_json", "La demande n'a pas pu être lue (trop d'imbrications).")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _bad("binary", wording.said(wording.UNREADABLE, profile)) from exc
    except ValueError as exc:
        raise _bad("malformed_json", "La demande n'a pas pu être lue (JSON invalide).") from exc
    if not isinstance(body, dict):
        raise _bad("malformed_json", "La demande doit être un objet JSON.")
    return body


def read_session_id(body: dict[str, Any]) -> str:
    """The checked ``session_id`` of a request body."""
    session_id = body.get("session_id")
    if not isinstance(session_id, str) or not SESSION_ID_RE.match(session_id):
        raise _bad("bad_session", "Identifiant de conversation manquant ou invalide.")
    return session_id


def parse_chat_request(raw: bytes, profile: str | None = None) -> ChatRequest:
    """Check a ``POST /api/chat`` body; raise a 400 :class:`ApiError` with a French message,
    said to the body's profile, else to ``profile`` (the partner's)."""
    body = read_json_object(raw, profile)
    said_to = body.get("profile") if body.get("profile") in PROFILES else profile
    session_id = read_session_id(body)
    text, payload = body.get("text"), body.get("payload")
    if (text is None) == (payload is None):
        raise _bad("bad_message", wording.said(wording.TEXT_OR_BUTTON, said_to))
    if text is not None:
        if not isinstance(text, str):
            raise _bad("bad_message", "Le message doit être du texte.")
        text = unicodedata.normalize("NFC", text).strip()
        if not text:
            raise _bad("empty", wording.said(wording.EMPTY, said_to))
        if looks_binary(text):
            raise _bad("binary", wording.said(wording.UNREADABLE, said_to))
        if len(text) > MAX_TEXT:
            message = wording.said(wording.TOO_LONG, said_to, length=len(text), limit=MAX_TEXT)
            raise _bad("too_long", message)
    elif not isinstance(payload, str) or looks_binary(payload) or not PAYLOAD_RE.match(payload):
        raise _bad("bad_payload", "Ce choix de bouton n'est pas reconnu.")
    profile = body.get("profile")
    if profile is not None and profile not in PROFILES:
        raise _bad("bad_profile", "Le profil doit être « youth », « parent » ou « referent ».")
    mode = body.get("mode") or "widget"
    if mode not in MODES:
        raise _bad("bad_mode", "Le mode doit être « widget » ou « totem ».")
    turn_id = body.get("turn_id")
    if turn_id is None:
        turn_id = uuid.uuid4().hex
    elif not isinstance(turn_id, str) or not TURN_ID_RE.match(turn_id):
        raise _bad("bad_turn_id", "Identifiant de message invalide.")
    return ChatRequest(
        session_id=session_id,
        text=text,
        payload=payload if text is None else None,
        page_url=clean_page_url(body.get("page_url")),
        profile=profile,
        mode=mode,
        turn_id=turn_id,
    )
