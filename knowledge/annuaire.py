"""Import the State's official directory, the « Annuaire de l'administration » (DILA).

The directory's local database (« Base de données locales », Licence Ouverte 2.0) is published
daily on data.gouv.fr as an archive holding ``AAAA-MM-JJ_HHMMSS-data.gouv_local.json``: one JSON
object ``{"service": [record, …]}``. Each record (specification « Base de données locales » V1.4
of the DILA) has an ``id``, a ``nom``, a ``pivot`` list of ``{"type_service_local": …,
"code_insee_commune": [communes served]}``, an ``adresse`` list (``type_adresse``,
``numero_voie``, ``complement1``, ``code_postal``, ``nom_commune``, ``latitude``,
``longitude``…), ``telephone`` (``[{"valeur": …}]``), ``adresse_courriel`` (strings),
``site_internet`` (``[{"valeur": …}]``), ``plage_ouverture`` (``nom_jour_debut``,
``nom_jour_fin``, ``valeur_heure_debut_1``… ``commentaire``) and ``code_insee_commune`` (where
the office is).

:func:`import_annuaire` keeps the Normandy offices of the types Boussole routes to
(:data:`ANNUAIRE_TYPES`) and the town halls' positions, writes them to
``operators/annuaire.yml`` and ``territories/commune_positions.csv``, and validates the whole
data folder with them before anything is replaced: a malformed or foreign file, or data that
would not validate, changes nothing.
"""

from __future__ import annotations

import bz2
import csv
import datetime as dt
import io
import json
import math
import os
import re
import shutil
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

# type_service_local (the directory's « pivot », as listed by the DILA's type list) → Boussole's
# operator type. ``pole_emploi`` is the name the directory used before France Travail.
ANNUAIRE_TYPES = {
    "mission_locale": "mission_locale",
    "cio": "cio",
    "france_travail": "france_travail",
    "pole_emploi": "france_travail",
    "cap_emploi": "cap_emploi",
    "cij": "info_jeunes",
    "maison_handicapees": "mdph",
    "suio": "suio",
    "epide": "epide",
}
TOWN_HALL = "mairie"
OUTPUT = "operators/annuaire.yml"
POSITIONS = "territories/commune_positions.csv"
SOURCE_NAME = (
    "Annuaire de l'administration – Base de données locales (DILA, service-public.gouv.fr)"
)
LICENCE = "Licence Ouverte v2.0 (Etalab) ; paternité : Service-Public.gouv.fr / DILA"
DOWNLOAD_PAGE = (
    "https://www.data.gouv.fr/datasets/service-public-fr-annuaire-de-l-administration-base-de-"
    "donnees-locales/"
)
# Normandy's bounding box, with a margin: a position outside is a data error (swapped fields).
_LAT = (48.0, 50.2)
_LON = (-2.2, 2.0)
# The directory changes every day: an import is due again after a quarter (`kb stale`).
REVIEW_AFTER = dt.timedelta(days=91)
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})_\d{6}-data\.gouv_local\.json")
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_CHUNK = 1 << 20


class ImportRefused(Exception):
    """The file cannot be imported; nothing was written. The message is for staff, in French."""


@dataclass
class ImportReport:
    """What an import kept, what it left aside and how long it took."""

    file_name: str
    retrieved: dt.date
    records: int = 0
    kept: Counter = field(default_factory=Counter)  # operator type → offices
    by_departement: Counter = field(default_factory=Counter)  # (type, département) → offices
    positions: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


# --- reading the export, streamed --------------------------------------------------------


def _open_text(path: Path) -> tuple[IO[str], str]:
    """The JSON text of the export: the file itself, or the member of a downloaded archive."""
    if path.name.endswith((".tar.bz2", ".tar", ".tar.gz", ".tgz")):
        try:
            archive = tarfile.open(path)  # noqa: SIM115 - closed with the returned stream
        except (tarfile.TarError, OSError) as exc:
            raise ImportRefused(f"Archive illisible ({exc}).") from None
        for member in archive:
            # Only a regular file is read, by name: nothing is extracted to disk.
            if member.isfile() and member.name.endswith("data.gouv_local.json"):
                raw = archive.extractfile(member)
                return io.TextIOWrapper(raw, encoding="utf-8"), Path(member.name).name
        archive.close()
        raise ImportRefused(
            "Cette archive ne contient pas de fichier « …-data.gouv_local.json » : ce n'est pas "
            "l'export de l'Annuaire de l'administration."
        )
    if path.name.endswith(".bz2"):
        return io.TextIOWrapper(bz2.open(path), encoding="utf-8"), path.name[:-4]
    return path.open(encoding="utf-8"), path.name


