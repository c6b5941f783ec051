"""The deterministic distress net on its development examples (tests/distress_dev/dev.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.nlu.distress_net import PATTERNS_FILE, DistressNet, distress_net

DEV = yaml.safe_load(
    (Path(__file__).parent.parent / "distress_dev" / "dev.yml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("text", DEV["distress"])
def test_distress_is_caught(text):
    assert distress_net().cue(text) is not None, text


@pytest.mark.parametrize("text", DEV["not_distress"])
def test_ordinary_worries_are_not_distress(text):
    text = str(text)  # YAML reads « 76000 » as a number
    assert distress_net().cue(text) is None, (text, distress_net().cue(text))


@pytest.mark.parametrize(
    "text",
    [
        "il ne sait pas quoi faire après la 3e",
        "elle est au collège",
        "je suis mort de rire",
        "je galère avec parcoursup",
    ],
)
def test_a_model_guess_of_distress_on_school_worries_is_overruled(text):
    assert distress_net().overrules_model(text)


@pytest.mark.parametrize("text", ["je veux mourir", "on me harcèle au collège", "je suis triste"])
def test_the_model_is_not_overruled_without_a_school_or_joke_marker_or_with_a_cue(text):
    assert not distress_net().overrules_model(text)


def test_payloads_and_empty_texts_have_no_cue():
    assert distress_net().cue('/inform{"situation":"lyceen"}') is None
    assert distress_net().cue("") is None


def test_typographic_apostrophes_and_capitals_are_caught_too():
    assert distress_net().cue("J’AI  envie   d’en FINIR") is not None


def test_an_unknown_piece_is_refused():
    with pytest.raises(ValueError, match="unknown piece"):
        DistressNet({"cues": {"x": ["{nope} mourir"]}})


def test_no_pattern_holds_a_control_character():
    # In a double-quoted YAML string "\b" is a backspace, not a word boundary: write "\\b".
    spec = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    texts = [*spec["pieces"].values(), *spec["neutral"], *spec["not_distress"]]
    texts += [p for group in spec["cues"].values() for p in group]
    assert not [t for t in texts if any(ord(c) < 32 for c in t)]


def test_no_pattern_is_written_twice():
    spec = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    patterns = [p for group in spec["cues"].values() for p in group]
    assert len(patterns) == len(set(patterns))
