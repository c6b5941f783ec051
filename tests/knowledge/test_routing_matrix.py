"""Routing for everyone: every need × age 11–30 × situation, and their parents, gets a structure."""

from __future__ import annotations

import pytest

from knowledge.cli import register  # noqa: F401 - `kb routing-matrix` prints the same grid
from knowledge.routing_matrix import AGES, SITUATIONS, cells, render
from knowledge.sources import NEEDS
from knowledge.voice import PARENT, REFERENT, YOUTH, informal_words

# Caen, Bayeux (its Mission Locale's head office is in Vire), Dieppe, Lisieux, a small village
# of the Orne covered by the Sarthe's Mission Locale, and Rouen (a partner of the network).
COMMUNES = ("14118", "14047", "76217", "14366", "61319", "76540")


@pytest.mark.parametrize("parent", [False, True], ids=["young", "parent"])
@pytest.mark.parametrize("commune", COMMUNES)
def test_no_empty_cell(kb, commune, parent):
    grid = list(cells(kb, commune, parent=parent))
    empty = [c for c in grid if c.empty]
    assert not empty, render(empty)
    covered = {(c.need, c.situation, age) for c in grid for age in range(c.age_min, c.age_max + 1)}
    assert len(covered) == len(NEEDS) * len(SITUATIONS) * len(AGES)


def test_the_grid_follows_the_sources(kb):
    def rules(need, age, situation, parent=False):
        found = kb.find_contacts("14118", need, age, situation, voice=PARENT if parent else YOUTH)
        return {c.rule_id for c in found}

    assert "cio_moins_16" in rules("orientation", 13, "collegien")
    assert "decrocheur_moins_16" in rules("formation", 15, "decrocheur")
    assert "obligation_formation_16_18" in rules("formation", 17, "decrocheur")
    assert "suio_etudiant" in rules("orientation", 20, "etudiant")
    assert {"ft_26_30", "cep_26_30"} <= rules("formation", 28, "salarie")
    assert {"ft_cap_emploi_handicap", "ft_handicap", "mdph_handicap"} <= rules(
        "emploi", 27, "handicap"
    )
    assert "apprenti_difficulte" in rules("alternance", 19, "apprenti")
    parent = kb.find_contacts("14118", "orientation", 13, "collegien", voice=PARENT)
    assert all("votre" in c.reason or "vous" in c.reason for c in parent), [
        c.reason for c in parent
    ]
    referent = kb.find_contacts("14118", "orientation", 13, "collegien", voice=REFERENT)
    assert any("la personne que vous accompagnez" in c.reason for c in referent)
    assert not [c.reason for c in referent if informal_words(c.reason)]


def test_every_rule_names_its_source_and_speaks_to_parents_and_referents(knowledge_data):
    data, _problems = knowledge_data
    for rule in data.rules:
        assert rule.source, rule.id
        for reason in (rule.reason_parent, rule.reason_referent):
            assert reason and not informal_words(reason), (rule.id, reason)


def test_office_figures_count_only_what_the_data_holds(kb):
    from knowledge.routing_matrix import office_figures

    table = office_figures(kb).splitlines()
    ml = next(line for line in table if line.startswith("| mission_locale |"))
    # The UNML table: 25 head offices (one in the Sarthe), each serving its own commune only.
    assert "| 25 |" in ml
    ft = next(line for line in table if line.startswith("| france_travail |"))
    assert ft.endswith("| 0 | 0 (0.0%) | 0 (0.0%) |")