class _Stream:
    """Incremental JSON reading with the standard decoder, a megabyte at a time.

    The full export is about 300 MB of JSON; loading it at once would need several gigabytes.
    """

    def __init__(self, fh: IO[str]) -> None:
        self.fh, self.buf, self.pos, self.eof = fh, "", 0, False
        self.decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.fh.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = self.peek() or "la fin du fichier"
            raise ValueError(f"« {char} » attendu, trouvé « {found} »")
        self.pos += 1

    def value(self) -> Any:
        """The next complete JSON value."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self._fill():
                    continue
                raise
            # A number cut by the chunk boundary would decode short: read on before trusting it.
            if end == len(self.buf) and not self.eof and self._fill():
                continue
            self.pos = end
            return value


def iter_records(fh: IO[str]) -> Iterator[Any]:
    """Each element of the top-level ``service`` list, read as a stream.

    Raises :class:`ImportRefused` when the text is not JSON or has no ``service`` list.
    """
    stream = _Stream(fh)
    found = False
    try:
        stream.expect("{")
        while stream.peek() != "}":
            key = stream.value()
            stream.expect(":")
            if key != "service":
                stream.value()
            else:
                found = True
                stream.expect("[")
                while stream.peek() != "]":
                    yield stream.value()
                    if stream.peek() == ",":
                        stream.pos += 1
                stream.expect("]")
            if stream.peek() == ",":
                stream.pos += 1
        stream.expect("}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"Fichier JSON mal formé : {exc}.") from None
    if not found:
        raise ImportRefused(
            "Ce fichier n'a pas de liste « service » : ce n'est pas l'export JSON de l'Annuaire "
            "de l'administration (Base de données locales)."
        )


# --- one record → one office ---------------------------------------------------------------


def _first(items: Any, key: str | None = None) -> str | None:
    for item in items if isinstance(items, list) else ():
        value = item.get(key) if key and isinstance(item, dict) else item
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _address(record: dict) -> dict:
    addresses = [a for a in record.get("adresse") or () if isinstance(a, dict)]
    physical = [a for a in addresses if a.get("type_adresse") == "Adresse"]
    return (physical or addresses or [{}])[0]


def _position(address: dict) -> tuple[float, float] | None:
    try:
        lat, lon = float(address.get("latitude")), float(address.get("longitude"))
    except (TypeError, ValueError):
        return None
    if not (_LAT[0] <= lat <= _LAT[1] and _LON[0] <= lon <= _LON[1]):
        return None
    return round(lat, 6), round(lon, 6)


def _time(value: Any) -> str | None:
    match = re.match(r"^(\d{1,2}):(\d{2})", str(value or ""))
    if not match:
        return None
    hours, minutes = int(match[1]), match[2]
    return f"{hours} h" if minutes == "00" else f"{hours} h {minutes}"


def opening_hours(ranges: Any) -> str | None:
    """French text of ``plage_ouverture``: « du lundi au vendredi de 9 h à 12 h » and so on."""
    parts = []
    for item in ranges if isinstance(ranges, list) else ():
        if not isinstance(item, dict):
            continue
        first = str(item.get("nom_jour_debut") or "").strip().lower()
        last = str(item.get("nom_jour_fin") or "").strip().lower() or first
        if first not in _DAYS or last not in _DAYS:
            continue
        days = f"le {first}" if first == last else f"du {first} au {last}"
        slots = []
        for n in (1, 2):
            start = _time(item.get(f"valeur_heure_debut_{n}"))
            end = _time(item.get(f"valeur_heure_fin_{n}"))
            if start and end:
                slots.append(f"de {start} à {end}")
        text = days + (" " + " et ".join(slots) if slots else "")
        comment = " ".join(str(item.get("commentaire") or "").split())
        parts.append(text + (f" ({comment})" if comment else ""))
    return " ; ".join(parts) or None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass
class _Context:
    communes: dict[str, str]  # INSEE → département, Normandy only
    defaults: dict[str, dict]  # operator type → {publics, themes} of its region-wide entry
    report: ImportReport
    ids: set[str] = field(default_factory=set)


def _office(record: dict, pivot_type: str, served: list[str], ctx: _Context) -> dict | None:
    op_type = ANNUAIRE_TYPES[pivot_type]
    rid = str(record.get("id") or "")
    name = " ".join(str(record.get("nom") or "").split())
    if not rid or not name:
        raise ImportRefused(
            f"Fiche sans identifiant ou sans nom (type {pivot_type}) : le fichier est mal formé."
        )
    address = _address(record)
    located = str(record.get("code_insee_commune") or "").strip()
    if located not in ctx.communes:
        located = next((c for c in served if c in ctx.communes), "")
    if not located:
        return None  # an office outside Normandy that serves no Normandy commune
    base = f"{op_type}_{located}_{_slug(rid)[-8:] or 'fiche'}"
    op_id, n = base, 1
    while op_id in ctx.ids:
        n += 1
        op_id = f"{base}_{n}"
    ctx.ids.add(op_id)

    def checked(value: str | None, pattern: str, what: str) -> str | None:
        if value and not re.match(pattern, value):
            ctx.report.warnings.append(
                f"{name} ({rid}) : {what} illisible « {value} », laissé vide"
            )
            return None
        return value

    phone = _first(record.get("telephone"), "valeur")
    phone = checked(phone, r"^(?:\+33|0)[\d .\-]{8,16}$|^\d{3,4}$", "téléphone")
    website = checked(_first(record.get("site_internet"), "valeur"), r"^https?://\S+\.\S+$", "site")
    email = checked(_first(record.get("adresse_courriel")), r"^[^@\s]+@[^@\s]+\.\w{2,}$", "e-mail")
    postcode = str(address.get("code_postal") or "").strip() or None
    street = ", ".join(
        " ".join(str(address.get(k) or "").split())
        for k in ("numero_voie", "complement1", "complement2")
        if str(address.get(k) or "").strip()
    )
    position = _position(address)
    if position is None and address.get("latitude"):
        ctx.report.warnings.append(f"{name} ({rid}) : position hors de Normandie, ignorée")
    defaults = ctx.defaults.get(op_type, {})
    entry = {
        "id": op_id,
        "type": op_type,
        "name": name,
        "address": street or None,
        "postcode": postcode if postcode and re.fullmatch(r"\d{5}", postcode) else None,
        "commune": located,
        "phone": phone,
        "email": email,
        "website": website,
        "opening_hours": opening_hours(record.get("plage_ouverture")),
        "latitude": position[0] if position else None,
        "longitude": position[1] if position else None,
        "publics": defaults.get("publics") or {"situations": []},
        "themes": list(defaults.get("themes") or []),
        # The directory's own statement of the communes the office serves; none stated means
        # the office is only proposed by distance.
        "coverage": {"communes": sorted(set(served))} if served else {},
        "annuaire_id": rid,
        "source": f"{SOURCE_NAME}, fiche {rid}, fichier {ctx.report.file_name}",
        "last_verified": ctx.report.retrieved,
        "review_by": ctx.report.retrieved + REVIEW_AFTER,
        "to_verify": not (street and phone),
    }
    ctx.report.kept[op_type] += 1
    ctx.report.by_departement[(op_type, ctx.communes[located])] += 1
    return entry


def _town_hall(record: dict, served: list[str], ctx: _Context, positions: dict) -> None:
    located = str(record.get("code_insee_commune") or "").strip()
    if located not in ctx.communes or (served and located not in served):
        return
    position = _position(_address(record))
    if position is None:
        return
    name = str(record.get("nom") or "").lower()
    secondary = "délégu" in name or "annexe" in name
    # The main town hall wins over a mairie déléguée or annexe of the same commune.
    if located not in positions or (positions[located][2] and not secondary):
        positions[located] = (*position, secondary, str(record.get("id") or ""))


def collect(fh: IO[str], ctx: _Context) -> tuple[list[dict], dict]:
    """Offices and town-hall positions of Normandy found in the export."""
    offices: list[dict] = []
    positions: dict[str, tuple] = {}
    for record in iter_records(fh):
        ctx.report.records += 1
        if not isinstance(record, dict):
            raise ImportRefused(
                f"L'élément n° {ctx.report.records} de la liste « service » n'est pas une fiche."
            )
        pivots = record.get("pivot")
        if not isinstance(pivots, list):
            raise ImportRefused(
                f"La fiche {record.get('id') or ctx.report.records} n'a pas de « pivot » : ce "
                "n'est pas le format de la Base de données locales."
            )
        for pivot in pivots:
            if not isinstance(pivot, dict):
                continue
            kind = pivot.get("type_service_local")
            served = [str(c) for c in pivot.get("code_insee_commune") or () if str(c)]
            served_here = [c for c in served if c in ctx.communes]
            if kind == TOWN_HALL:
                _town_hall(record, served_here, ctx, positions)
            elif kind in ANNUAIRE_TYPES:
                office = _office(record, kind, served_here, ctx)
                if office:
                    offices.append(office)
                break  # one office per record, under its first routed type
    if ctx.report.records == 0:
        raise ImportRefused("La liste « service » est vide : rien à importer.")
    return offices, positions


# --- writing, all or nothing ---------------------------------------------------------------


def _yaml_text(offices: list[dict], report: ImportReport) -> str:
    header = (
        "# Generated by `python -m bot kb import annuaire` from the State's official directory.\n"
        "# Do not edit by hand: the next import replaces this file. Correct the directory instead\n"
        "# (or an entry of another operators/*.yml file).\n"
    )
    doc = {
        "provenance": {
            "source": f"{SOURCE_NAME}, fichier {report.file_name} ({DOWNLOAD_PAGE})",
            "licence": LICENCE,
            "retrieved": report.retrieved,
        },
        "operators": sorted(offices, key=lambda o: o["id"]),
    }
    return header + yaml.dump(
        doc, Dumper=_NoAliases, allow_unicode=True, sort_keys=False, width=100
    )


class _NoAliases(yaml.SafeDumper):
    """Every date written in full: staff read and edit this file, ``&id001`` would puzzle them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _positions_text(positions: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("code_insee", "latitude", "longitude", "annuaire_id"))
    for insee in sorted(positions):
        lat, lon, _secondary, rid = positions[insee]
        writer.writerow((insee, f"{lat:.6f}", f"{lon:.6f}", rid))
    return out.getvalue()


