"""Thin request handlers: checks and wording live in the modules they call."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from functools import lru_cache
from importlib import resources
from typing import Any

import aiohttp_jinja2
import yaml
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.appdb import check_database, record_feedback
from bot.masking import mask_personal_data
from bot.web import access, timing, wording
from bot.web.chat_input import (
    MAX_TEXT,
    PROFILES,
    parse_chat_request,
    read_body,
    read_json_object,
    read_session_id,
)
from bot.web.errors import ApiError
from bot.web.keys import (
    APP_DB_KEY,
    HTTP_KEY,
    LIMITS_KEY,
    PARTNERS_KEY,
    PROXIES_KEY,
    RASA_KEY,
    SAFETY_KEY,
    SETTINGS_KEY,
)
from bot.web.limits import retry_after_header
from bot.web.messages import conversation_profile, takeaway, text_parts, widget_messages
from bot.web.proxies import request_address
from bot.web.rasa_client import RasaUnavailable, probe, rasa_parts

log = logging.getLogger(__name__)

MESSAGE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,120}$")
RATINGS = {"up": 1, "down": -1}
# How long the widget keeps a conversation in the browser after its last message.
DEVICE_KEEP_DAYS = 7


@lru_cache(maxsize=1)
def welcome_texts() -> dict[str, Any]:
    """The welcome wording of ``welcome.yml``, per profile."""
    return yaml.safe_load(resources.files("bot.web").joinpath("welcome.yml").read_text("utf-8"))


def retention_months(days: int) -> int:
    """How long conversations are kept, in whole months, as the privacy notice says it."""
    return max(1, round(days / 30.4))


def _profile(partner: Any, requested: str | None) -> str:
    if requested:
        return requested
    profile = getattr(partner, "profile", None)
    return profile if profile in PROFILES else "youth"


def _rate_limited(seconds: float, profile: str) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        wording.said(wording.RATE_LIMITED, profile),
        headers={"Retry-After": retry_after_header(seconds)},
        extra={"retry_after": float(retry_after_header(seconds))},
    )


async def _check_limits(request: web.Request, profile: str, **keys: str) -> None:
    """429 when the client's address, or the other ``keys`` (``session=…``), sent too much;
    said to a request of ``profile``."""
    address = request_address(request, request.app[PROXIES_KEY])
    wait = await request.app[LIMITS_KEY].hit(ip=address, **keys)
    if wait:
        raise _rate_limited(wait, profile)


async def chat(request: web.Request) -> web.Response:
    """``POST /api/chat?partner=ID``: one user message in, the bot's messages out."""
    partner = await access.authorize(request)
    # The gateway's own sentences follow the request's profile (bot/web/wording.py).
    partner_profile = _profile(partner, None)
    message = parse_chat_request(await read_body(request, profile=partner_profile), partner_profile)
    profile = _profile(partner, message.profile)
    await _check_limits(request, profile, session=message.session_id)
    # Payloads too: a crafted button payload must not smuggle an address into the logs.
    masked = mask_personal_data(message.text if message.text is not None else message.payload)
    metadata = {
        "partner": partner.id,
        "page_url": message.page_url,
        "profile": profile,
        "mode": message.mode,
        # The widget shows its own welcome before the first exchange (bot/web/welcome.yml).
        "welcome_shown": True,
        # The same id when this message comes again (nginx resends it to another gateway when
        # one dies): Rasa then answers it from the conversation instead of handling it twice.
        "message_id": message.turn_id,
    }
    safety = request.app[SAFETY_KEY]
    # Distress (and « parler à quelqu'un ») never waits long, and never goes unanswered.
    urgent = safety.urgent(message.text, message.payload)
    deadline = request.app[SETTINGS_KEY].distress_deadline if urgent else None
    try:
        with timing.waiting_for_rasa(request):
            raw = await request.app[RASA_KEY].send(
                message.session_id, masked.text, metadata, timeout=deadline
            )
    except RasaUnavailable as exc:
        log.warning("Rasa unavailable: %s", exc)
        raw = []
    # Rasa says in which voice the conversation is now (a parent may have said so): the
    # gateway's own sentences follow it, and the widget sends it back with the next requests,
    # so that a rate limit or an apology while Rasa is down are said the same way.
    noted, raw = conversation_profile(raw)
    profile = noted or profile
    messages = safety.completed(urgent, widget_messages(raw), profile)
    if not messages:
        # Rasa down, late, or silent (a failed action answers nothing): an apology, never silence.
        log.warning("no answer from Rasa for conversation %s", message.session_id)
        text = await request.app[PARTNERS_KEY].fallback_text(profile)
        raise ApiError(
            503,
            "rasa_unavailable",
            text,
            extra={"messages": [{"text": text, "parts": text_parts(text)}], "profile": profile},
        )
    stamp = int(time.time() * 1000)
    for index, bot_message in enumerate(messages):
        bot_message["id"] = f"{message.session_id}-{stamp}-{index}"
    body: dict[str, Any] = {
        "session_id": message.session_id,
        "user_text": masked.text if message.text is not None else None,
        "masked": masked.changed,
        "messages": messages,
        "profile": profile,
    }
    if message.mode == "totem":
        body["takeaway"] = takeaway(messages)
    return web.json_response(body)


