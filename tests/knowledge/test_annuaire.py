"""Import of the official directory (Annuaire de l'administration) and the nearest office.

The fixture (tests/knowledge/fixtures/, made-up offices marked « fiche de test ») has the shape
of the directory's JSON export; it is imported into a private copy of knowledge/data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from knowledge import annuaire
from knowledge.annuaire import ImportRefused, import_annuaire, iter_records, opening_hours
from knowledge.api import KnowledgeBase
from knowledge.loader import load
from knowledge.sources import DATA_DIR, errors, read_knowledge

FIXTURE = Path(__file__).parent / "fixtures" / "2026-11-30_060000-data.gouv_local.json"
BAYEUX, PORT_EN_BESSIN, VIRE, LISIEUX, HONFLEUR = "14047", "14515", "14762", "14366", "14333"
DIEPPE, ARQUES, CAEN = "76217", "76026", "14118"


def snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture()
def imported(data_copy):
    report = import_annuaire(FIXTURE, data_copy)
    return data_copy, report


@pytest.fixture(scope="module")
def imported_kb(tmp_path_factory):
    """The fixture imported once into a copy of the data, loaded into SQLite."""
    folder = tmp_path_factory.mktemp("annuaire")
    data_dir = folder / "data"
    shutil.copytree(DATA_DIR, data_dir)
    import_annuaire(FIXTURE, data_dir)
    url = f"sqlite:///{folder / 'kb.sqlite3'}"
    load(url, data_dir)
    kb = KnowledgeBase.from_url(url)
    yield kb
    kb.close()


def test_fixture_is_marked_as_test_data():
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert "fictives" in doc["_test_data"]
    assert all("(fiche de test)" in record["nom"] for record in doc["service"])


def test_import_keeps_normandy_offices_of_the_routed_types(imported):
    data_dir, report = imported
    assert report.records == 24
    assert dict(report.kept) == {
        "mission_locale": 2,
        "france_travail": 2,  # one of them under the directory's former type « pole_emploi »
        "info_jeunes": 2,
        "cio": 1,
        "mdph": 1,
        "suio": 1,
        "cap_emploi": 1,
    }
    assert report.positions == 10  # Normandy town halls; Paris and the CAF are left out
    assert report.retrieved.isoformat() == "2026-11-30"  # from the file's name
    assert any("téléphone illisible « voir le site »" in w for w in report.warnings)
    data, problems = read_knowledge(data_dir)
    assert errors(problems) == []
    offices = {op.id: op for op in data.operators if op.annuaire_id}
    assert len(offices) == 10
    antenne = next(op for op in offices.values() if "antenne de Bayeux" in op.name)
    assert antenne.type == "mission_locale"
    assert antenne.coverage.communes == (BAYEUX, "14663")
    assert antenne.phone == "01 00 00 00 01"
    assert antenne.opening_hours == "du lundi au vendredi de 9 h à 12 h et de 13 h 30 à 17 h"
    assert antenne.website == "https://antenne-bayeux.example.test"
    assert (antenne.latitude, antenne.longitude) == (49.277, -0.701)
    assert (antenne.publics.age_min, antenne.publics.age_max) == (16, 25)
    assert antenne.last_verified.isoformat() == "2026-11-30"
    assert "fiche 00000000-test-4000-8000-000000000012" in antenne.source
    vire = next(c for c in data.communes if c.insee == VIRE)
    assert (vire.latitude, vire.longitude) == (48.8385, -0.8892)  # not the mairie déléguée


def test_written_file_has_the_directory_provenance(imported):
    data_dir, _report = imported
    text = (data_dir / annuaire.OUTPUT).read_text(encoding="utf-8")
    assert "Licence Ouverte" in text and "2026-11-30_060000-data.gouv_local.json" in text
    assert "&id" not in text  # no YAML aliases for staff to puzzle over


def test_a_second_import_replaces_the_first(imported):
    data_dir, _report = imported
    before = snapshot(data_dir)
    import_annuaire(FIXTURE, data_dir)
    assert snapshot(data_dir) == before


def test_archive_as_downloaded_is_read_without_extracting(data_copy, tmp_path):
    archive = tmp_path / "all_latest.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        tar.add(FIXTURE, arcname="2026-11-30_060000-data.gouv_local.json")
    report = import_annuaire(archive, data_copy)
    assert sum(report.kept.values()) == 10


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"records": []}', "pas de liste « service »"),
        ('{"service": [{"id": "x", "nom": "y"', "JSON mal formé"),
        ("not json at all", "JSON mal formé"),
        ('{"service": []}', "vide"),
        ('{"service": [42]}', "n'est pas une fiche"),
        ('{"service": [{"id": "x", "nom": "Mairie"}]}', "pas de « pivot »"),
        (
            '{"service": [{"id": "x", "nom": "Mairie de Lyon", "code_insee_commune": "69123",'
            ' "pivot": [{"type_service_local": "mairie", "code_insee_commune": ["69123"]}]}]}',
            "Aucune fiche normande",
        ),
    ],
    ids=["foreign", "truncated", "not-json", "empty", "not-a-record", "no-pivot", "not-normandy"],
)
def test_a_bad_file_is_refused_in_french_and_changes_nothing(data_copy, tmp_path, content, message):
    bad = tmp_path / "2026-11-30_060000-data.gouv_local.json"
    bad.write_text(content, encoding="utf-8")
    before = snapshot(data_copy)
    with pytest.raises(ImportRefused, match=message):
        import_annuaire(bad, data_copy)
    assert snapshot(data_copy) == before


def test_an_import_into_data_that_does_not_validate_is_refused(data_copy):
    routing = data_copy / "routing.yml"
    routing.write_text(
        routing.read_text(encoding="utf-8").replace("priority: 10\n", "priority: dix\n")
    )
    before = snapshot(data_copy)
    with pytest.raises(ImportRefused, match="ne passent pas la validation"):
        import_annuaire(FIXTURE, data_copy)
    assert snapshot(data_copy) == before


def test_a_file_without_its_date_needs_one(data_copy, tmp_path):
    undated = tmp_path / "export.json"
    undated.write_bytes(FIXTURE.read_bytes())
    before = snapshot(data_copy)
    with pytest.raises(ImportRefused, match="--date"):
        import_annuaire(undated, data_copy)
    assert snapshot(data_copy) == before
    report = import_annuaire(undated, data_copy, retrieved=dt.date(2026, 12, 1))
    assert report.retrieved == dt.date(2026, 12, 1)


def test_stream_reading_matches_json_load_whatever_the_chunk(monkeypatch):
    text = FIXTURE.read_text(encoding="utf-8")
    expected = json.loads(text)["service"]
    for chunk in (7, 64, 1 << 20):
        monkeypatch.setattr(annuaire, "_CHUNK", chunk)
        assert list(iter_records(io.StringIO(text))) == expected


def test_opening_hours_in_french():
    ranges = [
        {
            "nom_jour_debut": "Mercredi",
            "nom_jour_fin": "Mercredi",
            "valeur_heure_debut_1": "14:00:00",
            "valeur_heure_fin_1": "18:00:00",
            "commentaire": "sur rendez-vous",
        },
        {"nom_jour_debut": "Funday", "nom_jour_fin": "Funday"},
    ]
    assert opening_hours(ranges) == "le mercredi de 14 h à 18 h (sur rendez-vous)"
    assert opening_hours([]) is None


# --- the nearest office -----------------------------------------------------------------------


def by_rule(contacts):
    return {c.rule_id: c for c in contacts}


def test_bayeux_gets_the_antenne_that_serves_it_not_the_head_office_in_vire(imported_kb):
    contacts = by_rule(imported_kb.find_contacts(BAYEUX, "formation", 20, "demandeur_emploi"))
    ml = contacts["ml_16_25"]
    assert ml.match == "serves" and "antenne de Bayeux" in ml.operator.name
    assert contacts["ft_demandeur_emploi"].operator.name.startswith("France Travail Bayeux")


def test_a_commune_not_served_by_an_antenne_gets_the_nearest_of_its_mission_locale(imported_kb):
    ml = by_rule(imported_kb.find_contacts(PORT_EN_BESSIN, "emploi", 19, "salarie"))["ml_16_25"]
    assert ml.match == "nearest" and "antenne de Bayeux" in ml.operator.name
    assert 5 < ml.distance_km < 12


def test_the_head_office_in_the_commune_is_its_office(imported_kb):
    ml = by_rule(imported_kb.find_contacts(VIRE, "emploi", 19, "salarie"))["ml_16_25"]
    assert (ml.match, ml.operator.id) == ("serves", "ml_14762")


def test_an_office_far_away_is_not_called_near(imported_kb):
    # The only CIO of the fixture is in Lisieux: Honfleur (30 km, same département) gets it,
    # Dieppe (about 100 km, another département) gets the official directory instead.
    honfleur = by_rule(imported_kb.find_contacts(HONFLEUR, "orientation", 13, "collegien"))
    assert honfleur["cio_moins_16"].match == "nearest"
    dieppe = by_rule(imported_kb.find_contacts(DIEPPE, "formation", 15, "decrocheur"))
    assert dieppe["decrocheur_moins_16"].match == "directory"
    assert dieppe["info_jeunes_tous"].match == "serves"
    assert by_rule(imported_kb.find_contacts(ARQUES, "jeunesse", 15, "lyceen"))[
        "info_jeunes_jeunesse"
    ].match == ("nearest")


def test_disability_gets_cap_emploi_france_travail_and_the_mdph(imported_kb):
    contacts = by_rule(imported_kb.find_contacts(CAEN, "emploi", 24, "handicap"))
    assert {"ft_cap_emploi_handicap", "ft_handicap", "mdph_handicap"} <= set(contacts)
    assert contacts["ft_handicap"].operator.type == "france_travail"
    assert "29 ans" in contacts["mdph_handicap"].reason


def test_without_positions_an_office_of_the_same_epci_is_said_as_such(kb):
    # The shipped data has no positions nor directory offices: the UNML head office is given for
    # Bayeux, said as the head office, and the region-wide France Travail entry.
    contacts = by_rule(kb.find_contacts(BAYEUX, "formation", 20, "demandeur_emploi"))
    assert contacts["ml_16_25"].match == "head_office"
    assert contacts["ft_demandeur_emploi"].match == "directory"


def test_large_synthetic_export_is_imported(data_copy, tmp_path):
    # `make bench` (benchmarks/annuaire.py) times the same import on 50,000 records.
    from benchmarks.annuaire import write_synthetic_export

    path = write_synthetic_export(tmp_path, 6_000, data_copy)
    report = import_annuaire(path, data_copy)
    assert report.records == 6_000
    assert report.positions == 2644
    assert sum(report.kept.values()) > 0
    _data, problems = read_knowledge(data_copy)
    assert errors(problems) == []


def test_cli_imports_and_refuses_in_french(data_copy, tmp_path, capsys):
    from bot.cli import main

    assert main(["kb", "import", "annuaire", str(FIXTURE), "--data", str(data_copy)]) == 0
    out = capsys.readouterr()
    assert "24 fiches lues" in out.out and "10 positions de mairies" in out.out
    bad = tmp_path / "liste.json"
    bad.write_text('{"communes": []}', encoding="utf-8")
    before = snapshot(data_copy)
    code = main(
        ["kb", "import", "annuaire", str(bad), "--data", str(data_copy), "--date", "2026-12-01"]
    )
    assert code == 1
    assert "Import refusé" in capsys.readouterr().err
    assert snapshot(data_copy) == before
