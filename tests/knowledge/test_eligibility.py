"""Eligibility verdicts checked against the rule each scheme's source states."""

from __future__ import annotations

import pytest

ROUEN = "76540"


@pytest.mark.parametrize(
    ("situation", "status"),
    [
        # Région Normandie (aides-jeunes): « Être stagiaire de la formation professionnelle ».
        # Residence checked, situation unknown: probably, the situation still to ask.
        ("lyceen", "no"),
        ("etudiant", "no"),
        ("demandeur_emploi", "no"),
        ("stagiaire", ("yes", "probably")),
        (None, "probably"),
    ],
)
def test_permis_region_is_for_trainees_only(kb, situation, status):
    check = kb.check_eligibility("permis_region", 19, situation, ROUEN)
    assert check.status in (status if isinstance(status, tuple) else (status,)), check.reasons
    if check.status == "no":
        assert any("stagiaire de la formation professionnelle" in r for r in check.reasons)


@pytest.mark.parametrize(
    ("scheme", "age", "situation", "status"),
    [
        # CEJ (service-public F32700): 16–25, or 16–29 with a RQTH.
        ("cej", 25, "sans_activite", "probably"),
        ("cej", 27, "sans_activite", "no"),
        ("cej", 27, ["sans_activite", "handicap"], "probably"),
        ("cej", 29, "handicap", "probably"),  # situation still to ask: missing
        ("cej", 30, ["sans_activite", "handicap"], "no"),
        # Service civique: 16–25, up to 30 with a disability.
        ("service_civique", 28, "salarie", "no"),
        ("service_civique", 30, "handicap", "probably"),
        ("service_civique", 31, "handicap", "no"),
        # Apprenticeship (F2918): 16–29, no upper limit with a RQTH.
        ("apprentissage", 35, "demandeur_emploi", "no"),
        ("apprentissage", 35, ["demandeur_emploi", "handicap"], "probably"),
        ("apprentissage", 15, "handicap", "no"),
    ],
)
def test_longer_age_limits_with_a_disability(kb, scheme, age, situation, status):
    check = kb.check_eligibility(scheme, age, situation)
    assert check.status == status, check.reasons


def test_over_the_usual_age_without_a_situation_asks_for_it(kb):
    check = kb.check_eligibility("cej", 27)
    assert check.status != "no"
    assert "situation" in check.missing
    assert any("jusqu'à 29 ans avec une reconnaissance de handicap" in r for r in check.reasons)
    apprentissage = kb.check_eligibility("apprentissage", 40)
    assert any("sans limite d'âge" in r for r in apprentissage.reasons)