def _region_defaults(data_dir: Path) -> dict[str, dict]:
    """Publics and themes of each type's region-wide entry: one place for what a type serves."""
    from knowledge.sources.tables import ML_AGE_MAX, ML_AGE_MIN
    from knowledge.sources.vocabulary import NEEDS

    # The Missions Locales come from the UNML table, whose publics are stated in one place.
    ml = {"publics": {"age_min": ML_AGE_MIN, "age_max": ML_AGE_MAX}, "themes": list(NEEDS)}
    out: dict[str, dict] = {"mission_locale": ml}
    for path in sorted((data_dir / "operators").glob("*.yml")):
        if path.name == Path(OUTPUT).name:
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for op in doc.get("operators") or ():
            if isinstance(op, dict) and (op.get("coverage") or {}).get("region"):
                out.setdefault(
                    op.get("type"), {"publics": op.get("publics"), "themes": op.get("themes")}
                )
    return out


def _normandy(data_dir: Path) -> dict[str, str]:
    with (data_dir / "territories/communes.csv").open(encoding="utf-8", newline="") as fh:
        return {row["code_insee"]: row["departement_code"] for row in csv.DictReader(fh)}


def file_date(name: str) -> dt.date | None:
    """The date in the export's name (``2026-11-30_060012-data.gouv_local.json``)."""
    match = _FILE_DATE.search(name)
    return dt.date.fromisoformat(match[1]) if match else None


