"""Ages as people write them: digits, French number words (text2num), SMS spellings."""

from __future__ import annotations

import pytest

from knowledge.ages import find_ages, number_in_words, parse_age


@pytest.mark.parametrize(
    ("text", "ages"),
    [
        ("j'ai dix-neuf ans", [("dix-neuf", 19)]),
        ("j'ai vingt et un ans, je cherche", [("vingt et un", 21)]),
        ("ma fille a quatorze ans", [("quatorze", 14)]),
        ("Dix-Sept ans", [("Dix-Sept", 17)]),
        ("quatre-vingt-dix-neuf ans", [("quatre-vingt-dix-neuf", 99)]),
        ("g 20an", [("20", 20)]),
        ("19a", [("19", 19)]),
        ("jai 17ans et jai arrete le lycee", [("17", 17)]),
        ("je suis sur le 50180, j'ai 21 ans", [("21", 21)]),
        ("mon fils a 16 ans et ma fille 19 ans", [("16", 16), ("19", 19)]),
        # in the third person, and « de » after the young person (issue 11's parents)
        ("il a seize ans", [("seize", 16)]),
        ("elle a 17 ans", [("17", 17)]),
        ("une fille de dix-sept ans", [("dix-sept", 17)]),
        ("mon fils de 16 ans", [("16", 16)]),
        ("maman d'une fille de 17 ans qui a arrêté le lycée", [("17", 17)]),
        ("j'ai un fils de quinze ans et une fille de 19 ans", [("quinze", 15), ("19", 19)]),
        ("ma belle-fille de seize ans", [("seize", 16)]),
        ("pour un jeune de 18 ans", [("18", 18)]),
        ("mon neveu de vingt ans", [("vingt", 20)]),
    ],
)
def test_ages_are_found_with_their_value(text, ages):
    assert [(text[m.start : m.end], m.value) for m in find_ages(text)] == ages


@pytest.mark.parametrize(
    "text",
    [
        "c'est pour les moins de 26 ans ?",  # a bound, not the person's age
        "entre seize et dix-huit ans",
        "au chômage depuis 2 ans",  # durations
        "il y a 15 ans",
        "j'ai 15 ans d'expérience",
        "un an de retard",  # not an age Boussole takes
        "je suis en 3e, code postal 27000",
        "19 à Rouen",
        # « de » with no young person before it: a bound or a duration
        "des jeunes de moins de 26 ans",
        "les jeunes de 16 à 25 ans",
        "les jeunes de 16 ans et plus",
        "un contrat de 2 ans",
        "une formation de deux ans",
        "un CAP de 2 ans",
        "ma fille de 3 ans",  # a person, but not an age Boussole takes
    ],
)
def test_durations_bounds_and_other_numbers_are_no_age(text):
    assert find_ages(text) == []


@pytest.mark.parametrize(
    ("value", "age"),
    [
        ("19", 19),
        (19, 19),
        ("dix-neuf", 19),
        ("seize", 16),
        ("j'ai 25 ans", 25),
        ("il a seize ans", 16),
        ("elle a dix-sept ans", 17),
        ("une fille de dix-sept ans", 17),
        ("g 20an", 20),
        ("12 ou 13", None),
        ("je préfère pas", None),
        ("", None),
    ],
)
def test_an_answer_is_read_as_one_age(value, age):
    assert parse_age(value) == age


def test_number_words_are_read_by_text2num_only():
    assert number_in_words("vingt-trois") == 23
    assert number_in_words("vint") is None  # no guessing beyond the library
    assert number_in_words("19") is None
