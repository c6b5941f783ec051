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


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # the parent says who they are after speaking of the child
        ("il ne sait pas quoi faire après la 3e, je suis sa mère", "je suis sa mère"),
        ("elle veut arrêter le lycée. Je suis son papa", "Je suis son papa"),
        ("je suis la maman de Lina, elle a 15 ans", "je suis la maman"),
        ("Bonjour, c'est leur père qui vous écrit", "c'est leur père qui vous écri"),
        ("maman solo d'un ado de 15 ans, je ne sais plus quoi faire", "maman solo d'un"),
        # a parent's words for their child, in every register
        ("ma petite a 14 ans", "ma petite a"),
        ("mon grand ne veut plus aller au lycée", "mon grand ne"),
        ("notre aînée redouble sa seconde", "notre aînée redouble"),
        ("mon petit dernier est en 4e à Lisieux", "mon petit dernier est"),
        ("ma grande s'est fait virer de son stage", "ma grande s'"),
        ("notre ado ne veut plus aller en cours", "notre ado"),
        ("je m'inquiète pour mon gamin de 16 ans", "mon gamin"),
        ("mes gosses sont au collège à Lisieux", "mes gosses"),
        ("mon môme a lâché l'école", "mon môme"),
    ],
)
def test_a_parent_who_names_the_child_otherwise_is_a_parent(text, said):
    assert [m.text for m in find_parent_mentions(text)] == [said]


@pytest.mark.parametrize(
    "text",
    [
        # the young person's own circle: siblings, partner, friends and their parents
        "ma petite sœur a 14 ans",
        "ma petite amie est au lycée",
        "mon petit copain a 18 ans et cherche un boulot",
        "mon grand frère ne veut pas que j'arrête",
        "mon grand-père a 70 ans",
        "ma grande soeur a arrêté les cours",
        "c'est sa mère qui m'a dit de venir ici",
        "je suis sa copine, il ne sait pas quoi faire",
        "je suis le pote de son frère",
        # « petit », « grand » as ordinary adjectives
        "mon plus grand rêve est de devenir cuisinier",
        "ma petite entreprise de nettoyage",
        "mon dernier stage s'est mal passé",
        "ma plus grande peur c'est le bac",
        # a young mother giving her own age
        "j'ai 19 ans et ma petite a 1 an, je cherche une formation",
    ],
)
def test_a_young_person_speaking_of_themselves_or_a_friend_is_not_a_parent(text):
    assert find_parent_mentions(text) == []


def test_a_stray_role_tag_gives_way_to_the_parent_mention():
    # DIET tagged « mon » as a role, a value no synonym maps onto "parent": before, it hid the
    # mention and set the profile slot to « mon » (the « tu » voice) for a parent.
    text = "je m'inquiète pour mon gamin de 16 ans"
    start = text.index("mon")
    stray = {"entity": "role", "start": start, "end": start + 3, "value": "mon"}
    assert [
        (e["entity"], e["value"], text[e["start"] : e["end"]]) for e in read_roles(text, [stray])
    ] == [("role", "parent", "mon gamin")]


def test_a_stray_role_tag_is_dropped_when_nobody_is_a_parent():
    text = "mon pote cherche un job"
    stray = {"entity": "role", "start": 0, "end": 8, "value": "mon pote"}
    assert read_roles(text, [stray]) == []


def test_a_kind_of_structure_in_the_speakers_own_workplace_is_not_asked_for():
    text = (
        "je suis animatrice au PIJ de Vire, un jeune de 19 ans vient me voir, vers qui l'orienter ?"
    )
    own = {"entity": "operator_type", "start": 22, "end": 25, "value": "info_jeunes"}
    assert text[22:25] == "PIJ"
    assert read_roles(text, [own]) == []
    asked = "je travaille à la mairie de Bolbec, quelle mission locale couvre Bolbec ?"
    start = asked.index("mission locale")
    wanted = {
        "entity": "operator_type",
        "start": start,
        "end": start + 14,
        "value": "mission_locale",
    }
    assert read_roles(asked, [wanted]) == [wanted]
    plain = "Quelle Mission Locale couvre Bolbec ?"
    kind = {"entity": "operator_type", "start": 7, "end": 21, "value": "mission_locale"}
    assert read_roles(plain, [kind]) == [kind]
