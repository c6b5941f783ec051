"""From Rasa's REST answers to what the widget renders.

The widget never interprets HTML: the gateway cuts each bot text into plain-text parts, some
of them links (web, ``mailto:``, ``tel:``), and the widget builds the DOM from those parts with
``textContent``. Only http(s), mailto and tel targets ever become links.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Any

import segno

from bot.masking import EMAIL_RE, PHONE_RE, short_number_re, tel_uri
from knowledge.voice import VOICES

log = logging.getLogger(__name__)

MAX_BUTTONS = 12
MAX_BUTTON_TITLE = 80
MAX_PAYLOAD = 300

_MARKDOWN_LINK_RE = re.compile(r"\[([^\]\n]{1,200})\]\(((?:https?://|mailto:|tel:)[^\s)]+)\)")
_URL_RE = re.compile(r"https?://[^\s<>\"'«»]+")
_SAFE_HREF_RE = re.compile(r"^(?:https?://[^\s<>\"']+|mailto:[^\s<>\"']+|tel:\+?\d{2,15})$")
_TRAILING_PUNCTUATION = ".,;:!?)»"


@functools.cache
def _short_numbers() -> re.Pattern[str] | None:
    """The short numbers of contacts.yml (read once), wherever they stand in the bot's text."""
    try:
        from knowledge.safety import load_safety_answers

        return short_number_re(load_safety_answers().short_numbers())
    except Exception:
        log.exception("contacts.yml could not be read: short numbers stay plain text")
        return None


@dataclass(frozen=True, order=True)
class _Span:
    start: int
    end: int
    text: str
    href: str
    kind: str  # "phone", "link" or "email"


def _spans(text: str) -> list[_Span]:
    found: list[_Span] = []
    for m in _MARKDOWN_LINK_RE.finditer(text):
        kind = "phone" if m.group(2).startswith("tel:") else "link"
        found.append(_Span(m.start(), m.end(), m.group(1), m.group(2), kind))
    for m in _URL_RE.finditer(text):
        url = m.group(0).rstrip(_TRAILING_PUNCTUATION)
        found.append(_Span(m.start(), m.start() + len(url), url, url, "link"))
    for m in EMAIL_RE.finditer(text):
        found.append(_Span(m.start(), m.end(), m.group(0), f"mailto:{m.group(0)}", "email"))
    for m in PHONE_RE.finditer(text):
        found.append(_Span(m.start(), m.end(), m.group(0), tel_uri(m.group(0)), "phone"))
    short = _short_numbers()
    for m in short.finditer(text) if short else ():
        found.append(_Span(m.start(1), m.end(1), m.group(1), f"tel:{m.group(1)}", "phone"))
    # Leftmost first, and the longest of spans starting together (a markdown link wins over
    # the URL inside it); anything overlapping an earlier span is dropped.
    found.sort(key=lambda s: (s.start, -s.end))
    kept: list[_Span] = []
    for span in found:
        if (not kept or span.start >= kept[-1].end) and _SAFE_HREF_RE.match(span.href):
            kept.append(span)
    return kept


def text_parts(text: str) -> list[dict[str, str]]:
    """Cut ``text`` into ``{"text"}`` and ``{"text", "href", "kind"}`` parts, in order."""
    parts: list[dict[str, str]] = []
    position = 0
    for span in _spans(text):
        if span.start > position:
            parts.append({"text": text[position : span.start]})
        parts.append({"text": span.text, "href": span.href, "kind": span.kind})
        position = span.end
    if position < len(text):
        parts.append({"text": text[position:]})
    return parts


def _button(raw: Any) -> dict[str, str] | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
        return None
    title = raw["title"].strip()[:MAX_BUTTON_TITLE]
    url = raw.get("url")
    if isinstance(url, str) and _SAFE_HREF_RE.match(url):
        return {"title": title, "url": url}
    payload = raw.get("payload")
    if title and isinstance(payload, str) and 0 < len(payload) <= MAX_PAYLOAD:
        return {"title": title, "payload": payload}
    return None


def widget_message(raw: Any) -> dict[str, Any] | None:
    """One Rasa REST message as the widget renders it, or ``None`` when nothing is renderable."""
    if not isinstance(raw, dict):
        return None
    message: dict[str, Any] = {}
    if isinstance(raw.get("text"), str) and raw["text"].strip():
        message["text"] = raw["text"]
        message["parts"] = text_parts(raw["text"])
    raw_buttons = raw.get("buttons") if isinstance(raw.get("buttons"), list) else []
    buttons = [b for b in map(_button, raw_buttons[:MAX_BUTTONS]) if b]
    if buttons:
        message["buttons"] = buttons
    if isinstance(raw.get("image"), str) and raw["image"].startswith(("https://", "http://")):
        message["image"] = raw["image"]
    if isinstance(raw.get("custom"), dict):
        message["custom"] = raw["custom"]
    return message or None


def conversation_profile(raw_messages: list[Any]) -> tuple[str | None, list[Any]]:
    """The profile Boussole's channel noted at the end of the turn (``youth``, ``parent`` or
    ``referent``; None without a note), and Rasa's answer without the note (bot/channels.py)."""
    profile = None
    kept = []
    for raw in raw_messages:
        custom = raw.get("custom") if isinstance(raw, dict) else None
        if isinstance(custom, dict) and set(custom) == {"profile"} and not raw.get("text"):
            if custom["profile"] in VOICES:
                profile = custom["profile"]
            continue
        kept.append(raw)
    return profile, kept


def widget_messages(raw_messages: list[Any]) -> list[dict[str, Any]]:
    """Every renderable message of a Rasa answer, in order."""
    return [m for m in map(widget_message, raw_messages) if m]


def takeaway(messages: list[dict[str, Any]]) -> dict[str, str] | None:
    """The contact a totem visitor can take away from this answer, with its QR code.

    An action may name it explicitly with ``custom: {"contact": {"label", "phone"|"website"}}``;
    otherwise it is the first phone number of the answer (routing lists the recommended
    interlocutor first), else its first web link.
    """
    for message in messages:
        contact = (message.get("custom") or {}).get("contact")
        if isinstance(contact, dict):
            for key, kind in (("phone", "phone"), ("website", "link")):
                value = contact.get(key)
                if isinstance(value, str) and value.strip():
                    href = tel_uri(value) if kind == "phone" else value.strip()
                    if _SAFE_HREF_RE.match(href):
                        label = contact.get("label") or contact.get("name") or value
                        return _with_qr(str(label), value.strip(), href, kind)
    for kind in ("phone", "link"):
        for message in messages:
            for part in message.get("parts", []):
                if part.get("kind") == kind:
                    return _with_qr(part["text"], part["text"], part["href"], kind)
    return None


def _with_qr(label: str, shown: str, href: str, kind: str) -> dict[str, str]:
    qr = segno.make(href, error="m")
    return {
        "label": label,
        "shown": shown,
        "href": href,
        "kind": kind,
        "qr_svg": qr.svg_data_uri(scale=6, border=2, dark="#000000", light="#ffffff"),
    }
