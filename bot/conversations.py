"""The held-out conversations (``tests/conversations/``): loading, replay and verdict.

Each conversation is a list of user turns with the answer that must come (format in
``tests/conversations/README.md``). :func:`replay` sends the turns through the web gateway of a
running stack (``POST /api/chat``, one fresh session per conversation), exactly as the widget
does; :func:`judge` says what went wrong, if anything. ``python -m bot eval`` reports the share
of conversations that reach their answer. Nothing here may be used to tune the bot.
"""

from __future__ import annotations

import csv
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from bot.settings import PROJECT_ROOT
from knowledge.text import fold

CONVERSATIONS = PROJECT_ROOT / "tests" / "conversations" / "conversations.yml"
OPERATORS = PROJECT_ROOT / "knowledge" / "data" / "operators"
DEFAULT_PARTNER = "rouen_info_jeunes"
# "ml:<INSEE>" in an expectation: the Mission Locale covering that commune (UNML table).
ML_TOKEN = re.compile(r"^ml:(\d[0-9AB]\d{3})$")
# Tutoiement in a folded answer (« t'aide » becomes « t aide »).
TUTOIEMENT = re.compile(r"(?:^| )(?:tu|te|t|toi|ton|ta|tes)(?= |$)")
DISTRESS_BUTTON = "detresse"
SAME_QUESTION_LIMIT = 3
WHO = ("youth", "parent", "referent")
EXPECT_KEYS = {"by_turn", "contains", "any_of", "not_contains", "register"}


class ConversationFormatError(ValueError):
    """The conversations file does not follow the documented format (French message)."""


@dataclass(frozen=True)
class Expectation:
    """What the bot's answers must (and must not) say by the end, or by ``by_turn``."""

    contains: tuple[str, ...] = ()
    any_of: tuple[tuple[str, ...], ...] = ()
    not_contains: tuple[str, ...] = ()
    by_turn: int | None = None
    register: str | None = None  # "vous": no tutoiement in any answer


@dataclass(frozen=True)
class Conversation:
    """One held-out conversation: the user's turns, widget metadata and the expected answer."""

    id: str
    who: str
    turns: tuple[str, ...]
    expect: Expectation
    metadata: dict[str, str] = field(default_factory=dict)
    from_issue: bool = False

    @property
    def partner(self) -> str:
        return self.metadata.get("partner", DEFAULT_PARTNER)


