"""The situation reader: a school left, said in a phrase whose school word DIET tagged alone."""

from __future__ import annotations

import pytest

from bot.nlu.situations import read_situations


def situation(start: int, end: int, value: str, extractor: str = "DIETClassifier") -> dict:
    return {
        "entity": "situation",
        "start": start,
        "end": end,
        "value": value,
        "extractor": extractor,
    }


def situations(entities: list[dict]) -> list[str]:
    return [e["value"] for e in entities if e["entity"] == "situation"]


def test_the_left_school_beats_the_school_word_tagged_alone():
    text = "Bonjour, j'ai 17 ans et j'ai arrêté le lycée. J'habite à Louviers, qui peut m'aider ?"
    start = text.index("lycée")
    age = {"entity": "age", "start": 14, "end": 16, "value": "17", "extractor": "DIETClassifier"}
    read = read_situations(text, [age, situation(start, start + 5, "lyceen")])
    assert situations(read) == ["decrocheur"]
    found = next(e for e in read if e["entity"] == "situation")
    assert text[found["start"] : found["end"]] == "arrêté le lycée"
    assert found["extractor"] == "SituationEntityReader"
    assert age in read


@pytest.mark.parametrize(
    "text",
    [
        "j'ai quitté l'école à 16 ans",
        "g arrêté le lycée en novembre",
        "mon fils a lâché le lycée",
        "elle a abandonné ses études",
        "il a été viré du lycée",
        "j'ai plaqué la fac",
        "j'ai laissé tomber ma formation",
        "J'AI ARRETE LES COURS",
    ],
)
def test_leaving_school_is_read_without_diet(text):
    assert situations(read_situations(text, [])) == ["decrocheur"]


@pytest.mark.parametrize(
    "text",
    [
        "je suis au lycée",
        "je veux arrêter le lycée",  # a plan, not a fact: DIET and the form decide
        "je n'ai pas arrêté le lycée",
        "j'ai jamais quitté l'école",
        "j'ai arrêté les cours de piano",
        "j'ai arrêté de fumer au lycée",
        "je suis sortie de cours à 17 h",
    ],
)
def test_no_left_school_where_none_is_said(text):
    assert situations(read_situations(text, [])) == []


def test_a_situation_diet_already_read_is_kept_as_it_is():
    text = "j'ai arrêté le lycée"
    mine = situation(0, len(text), "decrocheur")
    assert read_situations(text, [mine]) == [mine]


def test_other_situations_outside_the_phrase_stay():
    text = "je suis en recherche d'emploi, j'ai quitté le lycée"
    job = situation(8, 29, "demandeur_emploi")
    read = read_situations(text, [job])
    assert situations(read) == ["demandeur_emploi", "decrocheur"]