def import_annuaire(
    path: Path | str, data_dir: Path | str, retrieved: dt.date | None = None
) -> ImportReport:
    """Import the export at ``path`` into ``data_dir``; all or nothing.

    ``retrieved`` is the download date; by default the date in the file's name. Raises
    :class:`ImportRefused` (French message) and leaves ``data_dir`` untouched when the file is
    not the directory's export, is malformed, or when the data would not validate.
    """
    from knowledge.sources import errors, read_knowledge

    started = time.perf_counter()
    path, data_dir = Path(path), Path(data_dir)
    if not path.is_file():
        raise ImportRefused(f"Fichier introuvable : {path}")
    fh, inner_name = _open_text(path)
    day = retrieved or file_date(inner_name) or file_date(path.name)
    if day is None:
        fh.close()
        raise ImportRefused(
            "Date de téléchargement inconnue : le nom du fichier ne la porte pas "
            "(AAAA-MM-JJ_HHMMSS-data.gouv_local.json) ; donnez-la avec --date AAAA-MM-JJ."
        )
    report = ImportReport(inner_name, day)
    ctx = _Context(_normandy(data_dir), _region_defaults(data_dir), report)
    with fh:
        offices, positions = collect(fh, ctx)
    if not offices and not positions:
        raise ImportRefused(
            f"Aucune fiche normande des types attendus ({', '.join(sorted(ANNUAIRE_TYPES))}) "
            "ni aucune mairie normande : ce n'est pas l'export attendu, rien n'a changé."
        )
    report.positions = len(positions)
    texts = {OUTPUT: _yaml_text(offices, report), POSITIONS: _positions_text(positions)}

    # Validate a copy of the data folder holding the new files before touching the real one.
    with tempfile.TemporaryDirectory(prefix="annuaire-") as tmp:
        trial = Path(tmp) / "data"
        shutil.copytree(data_dir, trial)
        for rel, text in texts.items():
            (trial / rel).write_text(text, encoding="utf-8")
        _data, problems = read_knowledge(trial)
        bad = errors(problems)
        if bad:
            shown = "\n".join(f"  {p}" for p in bad[:20])
            raise ImportRefused(
                f"Les données importées ne passent pas la validation ({len(bad)} erreur(s)), "
                f"rien n'a changé :\n{shown}"
            )
    # Every new file is written beside its target, then renamed: a rename is atomic, so a
    # reader sees the old file or the new one, never half of one.
    staged = []
    try:
        for rel, text in texts.items():
            target = data_dir / rel
            fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            staged.append((tmp_name, target))
        for tmp_name, target in staged:
            os.replace(tmp_name, target)
    finally:
        for tmp_name, _target in staged:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
    report.seconds = time.perf_counter() - started
    return report


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points, in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))
