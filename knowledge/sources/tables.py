"""The CSV tables: territories (COG) and the Missions Locales of the UNML, and their provenance."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter, defaultdict

from knowledge.models import Commune, Coverage, Departement, Epci, FormerCommune, Operator, Publics
from knowledge.sources import fields as f
from knowledge.sources.files import Collector
from knowledge.sources.vocabulary import NEEDS

# Mission Locale publics: the national 16–25 scheme (service-public.fr F1556).
ML_AGE_MIN, ML_AGE_MAX = 16, 25
UNML_SOURCE = "UNML, zones de couverture des Missions Locales, janvier 2026 (voir PROVENANCE.md)"


def read_territories(reader: Collector) -> None:
    """Départements, EPCI, communes and former communes (COG CSVs), and the word lists."""
    file = "territories/departements.csv"
    for row in reader.csv_rows(file, ("departement_code", "departement_nom", "chef_lieu_insee")):
        reader.data.departements.append(
            Departement(row["departement_code"], row["departement_nom"], row["chef_lieu_insee"])
        )
    dep_codes = {d.code for d in reader.data.departements}

    file = "territories/epci.csv"
    for row in reader.csv_rows(file, ("epci_siren", "epci_nom", "epci_type", "communes_insee")):
        reader.data.epcis.append(
            Epci(
                row["epci_siren"],
                row["epci_nom"],
                row["epci_type"],
                tuple(row.get("departements", "").split()),
                tuple(row["communes_insee"].split()),
            )
        )
    epci_ids = {e.siren for e in reader.data.epcis}

    file = "territories/communes.csv"
    cols = (
        "code_insee",
        "nom",
        "departement_code",
        "codes_postaux",
        "population",
        "epci_siren",
    )
    seen: set[str] = set()
    for row in reader.csv_rows(file, cols):
        insee = row["code_insee"]
        if not f.INSEE.match(insee):
            reader.problem(file, insee, "code_insee", "code INSEE invalide")
            continue
        if insee in seen:
            reader.problem(file, insee, "code_insee", "commune en double")
            continue
        seen.add(insee)
        if row["departement_code"] not in dep_codes:
            reader.problem(file, insee, "departement_code", "département inconnu")
        postcodes = tuple(row["codes_postaux"].split())
        for pc in postcodes:
            if not f.POSTCODE.match(pc):
                reader.problem(file, insee, "codes_postaux", f"code postal invalide {pc!r}")
        epci = row["epci_siren"] or None
        if epci and epci not in epci_ids:
            reader.problem(file, insee, "epci_siren", f"EPCI inconnu {epci}")
        try:
            population = int(row["population"] or 0)
        except ValueError:
            reader.problem(file, insee, "population", "entier attendu")
            population = 0
        reader.data.communes.append(
            Commune(insee, row["nom"], row["departement_code"], postcodes, epci, population)
        )

    file = "territories/communes_deleguees.csv"
    cols = ("code_insee", "nom", "type", "code_commune_de_rattachement", "departement_code")
    for row in reader.csv_rows(file, cols):
        parent = row["code_commune_de_rattachement"]
        if parent not in seen:
            reader.problem(
                file,
                row["code_insee"],
                "code_commune_de_rattachement",
                f"commune de rattachement inconnue {parent}",
            )
            continue
        reader.data.former_communes.append(
            FormerCommune(
                row["code_insee"], row["nom"], row["type"], parent, row["departement_code"]
            )
        )
    read_positions(reader)
    reader.data.common_words = reader.lines("territories/common_words.txt")
    reader.data.outside_places = reader.lines("territories/outside_places.txt")
    reader.data.near_words = reader.lines("territories/near_words.txt")


def read_positions(reader: Collector) -> None:
    """Town-hall positions (``kb import annuaire``), optional: without them, no distances."""
    file = "territories/commune_positions.csv"
    if not (reader.dir / file).exists():
        return
    positions = {}
    for row in reader.csv_rows(file, ("code_insee", "latitude", "longitude")):
        try:
            positions[row["code_insee"]] = (float(row["latitude"]), float(row["longitude"]))
        except ValueError:
            reader.problem(file, row["code_insee"], "latitude", "nombre décimal attendu")
    known = {c.insee for c in reader.data.communes}
    for insee in sorted(set(positions) - known):
        reader.problem(file, insee, "code_insee", "commune inconnue (COG 2026)")
    reader.data.communes = [
        dataclasses.replace(c, latitude=p[0], longitude=p[1])
        if (p := positions.get(c.insee))
        else c
        for c in reader.data.communes
    ]


def read_missions_locales(reader: Collector) -> None:
    """The UNML tables: one operator per Mission Locale, one per commune."""
    file = "operators/missions_locales.csv"
    cols = ("code_ml_unml", "nom_affiche", "adresse", "code_postal", "ville", "last_verified")
    cols += ("review_by",)
    structures = {row["code_ml_unml"]: row for row in reader.csv_rows(file, cols)}

    file = "operators/commune_mission_locale.csv"
    known = {c.insee for c in reader.data.communes}
    covered: dict[str, list[str]] = defaultdict(list)
    seen: Counter[str] = Counter()
    for row in reader.csv_rows(file, ("code_insee", "code_ml_unml")):
        insee, code = row["code_insee"], row["code_ml_unml"]
        seen[insee] += 1
        if insee not in known:
            reader.problem(file, insee, "code_insee", "commune inconnue (COG 2026)")
        elif code not in structures:
            reader.problem(file, insee, "code_ml_unml", f"Mission Locale inconnue {code}")
        elif seen[insee] == 1:
            covered[code].append(insee)
    for insee, n in seen.items():
        if n > 1:
            reader.problem(
                file, insee, "code_ml_unml", f"commune couverte par {n} Missions Locales"
            )
    for insee in sorted(known - set(seen)):
        reader.problem(file, insee, "code_insee", "commune couverte par aucune Mission Locale")

    by_name = {(c.name, c.departement): c.insee for c in reader.data.communes}
    by_name.update({(f.name, f.departement): f.parent_insee for f in reader.data.former_communes})
    ml_of: dict[str, str] = {}
    for code, row in structures.items():
        ml_id = f"ml_{code}"
        if not covered.get(code):
            reader.problem(
                "operators/missions_locales.csv",
                code,
                "code_ml_unml",
                "Mission Locale sans commune couverte",
                "warning",
            )
        for insee in covered.get(code, ()):
            ml_of[insee] = ml_id
        postcode = row["code_postal"] or None
        reader.data.operators.append(
            Operator(
                id=ml_id,
                type="mission_locale",
                name=row["nom_affiche"],
                address=row["adresse"] or None,
                postcode=postcode,
                commune=by_name.get((row["ville"], (postcode or "")[:2])),
                publics=Publics(ML_AGE_MIN, ML_AGE_MAX),
                themes=NEEDS,
                coverage=Coverage(communes=tuple(covered.get(code, ()))),
                source=UNML_SOURCE,
                # No phone, e-mail or website in the UNML file: the bot must point to the
                # official directory, hence to_verify.
                **reader.freshness(
                    "operators/missions_locales.csv",
                    code,
                    {
                        "last_verified": row["last_verified"] or None,
                        "review_by": row["review_by"] or None,
                        "to_verify": True,
                    },
                ),
            )
        )
    reader.data.communes = [
        dataclasses.replace(c, mission_locale=ml_of.get(c.insee)) for c in reader.data.communes
    ]


def check_csv_provenance(reader: Collector) -> None:
    """Every CSV or TXT table needs its section in PROVENANCE.md."""
    path = reader.dir / "PROVENANCE.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    headings = set(re.findall(r"^## (\S+)", text, re.MULTILINE))
    for csv_path in sorted(reader.dir.rglob("*.csv")) + sorted(reader.dir.rglob("*.txt")):
        rel = csv_path.relative_to(reader.dir).as_posix()
        if rel not in headings:
            reader.problem(rel, "", "provenance", "aucune section dans PROVENANCE.md")
