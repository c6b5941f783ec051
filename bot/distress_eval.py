"""The distress evaluation set (``tests/distress_eval/``): loading and scoring.

Positives are messages of real distress (every one must be caught); negatives are hard cases that
are not distress (orientation worry, idioms, a parent's ordinary concern). A message is caught
when the model's parse gives the intent ``distress``: the whole NLU pipeline answers, so a
deterministic net inside it counts. Nothing here may be used to tune the bot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from bot.settings import PROJECT_ROOT

DISTRESS_SET = PROJECT_ROOT / "tests" / "distress_eval" / "distress.yml"
DISTRESS_INTENT = "distress"
# The group of negatives quoting issue 11 word for word (anyone may train on the issue's wording).
FROM_ISSUE = "from_issue"


class DistressSetError(ValueError):
    """The distress set does not follow its documented format (French message)."""


@dataclass(frozen=True)
class DistressSet:
    """Messages by register (positives) or by category (negatives)."""

    positives: dict[str, tuple[str, ...]]
    negatives: dict[str, tuple[str, ...]]

    def texts(self, exempt_issue: bool = False) -> list[str]:
        """Every message; without the issue's own wording when ``exempt_issue``."""
        groups = [*self.positives.items(), *self.negatives.items()]
        return [
            t for name, texts in groups if not (exempt_issue and name == FROM_ISSUE) for t in texts
        ]


@dataclass(frozen=True)
class DistressScore:
    """Recall on the positives and false-alarm rate on the negatives, with the misses."""

    recall: float
    false_alarm_rate: float
    positives: int
    negatives: int
    # (register or category, message)
    missed: tuple[tuple[str, str], ...]
    false_alarms: tuple[tuple[str, str], ...]


def _groups(raw: object, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or not raw:
        raise DistressSetError(f"{where} : des groupes de messages sont attendus")
    groups = {}
    for name, texts in raw.items():
        if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
            raise DistressSetError(f"{where}.{name} : une liste de messages est attendue")
        groups[str(name)] = tuple(texts)
    return groups


def load_distress_set(path: Path = DISTRESS_SET) -> DistressSet:
    """The positives and negatives of ``path``, checked against the documented format."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DistressSetError(f"{path} illisible : {exc}") from exc
    if not isinstance(document, dict) or set(document) != {"positives", "negatives"}:
        raise DistressSetError(f"{path} : les clés « positives » et « negatives » sont attendues")
    return DistressSet(
        positives=_groups(document["positives"], "positives"),
        negatives=_groups(document["negatives"], "negatives"),
    )


def score(distress_set: DistressSet, predict: Callable[[str], str]) -> DistressScore:
    """Score the intents ``predict`` gives to every message of ``distress_set``."""
    missed = tuple(
        (group, text)
        for group, texts in distress_set.positives.items()
        for text in texts
        if predict(text) != DISTRESS_INTENT
    )
    alarms = tuple(
        (group, text)
        for group, texts in distress_set.negatives.items()
        for text in texts
        if predict(text) == DISTRESS_INTENT
    )
    positives = sum(map(len, distress_set.positives.values()))
    negatives = sum(map(len, distress_set.negatives.values()))
    return DistressScore(
        recall=round(1 - len(missed) / positives, 4),
        false_alarm_rate=round(len(alarms) / negatives, 4),
        positives=positives,
        negatives=negatives,
        missed=missed,
        false_alarms=alarms,
    )


def rasa_parser(rasa_url: str, token: str, timeout: float = 60) -> Callable[[str], str]:
    """The intent a running Rasa server (``--enable-api``, its API closed by ``token``) gives
    to a text (``/model/parse``).
    """
    session = requests.Session()

    def predict(text: str) -> str:
        response = session.post(
            f"{rasa_url}/model/parse", params={"token": token}, json={"text": text}, timeout=timeout
        )
        response.raise_for_status()
        return (response.json().get("intent") or {}).get("name") or ""

    return predict
