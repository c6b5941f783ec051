"""The parent reader (bot/nlu/roles.py): who is asking, when DIET did not say it.

Sentences written for this test, not taken from any held-out set.
"""

from __future__ import annotations

import pytest

from bot.nlu.roles import find_parent_mentions, read_roles


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("maman d'une fille de 17 ans, on est à Vernon", "maman d'une"),
        ("Bonsoir, mon fils a quinze ans", "mon fils"),
        ("je suis le père d'un lycéen en seconde", "père d'un"),
        ("en tant que maman je me pose des questions", "en tant que maman"),
        ("nos enfants sont au collège à Bayeux", "nos enfants"),
        ("ma petite-fille de 16 ans veut faire un CAP", "ma petite-fille"),
        ("ma niece cherche un apprentissage", "ma niece"),
        ("je suis parent d'élève au lycée de Flers", "je suis parent"),
        ("MON FILS EST DÉSCOLARISÉ", "MON FILS"),
    ],
)
def test_a_relative_speaking_of_a_young_person_is_a_parent(text, said):
    assert [m.text for m in find_parent_mentions(text)] == [said]


@pytest.mark.parametrize(
    "text",
    [
        "ma mère d'accord pour que je fasse un CAP",  # the young person's own mother
        "ma grande sœur a 20 ans et cherche du travail",  # a sibling, not a child
        "mon pote cherche un job",
        "la mère de mon copain travaille à la mission locale",
        # young parents speaking for themselves: their own age is given
        "j'ai 22 ans, maman d'un enfant de 2 ans, je cherche un emploi",
        "g 19a, ma fille a 2 ans, je voudrais une formation",
        "j'ai vingt-trois ans et mon fils va à la crèche, qui peut m'aider ?",
        "j'ai une fille et je cherche un emploi",
        "je cherche une formation",
    ],
)
def test_the_young_persons_own_words_are_not_a_parent(text):
    assert find_parent_mentions(text) == []


def test_the_entity_is_added_only_when_diet_found_none():
    text = "bonjour, ma fille a 14 ans"
    added = read_roles(text, [])
    assert added == [
        {
            "entity": "role",
            "start": 9,
            "end": 17,
            "value": "parent",
            "extractor": "RoleEntityReader",
        }
    ]
    assert text[9:17] == "ma fille"
    diet = [{"entity": "role", "start": 9, "end": 17, "value": "parent", "extractor": "DIET"}]
    assert read_roles(text, diet) == diet
    others = [{"entity": "age", "start": 20, "end": 22, "value": "14"}]
    assert [e["entity"] for e in read_roles(text, others)] == ["role", "age"]
