"""Import of the official directory (``kb import annuaire``) on a synthetic export.

The real export is about 300 MB (some 63,000 local services, 2026); the benchmark writes an
export of the documented shape with N records (default 50,000): every Normandy town hall, a few
hundred offices of the routed types, the rest services of other types and places. It times the
import (stream reading, filtering, validation of the whole data folder, atomic write) beside the
naive baseline that loads the file with ``json.load`` and filters it, and reports peak memory.
Synthetic records are made-up test data, written to a temporary folder and deleted.
"""

from __future__ import annotations

import csv
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from knowledge.annuaire import ANNUAIRE_TYPES, import_annuaire
from knowledge.sources import DATA_DIR

N_RECORDS = 50_000
SEED = 2026
OTHER_TYPES = ("caf", "cpam", "gendarmerie", "sip", "ccas", "pmi", "tresorerie")


def _record(i: int, kind: str, insee: str, served: list[str], rng: random.Random) -> dict:
    lat, lon = 49.0 + rng.random(), -1.5 + 2.5 * rng.random()
    return {
        "id": f"synthetique-{i:08d}",
        "nom": f"Service synthétique {i} ({kind})",
        "pivot": [{"type_service_local": kind, "code_insee_commune": served}],
        "code_insee_commune": insee,
        "adresse": [
            {
                "type_adresse": "Adresse",
                "numero_voie": f"{i % 90 + 1} rue de test",
                "complement1": "",
                "code_postal": insee[:2] + "000",
                "nom_commune": "Test",
                "latitude": f"{lat:.6f}",
                "longitude": f"{lon:.6f}",
            }
        ],
        "telephone": [{"valeur": f"01 00 {i % 100:02d} {i // 100 % 100:02d} 00"}],
        "adresse_courriel": [],
        "site_internet": [],
        "plage_ouverture": [
            {
                "nom_jour_debut": "Lundi",
                "nom_jour_fin": "Vendredi",
                "valeur_heure_debut_1": "09:00:00",
                "valeur_heure_fin_1": "12:00:00",
            }
        ],
    }


def write_synthetic_export(folder: Path, n: int = N_RECORDS, data_dir: Path = DATA_DIR) -> Path:
    """An export of ``n`` made-up records in ``folder``; returns its path."""
    rng = random.Random(SEED)
    with (Path(data_dir) / "territories/communes.csv").open(encoding="utf-8") as fh:
        communes = [row["code_insee"] for row in csv.DictReader(fh)]
    records = [_record(i, "mairie", c, [c], rng) for i, c in enumerate(communes)]
    routed = sorted(ANNUAIRE_TYPES)
    for i in range(len(records), n):
        if i % 150 == 0:
            insee = rng.choice(communes)
            served = rng.sample(communes, 5)
            records.append(_record(i, routed[i % len(routed)], insee, served, rng))
        else:
            outside = f"{rng.randint(1, 95):02d}{rng.randint(1, 999):03d}"
            records.append(_record(i, rng.choice(OTHER_TYPES), outside, [outside], rng))
    path = Path(folder) / "2026-11-30_060000-data.gouv_local.json"
    path.write_text(json.dumps({"service": records[:n]}, ensure_ascii=False), encoding="utf-8")
    return path


def main(n: int = N_RECORDS) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-annuaire-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(DATA_DIR, data)
        path = write_synthetic_export(Path(tmp), n, data)
        size = path.stat().st_size / 1e6
        started = time.perf_counter()
        report = import_annuaire(path, data)
        took = time.perf_counter() - started
        # High-water mark of the import alone: the baseline below runs after it.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        with path.open(encoding="utf-8") as fh:
            doc = json.load(fh)
        kept = [r for r in doc["service"] if r["pivot"][0]["type_service_local"] in ANNUAIRE_TYPES]
        baseline = time.perf_counter() - started
        peak_baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| synthetic export | {n:,} records, {size:.0f} MB |")
    print(
        f"| json.load + filter (baseline, no validation, no write) | {baseline:.2f} s "
        f"({len(kept)} kept) |"
    )
    print(
        f"| kb import annuaire (stream, validation, atomic write) | {took:.2f} s, "
        f"{n / took:,.0f} records/s, {sum(report.kept.values())} offices, "
        f"{report.positions} town halls |"
    )
    print(f"| peak memory (process) after the import | {peak:.0f} MB |")
    print(f"| peak memory (process) after json.load | {peak_baseline:.0f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else N_RECORDS))