@dataclass(frozen=True)
class BotMessage:
    """What the widget shows of one bot message: its text and its buttons' titles."""

    text: str = ""
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A replayed conversation: what the bot answered to each turn and what went wrong."""

    id: str
    who: str
    problems: tuple[str, ...]
    answers: tuple[tuple[BotMessage, ...], ...]

    @property
    def reached(self) -> bool:
        return not self.problems


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConversationFormatError(f"{where} : une liste de textes est attendue")
    return tuple(value)


def _expectation(raw: Any, where: str, turns: int) -> Expectation:
    if not isinstance(raw, dict) or not raw:
        raise ConversationFormatError(f"{where} : « expect » manque ou est vide")
    unknown = set(raw) - EXPECT_KEYS
    if unknown:
        raise ConversationFormatError(f"{where} : clé(s) inconnue(s) {sorted(unknown)}")
    by_turn = raw.get("by_turn")
    if by_turn is not None and not (isinstance(by_turn, int) and 1 <= by_turn <= turns):
        raise ConversationFormatError(f"{where} : by_turn doit être un tour de 1 à {turns}")
    register = raw.get("register")
    if register not in (None, "vous"):
        raise ConversationFormatError(f"{where} : register ne peut valoir que « vous »")
    any_of = raw.get("any_of", [])
    if not isinstance(any_of, list):
        raise ConversationFormatError(f"{where} : any_of est une liste de listes")
    expectation = Expectation(
        contains=_strings(raw.get("contains", []), f"{where} contains"),
        any_of=tuple(_strings(group, f"{where} any_of") for group in any_of),
        not_contains=_strings(raw.get("not_contains", []), f"{where} not_contains"),
        by_turn=by_turn,
        register=register,
    )
    if not (expectation.contains or expectation.any_of or expectation.not_contains):
        raise ConversationFormatError(f"{where} : aucune réponse attendue")
    return expectation


def load_conversations(path: Path = CONVERSATIONS) -> list[Conversation]:
    """Every conversation of ``path``, checked against the documented format."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConversationFormatError(f"{path} illisible : {exc}") from exc
    items = document.get("conversations") if isinstance(document, dict) else None
    if not isinstance(items, list) or not items:
        raise ConversationFormatError(f"{path} : une liste « conversations » est attendue")
    conversations, seen = [], set()
    for index, raw in enumerate(items, 1):
        where = f"conversation n° {index}"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise ConversationFormatError(f"{where} : un « id » est attendu")
        where = f"conversation {raw['id']}"
        if raw["id"] in seen:
            raise ConversationFormatError(f"{where} : id en double")
        seen.add(raw["id"])
        if raw.get("who") not in WHO:
            raise ConversationFormatError(f"{where} : « who » vaut l'un de {WHO}")
        turns = _strings(raw.get("turns"), f"{where} turns")
        metadata = raw.get("metadata") or {}
        if not isinstance(metadata, dict) or not set(metadata) <= {"partner", "profile"}:
            raise ConversationFormatError(f"{where} : metadata n'a que partner et profile")
        conversations.append(
            Conversation(
                id=raw["id"],
                who=raw["who"],
                turns=turns,
                expect=_expectation(raw.get("expect"), where, len(turns)),
                metadata={k: str(v) for k, v in metadata.items()},
                from_issue=bool(raw.get("from_issue", False)),
            )
        )
    return conversations


def mission_locale_names(operators: Path = OPERATORS) -> dict[str, str]:
    """INSEE code → name of the Mission Locale covering the commune, from the UNML tables."""
    with (operators / "missions_locales.csv").open(encoding="utf-8", newline="") as f:
        names = {row["code_ml_unml"]: row["nom_affiche"] for row in csv.DictReader(f)}
    with (operators / "commune_mission_locale.csv").open(encoding="utf-8", newline="") as f:
        return {row["code_insee"]: names[row["code_ml_unml"]] for row in csv.DictReader(f)}


def expand(text: str, ml_names: dict[str, str]) -> str:
    """An expected string with ``ml:<INSEE>`` replaced by that Mission Locale's name."""
    match = ML_TOKEN.match(text)
    if not match:
        return text
    if match.group(1) not in ml_names:
        raise ConversationFormatError(f"{text} : commune absente de la table des Missions Locales")
    return ml_names[match.group(1)]


def _key(text: str) -> str:
    """Case, accents and punctuation aside: the evaluation's sentence key."""
    return fold(text, words_only=True)


def _said(folded: str, expected: str) -> bool:
    needle = _key(expected)
    return bool(needle) and f" {needle} " in f" {folded} "


def _transcript(answers: list[tuple[BotMessage, ...]]) -> str:
    parts = [m.text for turn in answers for m in turn]
    parts += [b for turn in answers for m in turn for b in m.buttons]
    return _key(" \n ".join(parts))


