"""Turn accepted inbox decisions into Rasa NLU training data (YAML, format 3.1).

Examples that the training data already holds are left out, and so are those it holds under
another intent: ``rasa data validate --fail-on-warnings`` refuses an example shared by two
intents. Sentences of the evaluation sets (``tests/nlu``, ``tests/nlu_dev``) are left out too:
training on them would make the evaluation dishonest, and ``make test`` refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import yaml

from bot.evaluation import EVALUATION_SETS, sentence_key
from bot.masking import mask_text
from bot.settings import PROJECT_ROOT

# Rasa reads "[text](entity)" and "[text]{...}" inside examples as entity annotations.
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def clean_example(text: str) -> str:
    """One line, personal data masked, no brackets (which Rasa would parse as entity markup)."""
    flat = " ".join(mask_text(text).split())
    return flat.replace("[", "(").replace("]", ")")


def _plain(example: str) -> str:
    return " ".join(_ANNOTATION.sub(r"\1", example).split()).casefold()


def _intent_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, example as written) of every intent example of one NLU file."""
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in content.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((block["intent"], line[2:]))
    return pairs


def existing_examples(nlu_dir: Path, skip: Path | None = None) -> dict[str, str]:
    """Plain example text (case-folded) → intent, over every NLU file in ``nlu_dir``."""
    known: dict[str, str] = {}
    for path in sorted(nlu_dir.glob("**/*.yml")):
        if skip is not None and path.resolve() == skip.resolve():
            continue
        for intent, example in _intent_examples(path):
            known.setdefault(_plain(example), intent)
    return known


def evaluation_keys(root: Path = PROJECT_ROOT) -> set[str]:
    """Comparison keys (``sentence_key``) of every sentence of the evaluation sets."""
    keys: set[str] = set()
    for folder in EVALUATION_SETS:
        if (root / folder).is_dir():
            keys.update(sentence_key(text) for text in existing_examples(root / folder))
    return keys


def build_yaml(
    examples: Iterable[tuple[str, str]],
    known: dict[str, str] | None = None,
    reserved: set[str] | frozenset[str] = frozenset(),
) -> tuple[str, int, list[tuple[str, str, str]], list[str]]:
    """YAML text for (intent, text) pairs.

    Returns (yaml, number of examples, conflicts, held out). A conflict is (text, intent chosen,
    intent already in the training data); "held out" lists the texts left out because their
    ``sentence_key`` is in ``reserved`` (see ``evaluation_keys``).
    """
    known = dict(known or {})
    by_intent: dict[str, list[str]] = {}
    conflicts: list[tuple[str, str, str]] = []
    held_out: list[str] = []
    for intent, text in examples:
        example = clean_example(text)
        if not example:
            continue
        if sentence_key(example) in reserved:
            held_out.append(example)
            continue
        plain = _plain(example)
        previous = known.get(plain)
        if previous is not None:
            if previous != intent:
                conflicts.append((example, intent, previous))
            continue
        known[plain] = intent
        by_intent.setdefault(intent, []).append(example)
    lines = ['version: "3.1"', "", "# Exemples validés dans la console (boîte NLU).", "nlu:"]
    for intent in sorted(by_intent):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {example}" for example in by_intent[intent])
    if not by_intent:
        lines[-1] = "nlu: []"
    count = sum(len(v) for v in by_intent.values())
    return "\n".join(lines) + "\n", count, conflicts, held_out


def review_path(day: date, root: Path = PROJECT_ROOT) -> Path:
    """Where the export of ``day`` is written: ``data/nlu/review_<date>.yml``."""
    return root / "data" / "nlu" / f"review_{day.isoformat()}.yml"


def export_yaml(
    examples: list[tuple[str, str]], day: date, root: Path = PROJECT_ROOT
) -> tuple[str, int, list[tuple[str, str, str]], list[str]]:
    """``build_yaml`` for the day's review file, against the training data (the day's file
    aside, since it is replaced) and the evaluation sets of the project at ``root``.
    """
    path = review_path(day, root)
    known = existing_examples(path.parent, skip=path)
    return build_yaml(examples, known, evaluation_keys(root))


def write_review_file(
    examples: list[tuple[str, str]], day: date, root: Path = PROJECT_ROOT
) -> tuple[Path, int, list, list[str]]:
    """Write (replace) the day's review file; returns (path, examples written, conflicts,
    examples left out because the evaluation sets hold them).
    """
    path = review_path(day, root)
    text, count, conflicts, held_out = export_yaml(examples, day, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".yml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # never leave a half-written training file behind
    return path, count, conflicts, held_out


def forget_examples(texts: Iterable[str], root: Path = PROJECT_ROOT) -> int:
    """Remove these sentences from every review file under ``root/data/nlu`` (erasure on a
    person's request); returns how many examples went."""
    gone = {clean_example(t) for t in texts}
    removed = 0
    for path in sorted((root / "data" / "nlu").glob("review_*.yml")):
        pairs = _intent_examples(path)
        kept = [(intent, text) for intent, text in pairs if text not in gone]
        if len(kept) == len(pairs):
            continue
        removed += len(pairs) - len(kept)
        text, _count, _conflicts, _held = build_yaml(kept)
        tmp = path.with_suffix(".yml.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return removed
