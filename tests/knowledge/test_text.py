"""The one text folding (knowledge.text.fold) and the places that must agree on it."""

from __future__ import annotations

import pytest

from bot.console.indexer import group_key, normalize
from bot.evaluation import sentence_key
from knowledge.resolver import tokenize
from knowledge.text import fold, sound_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Évreux", "evreux"),
        ("  SAINT-LÔ  ", "saint-lo"),
        ("j’ai  19\u00a0ans", "j'ai 19 ans"),  # typographic apostrophe, non-breaking space
        ("Straße", "strasse"),  # casefold, not lower
        ("Œuvre Ça", "œuvre ca"),  # œ is a letter of its own, not an accent
        ("ﬁlière", "filiere"),  # compatibility ligature
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_words_only_ignores_punctuation() -> None:
    assert fold("J’ai DROIT au CEJ ?!", words_only=True) == "j ai droit au cej"
    assert fold("Pont-l'Évêque", words_only=True) == "pont l eveque"
    assert fold("...", words_only=True) == ""


@pytest.mark.parametrize(
    "text", ["Évreux", "Straße à Caen", "ﬁlière — Saint‑Lô", "İstanbul", "a’b"]
)
def test_keep_length_keeps_offsets(text: str) -> None:
    folded = fold(text, keep_length=True)
    assert len(folded) == len(text)
    assert fold(text, keep_length=True, words_only=True).__len__() == len(text)


def test_keep_length_folds_like_the_free_variant_when_lengths_allow() -> None:
    text = "Bonjour, j’habite à Évreux  (27)"
    assert " ".join(fold(text, keep_length=True).split()) == fold(text)
    assert fold("Straße", keep_length=True) == "straße"  # ß → ss would move the offsets


def test_resolver_offsets_point_into_the_original_text() -> None:
    text = "ＯＫ, près de Pont-l’Évêque"  # fullwidth letters fold to ASCII one by one
    words = [text[t.start : t.end] for t in tokenize(text)]
    assert words == ["ＯＫ", "près", "de", "Pont", "l", "Évêque"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("J’ai  DROIT au CEJ ?!", "j'ai droit au cej"),
        ("Évreux.", "evreux"),
        ("c'est quoi la ﬁlière", "C’est quoi la filière ?"),
    ],
)
def test_console_and_evaluation_keys_agree(a: str, b: str) -> None:
    """The inbox groups and the evaluation's leak check judge two sentences alike."""
    assert group_key(a) == group_key(b) == sentence_key(a) == sentence_key(b)


def test_console_search_form_keeps_punctuation() -> None:
    assert normalize("Qui  m’aide, à Caen ?") == "qui m'aide, a caen ?"


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Bernai", "Bernay"),
        ("Yvto", "Yvetot"),
        ("Houlgatte", "Houlgate"),
        ("Pontaudemère", "Pont-Audemer"),
        ("Fécan", "Fécamp"),
        ("Doville", "Deauville"),
        ("Grandville", "Granville"),
        ("Faleze", "Falaise"),
        ("Alanson", "Alençon"),
        ("Vimoutié", "Vimoutiers"),
        ("Louvié", "Louviers"),
        ("Donfron", "Domfront"),
        ("Saint Lau", "Saint-Lô"),
        ("Lisieu", "Lisieux"),
        ("Gizor", "Gisors"),
        ("Onfleur", "Honfleur"),
        ("Cabour", "Cabourg"),
        ("Coutanse", "Coutances"),
        ("Sote ville lès Rouen", "Sotteville-lès-Rouen"),
    ],
)
def test_names_written_by_ear_sound_alike(typed: str, name: str) -> None:
    assert sound_key(typed) == sound_key(name)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Caen", "Cherbourg"), ("Bernay", "Berville"), ("Vire", "Vimoutiers"), ("Rouen", "Rennes")],
)
def test_different_names_sound_different(a: str, b: str) -> None:
    assert sound_key(a) != sound_key(b)


def test_sound_key_ignores_what_is_not_a_letter() -> None:
    assert sound_key("Pont-l'Évêque") == sound_key("pont l eveque") == sound_key("PONTLEVEQUE")
    assert sound_key("") == sound_key("!!") == ""