async def widget_config(request: web.Request) -> web.Response:
    """``GET /api/config?partner=ID``: what the widget shows before the first message."""
    partner = await access.authorize(request)
    settings = request.app[SETTINGS_KEY]
    # A page's welcome is for a young person or a referent (welcome.yml); a parent is known
    # only from what they say, and Rasa then answers them as one.
    welcomes = welcome_texts()
    requested = request.query.get("profile")
    profile = _profile(partner, requested if requested in welcomes else None)
    profile = profile if profile in welcomes else "youth"
    texts = welcomes[profile]
    months = retention_months(settings.log_retention_days)
    return web.json_response(
        {
            "partner": {"id": partner.id, "name": partner.name},
            "profile": profile,
            "welcome": {"text": texts["text"], "buttons": texts["topics"]},
            "privacy": {
                "text": texts["privacy"].format(months=months),
                "url": access.own_origin(request) + privacy_path(profile),
            },
            "max_length": MAX_TEXT,
            "keep_days": DEVICE_KEEP_DAYS,
            "idle_seconds": settings.totem_idle_seconds,
        }
    )


def privacy_path(profile: str | None) -> str:
    """The privacy page in the voice of ``profile`` (« vous » to parents and referents)."""
    return "/confidentialite" + ("?voix=vous" if profile in ("parent", "referent") else "")


async def feedback(request: web.Request) -> web.Response:
    """``POST /api/feedback?partner=ID``: a thumbs up or down on one bot message."""
    partner = await access.authorize(request)
    partner_profile = _profile(partner, None)
    await _check_limits(request, partner_profile)
    body = read_json_object(await read_body(request, profile=partner_profile), partner_profile)
    requested = body.get("profile")
    profile = _profile(partner, requested if requested in PROFILES else None)
    session_id = read_session_id(body)
    given = body.get("rating")
    rating = RATINGS.get(given) if isinstance(given, str) else None
    message_id = body.get("message_id")
    if rating is None:
        raise ApiError(400, "bad_rating", "L'avis doit être « up » ou « down ».")
    if not isinstance(message_id, str) or not MESSAGE_ID_RE.match(message_id):
        raise ApiError(400, "bad_message_id", "Ce message n'est pas reconnu.")
    try:
        await asyncio.to_thread(
            record_feedback,
            request.app[APP_DB_KEY],
            session_id=session_id,
            message_id=message_id,
            rating=rating,
            partner_id=partner.id,
        )
    except ValueError as exc:  # record_feedback's own checks, already in French
        raise ApiError(400, "bad_feedback", str(exc)) from exc
    except SQLAlchemyError as exc:
        log.exception("feedback could not be stored")
        raise ApiError(
            503, "feedback_unavailable", wording.said(wording.FEEDBACK_UNAVAILABLE, profile)
        ) from exc
    return web.json_response(
        {"ok": True, "message": wording.said(wording.FEEDBACK_THANKS, profile)}
    )


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight of the API: 204 with the CORS headers for an allowed origin."""
    await access.authorize(request)
    return web.Response(status=204)


async def healthz(request: web.Request) -> web.Response:
    """``GET /healthz``: ready, degraded or down, and the state of each part.

    - 200 ``ok``: everything answers;
    - 200 ``degraded``: conversations work, but a part whose loss the gateway survives is down
      (action server: Rasa's safety answers and apologies remain; application database:
      feedback and console);
    - 503 ``down``: no conversation can be answered (Rasa or its model, its tracker store, the
      knowledge base that says which partner pages may chat, or the Redis that holds Rasa's
      locks when ``REDIS_URL`` is set), so a load balancer sends the traffic to another
      replica.
    No part says what version it runs.
    """
    settings = request.app[SETTINGS_KEY]
    http = request.app[HTTP_KEY]
    rasa, actions, knowledge, app_db, redis = await asyncio.gather(
        rasa_parts(http, settings.rasa_base_url),
        probe(http, settings.action_health_url),
        request.app[PARTNERS_KEY].check(),
        asyncio.to_thread(check_database, request.app[APP_DB_KEY]),
        request.app[LIMITS_KEY].check(),
    )
    parts = {
        **rasa,
        "actions": actions,
        "knowledge": knowledge,
        "app_db": app_db,
    }
    if redis is not None:
        parts["redis"] = redis
    # With REDIS_URL set, Rasa's lock store is in the same Redis: no turn is taken without it.
    essential = ("rasa", "tracker_store", "knowledge", *(("redis",) if redis is not None else ()))
    if not all(parts[name]["ok"] for name in essential):
        status, code = "down", 503
    elif all(p["ok"] for p in parts.values()):
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    return web.json_response({"status": status, "services": parts}, status=code)


@aiohttp_jinja2.template("demo.html")
async def demo(request: web.Request) -> dict[str, Any]:
    """``/demo``: a sample partner page with the one-line embed, and the widget on it."""
    if "partner" not in request.query:
        raise web.HTTPFound(f"/demo?partner={request.app[SETTINGS_KEY].demo_partner}")
    partner = await access.find_partner(request)
    return {"partner": partner, "base": access.own_origin(request)}


@aiohttp_jinja2.template("totem.html")
async def totem(request: web.Request) -> dict[str, Any]:
    """``/totem?partner=ID``: the full-screen kiosk for a shared touch screen."""
    partner = await access.find_partner(request)
    return {"partner": partner, "idle_seconds": request.app[SETTINGS_KEY].totem_idle_seconds}


@aiohttp_jinja2.template("confidentialite.html")
async def privacy(request: web.Request) -> dict[str, Any]:
    """``/confidentialite``: what Boussole keeps, for how long, and why; ``?voix=vous`` says it
    to a parent or a professional."""
    days = request.app[SETTINGS_KEY].log_retention_days
    return {
        "days": days,
        "months": retention_months(days),
        "keep_days": DEVICE_KEEP_DAYS,
        "tu": request.query.get("voix") != "vous",
    }
