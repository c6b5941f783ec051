"""Validation: the real data is clean, and each kind of mistake is reported precisely."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest

from bot.cli import main
from knowledge.sources import read_knowledge


def _problems(data_dir):
    return [p for p in read_knowledge(data_dir)[1] if p.severity == "error"]


def _edit(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_real_data_has_no_error(knowledge_data):
    _data, problems = knowledge_data
    assert [str(p) for p in problems if p.severity == "error"] == []


def test_every_commune_has_exactly_one_mission_locale(knowledge_data):
    data, _ = knowledge_data
    assert len(data.communes) == 2644
    assert all(c.mission_locale for c in data.communes)
    mls = {o.id for o in data.operators if o.type == "mission_locale"}
    assert {c.mission_locale for c in data.communes} <= mls
    rows = list(
        csv.DictReader(
            (read_knowledge.__globals__["DATA_DIR"] / "operators/commune_mission_locale.csv").open(
                encoding="utf-8"
            )
        )
    )
    assert Counter(r["code_insee"] for r in rows).most_common(1)[0][1] == 1


def test_mission_locales_point_to_the_official_directory(knowledge_data):
    data, _ = knowledge_data
    mls = [o for o in data.operators if o.type == "mission_locale"]
    assert len(mls) == 25
    # No contact detail in the UNML file: the bot must send people to the official directory.
    assert all(o.to_verify and o.phone is None for o in mls)
    caen = next(o for o in mls if o.id == "ml_14327")
    assert caen.commune == "14327"  # head office at Hérouville-Saint-Clair


def _operator_file(data_copy):
    files = sorted((data_copy / "operators").glob("*.yml"))
    assert files
    return next(f for f in files if "coverage:" in f.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "file", "field", "message"),
    [
        (
            lambda d: _edit(d / "routing.yml", "operator_type: cio", "operator_type: mairie"),
            "routing.yml",
            "operator_type",
            "type d'opérateur inconnu",
        ),
        (
            lambda d: _edit(
                d / "routing.yml", "age_min: 16\n    age_max: 25", "age_min: 25\n    age_max: 16"
            ),
            "routing.yml",
            "age_min",
            "tranche d'âge inversée",
        ),
        (
            lambda d: _edit(d / "routing.yml", "id: ml_decrocheur", "id: ml_16_25"),
            "routing.yml",
            "id",
            "identifiant en double",
        ),
        (
            lambda d: _edit(d / "routing.yml", "situations: [handicap]", "situations: [retraite]"),
            "routing.yml",
            "situations",
            "situation inconnu",
        ),
        (
            lambda d: _edit(
                d / "routing.yml", "contact: parcours_metiers", "contact: ligne_fantome"
            ),
            "routing.yml",
            "contact",
            "contact inconnu",
        ),
        (
            lambda d: _edit(d / "routing.yml", "provenance:", "origine:"),
            "routing.yml",
            "provenance",
            "bloc provenance manquant",
        ),
        (
            lambda d: _edit(d / "contacts.yml", 'phone: "3114"', 'phone: "31 14 22"'),
            "contacts.yml",
            "phone",
            "numéro de téléphone invalide",
        ),
        (
            lambda d: _edit(d / "contacts.yml", "website: https://3114.fr/", "website: 3114.fr"),
            "contacts.yml",
            "website",
            "URL invalide",
        ),
        (
            lambda d: _edit(d / "partners.yml", 'commune: "76540"', 'commune: "99999"'),
            "partners.yml",
            "commune",
            "commune inconnu",
        ),
        (
            lambda d: _edit(
                d / "routing.yml",
                "aident la personne que vous accompagnez à préparer son orientation",
                "t'aident à préparer ton orientation",
            ),
            "routing.yml",
            "reason_referent",
            "« vous » attendu",
        ),
        (
            lambda d: _edit(
                d / "contacts.yml",
                "Je peux aussi vous indiquer où la personne que vous accompagnez",
                "Dis-moi où la personne que tu accompagnes",
            ),
            "contacts.yml",
            "referent.closing",
            "« vous » attendu",
        ),
        (
            lambda d: _edit(
                d / "routing.yml", 'condition: "au lycée"', 'condition: "dans ton lycée"'
            ),
            "routing.yml",
            "condition",
            "« vous » attendu",
        ),
        (
            lambda d: _edit(
                d / "routing.yml",
                "    operator_type: partner\n",
                '    operator_type: partner\n    condition: "au lycée"\n',
            ),
            "routing.yml",
            "condition",
            "une condition suppose des « situations »",
        ),
    ],
    ids=[
        "operator_type",
        "age",
        "duplicate",
        "situation",
        "contact",
        "provenance",
        "phone",
        "url",
        "insee",
        "tu_to_a_referent",
        "tu_in_a_safety_answer",
        "tu_in_a_condition",
        "condition_without_situation",
    ],
)
def test_each_mistake_is_reported_with_file_entry_and_field(
    data_copy, mutate, file, field, message
):
    mutate(data_copy)
    problems = _problems(data_copy)
    assert any(
        p.file == file
        and p.field == field
        and message in p.message
        and (p.entry or field == "provenance")
        for p in problems
    ), [str(p) for p in problems]


def test_dangling_job_scheme_is_reported(data_copy):
    jobs = data_copy / "jobs.yml"
    text = jobs.read_text(encoding="utf-8")
    first = re.search(r"related_schemes: \[([a-z_]+)", text)
    assert first, "jobs.yml should reference schemes"
    _edit(jobs, first.group(0), "related_schemes: [dispositif_fantome")
    assert any(
        p.file == "jobs.yml" and p.field == "related_schemes" and "dispositif_fantome" in p.message
        for p in _problems(data_copy)
    )


def test_unknown_insee_in_operator_coverage_is_reported(data_copy):
    path = _operator_file(data_copy)
    _edit(path, "coverage:", "coverage:\n      communes: ['00000']")
    problems = _problems(data_copy)
    assert any(p.field == "coverage.communes" and "00000" in p.message for p in problems), [
        str(p) for p in problems
    ]


def test_commune_without_mission_locale_and_with_two_are_reported(data_copy):
    path = data_copy / "operators/commune_mission_locale.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    rouen = next(line for line in lines if line.startswith("76540,"))
    caen = next(line for line in lines if line.startswith("14118,"))
    lines.remove(rouen)
    lines.append(caen.replace(",14327", ",14333"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = _problems(data_copy)
    assert any(p.entry == "76540" and "aucune Mission Locale" in p.message for p in problems)
    assert any(p.entry == "14118" and "2 Missions Locales" in p.message for p in problems)


def test_csv_without_provenance_is_reported(data_copy):
    _edit(data_copy / "PROVENANCE.md", "## territories/epci.csv", "## epci")
    problems = _problems(data_copy)
    assert any(p.file == "territories/epci.csv" and p.field == "provenance" for p in problems)


def test_validate_command_exit_codes(data_copy, capsys):
    assert main(["kb", "validate", "--data", str(data_copy)]) == 0
    _edit(data_copy / "contacts.yml", 'phone: "3114"', 'phone: "abc"')
    assert main(["kb", "validate", "--data", str(data_copy)]) == 1
    err = capsys.readouterr().err
    assert "contacts.yml · distress_3114 · phone" in err


def test_communes_left_without_a_routed_operator_type_are_reported(data_copy):
    cio = data_copy / "operators" / "cio.yml"
    _edit(cio, "region: true", 'departements: ["14"]')
    warnings = [p for p in read_knowledge(data_copy)[1] if p.severity == "warning"]
    assert any(
        p.entry == "cio" and p.field == "coverage" and "communes sans opérateur cio" in p.message
        for p in warnings
    ), [str(p) for p in warnings]


def test_a_shared_scheme_id_without_entry_is_reported(data_copy):
    _edit(data_copy / "schemes.yml", "- id: cpf", "- id: cpf_renomme")
    problems = _problems(data_copy)
    assert any(p.file == "schemes.yml" and p.entry == "cpf" and p.field == "id" for p in problems)


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        (
            "Le CEJ accompagne vers l'emploi les jeunes",
            "Le CEJ t'accompagne vers l'emploi, toi et les jeunes",
            "summary",
            "« t' », « toi »",
        ),
        (
            "Prendre rendez-vous à la Mission Locale",
            "Prends rendez-vous à ta Mission Locale",
            "how_to_apply",
            "« Prends », « ta »",
        ),
        (
            "allocation mensuelle selon l'âge et les ressources",
            "allocation mensuelle selon ton âge et tes ressources",
            "money.amount",
            "« ton », « tes »",
        ),
    ],
)
def test_a_scheme_text_that_says_tu_is_refused(data_copy, capsys, old, new, field, words):
    # Parents and referents read the schemes' texts as they are: « tu » in one is refused.
    _edit(data_copy / "schemes.yml", old, new)
    problems = [str(p) for p in _problems(data_copy)]
    assert problems == [
        f"[error] schemes.yml · cej · {field}: texte lu par les jeunes, les parents et les "
        "référents : tournure impersonnelle attendue (« Le CEJ accompagne les jeunes… », "
        f"« Faire la demande… »), pas « tu » : {words}"
    ]
    assert main(["kb", "validate", "--data", str(data_copy)]) == 1
    assert f"schemes.yml · cej · {field}: texte lu par les jeunes" in capsys.readouterr().err