def judge(
    conversation: Conversation,
    answers: list[tuple[BotMessage, ...]],
    ml_names: dict[str, str],
) -> list[str]:
    """What keeps ``conversation`` from reaching its answer (empty when it does), in French.

    ``answers`` holds the bot's messages for each user turn, in order.
    """
    problems = []
    expect = conversation.expect
    window = answers[: expect.by_turn] if expect.by_turn else answers
    said = _transcript(window)
    where = f" (au tour {expect.by_turn})" if expect.by_turn else ""
    for text in expect.contains:
        wanted = expand(text, ml_names)
        if not _said(said, wanted):
            problems.append(f"« {wanted} » n'a pas été dit{where}")
    for group in expect.any_of:
        wanted = [expand(t, ml_names) for t in group]
        if not any(_said(said, w) for w in wanted):
            problems.append(f"aucun de {wanted} n'a été dit{where}")
    everything = _transcript(answers)
    for text in expect.not_contains:
        unwanted = expand(text, ml_names)
        if _said(everything, unwanted):
            problems.append(f"« {unwanted} » a été dit")
    if expect.register == "vous":
        for turn, messages in enumerate(answers, 1):
            if any(TUTOIEMENT.search(_key(m.text)) for m in messages):
                problems.append(f"tutoiement au tour {turn} (« vous » attendu)")
                break
    problems += _general_problems(answers)
    return problems


def _general_problems(answers: list[tuple[BotMessage, ...]]) -> list[str]:
    """Issue 11's checks that hold for every conversation."""
    problems = []
    for turn, messages in enumerate(answers, 1):
        if any(DISTRESS_BUTTON in _key(b).split() for m in messages for b in m.buttons):
            problems.append(f"bouton « Détresse » proposé au tour {turn}")
        if not messages:
            problems.append(f"aucune réponse au tour {turn}")
        elif messages[-1].text.rstrip().endswith(":") and not messages[-1].buttons:
            problems.append(f"la réponse du tour {turn} s'arrête sur « : »")
    asked: dict[str, int] = {}
    for messages in answers:
        for m in messages:
            if m.text.rstrip().endswith("?"):
                key = _key(m.text)
                asked[key] = asked.get(key, 0) + 1
    problems += [
        f"la même question posée {count} fois"
        for count in asked.values()
        if count >= SAME_QUESTION_LIMIT
    ]
    return problems


def _bot_messages(body: Any) -> tuple[BotMessage, ...]:
    messages = body.get("messages") if isinstance(body, dict) else None
    return tuple(
        BotMessage(
            text=m.get("text") or "",
            buttons=tuple(b.get("title", "") for b in m.get("buttons") or []),
        )
        for m in messages or []
        if isinstance(m, dict)
    )


def send_turn(
    gateway: str, session_id: str, text: str, conversation: Conversation, timeout: float = 120
) -> tuple[BotMessage, ...]:
    """One user turn through ``POST /api/chat``; waits and retries when rate-limited."""
    body: dict[str, Any] = {"session_id": session_id, "text": text}
    if "profile" in conversation.metadata:
        body["profile"] = conversation.metadata["profile"]
    for _ in range(10):
        response = requests.post(
            f"{gateway}/api/chat",
            params={"partner": conversation.partner},
            json=body,
            timeout=timeout,
        )
        if response.status_code != 429:
            break
        time.sleep(float(response.headers.get("Retry-After", "1")))
    response.raise_for_status()
    return _bot_messages(response.json())


def replay(conversation: Conversation, gateway: str, ml_names: dict[str, str]) -> Outcome:
    """Play ``conversation`` through the gateway at ``gateway`` and judge the answers."""
    session_id = f"eval-{conversation.id[:40]}-{uuid.uuid4().hex[:8]}"
    answers: list[tuple[BotMessage, ...]] = []
    try:
        for text in conversation.turns:
            answers.append(send_turn(gateway, session_id, text, conversation))
    except (requests.RequestException, ValueError) as exc:
        problem = f"erreur au tour {len(answers) + 1} : {exc}"
        return Outcome(conversation.id, conversation.who, (problem,), tuple(answers))
    problems = judge(conversation, answers, ml_names)
    return Outcome(conversation.id, conversation.who, tuple(problems), tuple(answers))


def replay_all(
    conversations: list[Conversation], gateway: str, ml_names: dict[str, str] | None = None
) -> list[Outcome]:
    """Replay every conversation, one after the other, each in its own session."""
    names = ml_names if ml_names is not None else mission_locale_names()
    return [replay(c, gateway, names) for c in conversations]
