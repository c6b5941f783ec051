"""Read the files of ``knowledge/data`` and validate them.

:func:`read_knowledge` never raises on bad content: it returns what it could read plus a list of
:class:`Problem` (file, entry id, field, message), so that staff see every mistake in one run.
The loader refuses to load while any problem has severity ``error``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.models import (
    Audience,
    Commune,
    ContactEntry,
    Coverage,
    Departement,
    Epci,
    Event,
    FormerCommune,
    Job,
    Money,
    Operator,
    Partner,
    PartnerPublics,
    Person,
    Publics,
    RoutingRule,
    Scheme,
)

DATA_DIR = Path(__file__).resolve().parent / "data"

NEEDS = ("metiers", "formation", "alternance", "emploi", "jeunesse", "orientation")
SITUATIONS = (
    "lyceen",
    "etudiant",
    "demandeur_emploi",
    "salarie",
    "sans_activite",
    "decrocheur",
    "apprenti",
    "parent",
    "referent",
    "handicap",
)
OPERATOR_TYPES = (
    "mission_locale",
    "info_jeunes",
    "cio",
    "france_travail",
    "cap_emploi",
    "e2c",
    "epide",
    "aom",
    "partner",
    "region",
)
# The NLU's `scheme` entity values (knowledge/README.md): each must keep an entry.
SCHEME_IDS = (
    "atouts_normandie", "atouts_normandie_bafa", "avenir", "qualif_collectif", "programme_savoirs",
    "une_formation_un_emploi", "vae_region", "permis_region", "pass_monde",
    "formations_sanitaires_sociales", "cej", "service_civique", "cpf", "vae", "apprentissage",
    "contrat_pro", "e2c", "epide", "obligation_formation", "parcours_metiers",
    "destination_metier", "salon_orientation",
)  # fmt: skip
# Mission Locale publics: the national 16–25 scheme (service-public.fr F1556).
ML_AGE_MIN, ML_AGE_MAX = 16, 25
UNML_SOURCE = "UNML, zones de couverture des Missions Locales, janvier 2026 (voir PROVENANCE.md)"

# libyaml's loader is about ten times faster than the pure-Python one, with the same safe subset.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ID = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
_INSEE = re.compile(r"^\d[0-9AB]\d{3}$")
_POSTCODE = re.compile(r"^\d{5}$")
_PHONE = re.compile(r"^(?:0\d{9}|\+33\d{9}|\d{3,4})$")  # national, international or short (3114)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_ORIGIN = re.compile(r"^https?://[a-z0-9.\-]+(?::\d+)?$", re.IGNORECASE)
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """One validation finding, precise enough for staff to fix it without reading code."""

    file: str
    entry: str
    field: str
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        where = " · ".join(p for p in (self.file, self.entry, self.field) if p)
        return f"[{self.severity}] {where}: {self.message}"


@dataclass
class KnowledgeData:
    """Everything read from ``knowledge/data``, as model objects."""

    communes: list[Commune] = field(default_factory=list)
    former_communes: list[FormerCommune] = field(default_factory=list)
    epcis: list[Epci] = field(default_factory=list)
    departements: list[Departement] = field(default_factory=list)
    operators: list[Operator] = field(default_factory=list)
    schemes: list[Scheme] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    rules: list[RoutingRule] = field(default_factory=list)
    contacts: list[ContactEntry] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)
    common_words: list[str] = field(default_factory=list)
    outside_places: list[str] = field(default_factory=list)
    near_words: list[str] = field(default_factory=list)

    def to_verify(self) -> list[tuple[str, str]]:
        """(kind, id) of every entry still marked ``to_verify``."""
        out = []
        for kind, items in (
            ("operator", self.operators),
            ("scheme", self.schemes),
            ("contact", self.contacts),
        ):
            out += [(kind, item.id) for item in items if item.to_verify]
        return out


class Invalid(ValueError):
    """A field value that does not fit its format."""


# --- field checkers: raw YAML value -> clean value, or raise Invalid -----------------------


def _str(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Invalid(f"texte attendu, trouvé {type(value).__name__}")
    text = " ".join(str(value).split())
    if not text:
        raise Invalid("texte vide")
    return text


def _id(value: Any) -> str:
    text = _str(value)
    if not _ID.match(text):
        raise Invalid(f"identifiant invalide {text!r} (minuscules, chiffres et _)")
    return text


def _code(pattern: re.Pattern, what: str, width: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        # YAML reads 14118 as an int; a leading zero would be lost, so pad back.
        text = str(value).zfill(width) if isinstance(value, int) else _str(value)
        text = text.replace(" ", "") if what == "code postal" else text
        if not pattern.match(text):
            raise Invalid(f"{what} invalide {text!r}")
        return text

    return check


_insee = _code(_INSEE, "code INSEE", 5)
_postcode = _code(_POSTCODE, "code postal", 5)


def _matching(
    pattern: re.Pattern, what: str, hint: str = "", strip: str = ""
) -> Callable[[Any], str]:
    """Checker of a text matching ``pattern`` once the characters of ``strip`` are removed."""

    def check(value: Any) -> str:
        text = _str(value)
        if not pattern.match(re.sub(f"[{strip}]", "", text) if strip else text):
            raise Invalid(f"{what} invalide {text!r}{hint}")
        return text

    return check


_phone = _matching(_PHONE, "numéro de téléphone", strip=r"\s.\-")
_email = _matching(_EMAIL, "adresse e-mail")
_url = _matching(_URL, "URL", " (http:// ou https:// attendu)")
_origin = _matching(_ORIGIN, "origine", " (https://hote[:port], sans chemin ni / final)")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid(f"date invalide {value!r} (AAAA-MM-JJ attendu)") from None


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"true ou false attendu, trouvé {value!r}")
    return value


def _age(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120:
        raise Invalid(f"âge invalide {value!r} (entier entre 0 et 120)")
    return value


def _among(choices: Iterable[str], what: str) -> Callable[[Any], str]:
    allowed = frozenset(choices)

    def check(value: Any) -> str:
        text = _str(value)
        if text not in allowed:
            raise Invalid(f"{what} inconnu {text!r} (attendu : {', '.join(sorted(allowed))})")
        return text

    return check


def _list(item: Callable[[Any], Any]) -> Callable[[Any], tuple]:
    def check(value: Any) -> tuple:
        if isinstance(value, (str, int)):
            value = [value]
        if not isinstance(value, list):
            raise Invalid("liste attendue")
        return tuple(item(v) for v in value)

    return check


_need = _among(NEEDS, "besoin")
_situation = _among(SITUATIONS, "situation")
_operator_type = _among(OPERATOR_TYPES, "type d'opérateur")


# --- the reader ----------------------------------------------------------------------------


class _Reader:
    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir
        self.problems: list[Problem] = []
        self.data = KnowledgeData()

    def problem(self, file: str, entry: str, fld: str, msg: str, severity: str = "error") -> None:
        self.problems.append(Problem(file, entry, fld, msg, severity))

    # -- generic helpers

    def take(
        self,
        file: str,
        entry_id: str,
        raw: dict,
        name: str,
        check: Callable[[Any], Any],
        required: bool = False,
        default: Any = None,
    ) -> Any:
        """Checked value of ``raw[name]``; records a problem and returns ``default`` if bad."""
        value = raw.get(name)
        if value is None or value == "" or value == []:
            if required:
                self.problem(file, entry_id, name, "champ obligatoire manquant")
            return default
        try:
            return check(value)
        except Invalid as exc:
            self.problem(file, entry_id, name, str(exc))
            return default

    def taker(self, file: str, entry_id: str, raw: dict) -> Callable[..., Any]:
        """``take`` bound to one entry: ``t("phone", _phone)``."""
        return functools.partial(self.take, file, entry_id, raw)

    def age_range(self, file: str, entry_id: str, raw: Any, prefix: str) -> tuple:
        raw = raw if isinstance(raw, dict) else {}
        lo = self.take(file, entry_id, raw, "age_min", _age)
        hi = self.take(file, entry_id, raw, "age_max", _age)
        if lo is not None and hi is not None and lo > hi:
            self.problem(
                file, entry_id, f"{prefix}age_min", f"tranche d'âge inversée ({lo} > {hi})"
            )
        return lo, hi

    def yaml_entries(self, name: str, key: str) -> tuple[str, list[dict]]:
        path = self.dir / name
        if not path.exists():
            return name, []
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
        except yaml.YAMLError as exc:
            self.problem(name, "", "", f"YAML illisible : {exc}")
            return name, []
        if not isinstance(doc, dict):
            self.problem(name, "", "", "le fichier doit être un dictionnaire")
            return name, []
        prov = doc.get("provenance")
        if not isinstance(prov, dict):
            self.problem(name, "", "provenance", "bloc provenance manquant")
        else:
            for k in ("source", "licence", "retrieved"):
                if not prov.get(k):
                    self.problem(name, "", f"provenance.{k}", "champ de provenance manquant")
        entries = doc.get(key)
        if entries is None:
            self.problem(name, "", key, f"liste {key!r} manquante")
            return name, []
        if not isinstance(entries, list):
            self.problem(name, "", key, "une liste est attendue")
            return name, []
        good = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                self.problem(name, f"#{i + 1}", "", "chaque entrée doit être un dictionnaire")
            else:
                good.append(entry)
        return name, good

    def csv_rows(self, rel: str, columns: Iterable[str]) -> list[dict]:
        path = self.dir / rel
        if not path.exists():
            self.problem(rel, "", "", "fichier manquant")
            return []
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = set(columns) - set(reader.fieldnames or [])
            if missing:
                self.problem(rel, "", ", ".join(sorted(missing)), "colonnes manquantes")
                return []
            return list(reader)

    def entry_id(self, file: str, raw: dict, index: int, seen: set[str]) -> str | None:
        entry_id = self.take(file, f"#{index + 1}", raw, "id", _id, required=True)
        if entry_id is None:
            return None
        if entry_id in seen:
            self.problem(file, entry_id, "id", "identifiant en double")
            return None
        seen.add(entry_id)
        return entry_id

    def entries(self, name: str, key: str, seen: set[str] | None = None) -> Iterator[tuple]:
        """(file, entry id, raw dict, bound ``take``) of each YAML entry that has a good id."""
        file, raw_entries = self.yaml_entries(name, key)
        seen = set() if seen is None else seen
        for i, raw in enumerate(raw_entries):
            entry_id = self.entry_id(file, raw, i, seen)
            if entry_id is not None:
                yield file, entry_id, raw, self.taker(file, entry_id, raw)

    def lines(self, rel: str) -> list[str]:
        path = self.dir / rel
        if not path.exists():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line)
        return out

    # -- territories and Missions Locales (CSV)

    def read_territories(self) -> None:
        file = "territories/departements.csv"
        for row in self.csv_rows(file, ("departement_code", "departement_nom", "chef_lieu_insee")):
            self.data.departements.append(
                Departement(row["departement_code"], row["departement_nom"], row["chef_lieu_insee"])
            )
        dep_codes = {d.code for d in self.data.departements}

        file = "territories/epci.csv"
        for row in self.csv_rows(file, ("epci_siren", "epci_nom", "epci_type", "communes_insee")):
            self.data.epcis.append(
                Epci(
                    row["epci_siren"],
                    row["epci_nom"],
                    row["epci_type"],
                    tuple(row.get("departements", "").split()),
                    tuple(row["communes_insee"].split()),
                )
            )
        epci_ids = {e.siren for e in self.data.epcis}

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
        for row in self.csv_rows(file, cols):
            insee = row["code_insee"]
            if not _INSEE.match(insee):
                self.problem(file, insee, "code_insee", "code INSEE invalide")
                continue
            if insee in seen:
                self.problem(file, insee, "code_insee", "commune en double")
                continue
            seen.add(insee)
            if row["departement_code"] not in dep_codes:
                self.problem(file, insee, "departement_code", "département inconnu")
            postcodes = tuple(row["codes_postaux"].split())
            for pc in postcodes:
                if not _POSTCODE.match(pc):
                    self.problem(file, insee, "codes_postaux", f"code postal invalide {pc!r}")
            epci = row["epci_siren"] or None
            if epci and epci not in epci_ids:
                self.problem(file, insee, "epci_siren", f"EPCI inconnu {epci}")
            try:
                population = int(row["population"] or 0)
            except ValueError:
                self.problem(file, insee, "population", "entier attendu")
                population = 0
            self.data.communes.append(
                Commune(insee, row["nom"], row["departement_code"], postcodes, epci, population)
            )

        file = "territories/communes_deleguees.csv"
        cols = ("code_insee", "nom", "type", "code_commune_de_rattachement", "departement_code")
        for row in self.csv_rows(file, cols):
            parent = row["code_commune_de_rattachement"]
            if parent not in seen:
                self.problem(
                    file,
                    row["code_insee"],
                    "code_commune_de_rattachement",
                    f"commune de rattachement inconnue {parent}",
                )
                continue
            self.data.former_communes.append(
                FormerCommune(
                    row["code_insee"], row["nom"], row["type"], parent, row["departement_code"]
                )
            )
        self.data.common_words = self.lines("territories/common_words.txt")
        self.data.outside_places = self.lines("territories/outside_places.txt")
        self.data.near_words = self.lines("territories/near_words.txt")

    def read_missions_locales(self) -> None:
        file = "operators/missions_locales.csv"
        cols = ("code_ml_unml", "nom_affiche", "adresse", "code_postal", "ville")
        structures = {row["code_ml_unml"]: row for row in self.csv_rows(file, cols)}

        file = "operators/commune_mission_locale.csv"
        known = {c.insee for c in self.data.communes}
        covered: dict[str, list[str]] = defaultdict(list)
        seen: Counter[str] = Counter()
        for row in self.csv_rows(file, ("code_insee", "code_ml_unml")):
            insee, code = row["code_insee"], row["code_ml_unml"]
            seen[insee] += 1
            if insee not in known:
                self.problem(file, insee, "code_insee", "commune inconnue (COG 2026)")
            elif code not in structures:
                self.problem(file, insee, "code_ml_unml", f"Mission Locale inconnue {code}")
            elif seen[insee] == 1:
                covered[code].append(insee)
        for insee, n in seen.items():
            if n > 1:
                self.problem(
                    file, insee, "code_ml_unml", f"commune couverte par {n} Missions Locales"
                )
        for insee in sorted(known - set(seen)):
            self.problem(file, insee, "code_insee", "commune couverte par aucune Mission Locale")

        by_name = {(c.name, c.departement): c.insee for c in self.data.communes}
        by_name.update({(f.name, f.departement): f.parent_insee for f in self.data.former_communes})
        ml_of: dict[str, str] = {}
        for code, row in structures.items():
            ml_id = f"ml_{code}"
            if not covered.get(code):
                self.problem(
                    "operators/missions_locales.csv",
                    code,
                    "code_ml_unml",
                    "Mission Locale sans commune couverte",
                    "warning",
                )
            for insee in covered.get(code, ()):
                ml_of[insee] = ml_id
            postcode = row["code_postal"] or None
            self.data.operators.append(
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
                    to_verify=True,
                )
            )
        self.data.communes = [
            Commune(
                c.insee,
                c.name,
                c.departement,
                c.postcodes,
                c.epci,
                c.population,
                ml_of.get(c.insee),
            )
            for c in self.data.communes
        ]

    def check_csv_provenance(self) -> None:
        path = self.dir / "PROVENANCE.md"
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        headings = set(re.findall(r"^## (\S+)", text, re.MULTILINE))
        for csv_path in sorted(self.dir.rglob("*.csv")) + sorted(self.dir.rglob("*.txt")):
            rel = csv_path.relative_to(self.dir).as_posix()
            if rel not in headings:
                self.problem(rel, "", "provenance", "aucune section dans PROVENANCE.md")

    # -- YAML content

    def read_operators(self) -> None:
        ids = {op.id for op in self.data.operators}
        for path in sorted((self.dir / "operators").glob("*.yml")):
            for file, op_id, raw, t in self.entries(f"operators/{path.name}", "operators", ids):
                publics = raw.get("publics") or {}
                lo, hi = self.age_range(file, op_id, publics, "publics.")
                situations = self.take(file, op_id, publics, "situations", _list(_situation))
                cov_raw = raw.get("coverage")
                coverage = Coverage()
                if not isinstance(cov_raw, dict) or not any(cov_raw.values()):
                    self.problem(
                        file,
                        op_id,
                        "coverage",
                        "couverture manquante (communes, epcis, departements ou region)",
                    )
                else:
                    coverage = Coverage(
                        communes=self.take(file, op_id, cov_raw, "communes", _list(_insee)) or (),
                        epcis=self.take(file, op_id, cov_raw, "epcis", _list(_str)) or (),
                        departements=self.take(
                            file, op_id, cov_raw, "departements", _list(_str), default=()
                        ),
                        region=bool(self.take(file, op_id, cov_raw, "region", _bool)),
                    )
                op = Operator(
                    id=op_id,
                    type=t("type", _operator_type, required=True) or "",
                    name=t("name", _str, required=True) or op_id,
                    address=t("address", _str),
                    postcode=t("postcode", _postcode),
                    commune=t("commune", _insee),
                    phone=t("phone", _phone),
                    email=t("email", _email),
                    website=t("website", _url),
                    opening_hours=t("opening_hours", _str),
                    publics=Publics(lo, hi, situations or ()),
                    themes=t("themes", _list(_need), default=()),
                    coverage=coverage,
                    source=t("source", _str, required=True) or "",
                    last_verified=t("last_verified", _date, required=True),
                    to_verify=bool(t("to_verify", _bool)),
                )
                missing = [f for f in ("address", "phone") if getattr(op, f) is None]
                if missing and not op.to_verify:
                    self.problem(
                        file,
                        op_id,
                        ", ".join(missing),
                        "coordonnée inconnue : mettre to_verify: true",
                        "warning",
                    )
                self.data.operators.append(op)

    def read_schemes(self) -> None:
        for file, sid, raw, t in self.entries("schemes.yml", "schemes"):
            aud = raw.get("audience") or {}
            lo, hi = self.age_range(file, sid, aud, "audience.")
            residence = self.take(file, sid, aud, "residence", _list(_str), default=())
            money = raw.get("money") or {}
            paid = money.get("paid") if isinstance(money, dict) else None
            if paid is not None and not isinstance(paid, bool):
                self.problem(file, sid, "money.paid", "true, false ou null attendu")
                paid = None
            self.data.schemes.append(
                Scheme(
                    id=sid,
                    name=t("name", _str, required=True) or sid,
                    aliases=t("aliases", _list(_str), default=()),
                    themes=t("themes", _list(_need), default=()),
                    summary=t("summary", _str, required=True) or "",
                    audience=Audience(
                        lo,
                        hi,
                        self.take(file, sid, aud, "situations", _list(_situation), default=()),
                        residence,
                    ),
                    money=Money(
                        paid,
                        self.take(file, sid, money, "amount", _str)
                        if isinstance(money, dict)
                        else None,
                    ),
                    how_to_apply=t("how_to_apply", _str),
                    operator_types=t("operator_types", _list(_operator_type), default=()),
                    link=t("link", _url),
                    source=t("source", _str, required=True) or "",
                    last_verified=t("last_verified", _date, required=True),
                    to_verify=bool(t("to_verify", _bool)),
                )
            )

    def read_jobs(self) -> None:
        for _file, jid, _raw, t in self.entries("jobs.yml", "jobs"):
            self.data.jobs.append(
                Job(
                    id=jid,
                    name=t("name", _str, required=True) or jid,
                    aliases=t("aliases", _list(_str), default=()),
                    sector=t("sector", _str, required=True) or "",
                    description=t("description", _str, required=True) or "",
                    training_routes=t("training_routes", _list(_str), default=()),
                    related_schemes=t("related_schemes", _list(_id), default=()),
                    source=t("source", _str, required=True) or "",
                    last_verified=t("last_verified", _date, required=True),
                )
            )

    def read_events(self) -> None:
        for file, eid, _raw, t in self.entries("events.yml", "events"):
            start = t("start", _date, required=True)
            end = t("end", _date)
            if start and end and end < start:
                self.problem(file, eid, "end", f"fin ({end}) avant le début ({start})")
            if start is None:
                continue
            self.data.events.append(
                Event(
                    id=eid,
                    title=t("title", _str, required=True) or eid,
                    start=start,
                    end=end,
                    commune=t("commune", _insee),
                    organiser=t("organiser", _str),
                    audience=t("audience", _str),
                    link=t("link", _url),
                    source=t("source", _str, required=True) or "",
                )
            )

    def read_rules(self) -> None:
        need = _among((*NEEDS, "*"), "besoin")
        for file, rid, raw, t in self.entries("routing.yml", "rules"):
            lo, hi = self.age_range(file, rid, raw, "")
            reason = t("reason", _str, required=True) or ""
            try:
                reason.format(age="", commune="", operator="")
            except (KeyError, IndexError, ValueError):
                self.problem(
                    file, rid, "reason", "seuls {age}, {commune} et {operator} sont permis"
                )
            priority = raw.get("priority")
            if not isinstance(priority, int) or isinstance(priority, bool):
                self.problem(file, rid, "priority", "entier attendu")
                priority = 100
            self.data.rules.append(
                RoutingRule(
                    id=rid,
                    need=t("need", need, required=True) or "*",
                    operator_type=t("operator_type", _operator_type, required=True) or "",
                    priority=priority,
                    reason=reason,
                    age_min=lo,
                    age_max=hi,
                    situations=t("situations", _list(_situation), default=()),
                    contact=t("contact", _id),
                    source=t("source", _str) or "",
                    last_verified=t("last_verified", _date),
                )
            )

    def read_contacts(self) -> None:
        for _file, cid, raw, t in self.entries("contacts.yml", "contacts"):
            free = raw.get("free")
            self.data.contacts.append(
                ContactEntry(
                    id=cid,
                    label=t("label", _str, required=True) or cid,
                    phone=t("phone", _phone),
                    website=t("website", _url),
                    hours=t("hours", _str),
                    free=free if isinstance(free, bool) else None,
                    summary=t("summary", _str) or "",
                    source=t("source", _str, required=True) or "",
                    last_verified=t("last_verified", _date, required=True),
                    to_verify=bool(t("to_verify", _bool)),
                )
            )

    def read_partners(self) -> None:
        for file, pid, raw, t in self.entries("partners.yml", "partners"):
            pub = raw.get("publics") or {}
            lo, hi = self.age_range(file, pid, pub, "publics.")

            def person(key: str, file: str = file, pid: str = pid, raw: dict = raw) -> Person:
                p = raw.get(key) or {}
                if not isinstance(p, dict):
                    self.problem(file, pid, key, "dictionnaire {name, role} attendu")
                    return Person()
                return Person(
                    self.take(file, pid, p, "name", _str), self.take(file, pid, p, "role", _str)
                )

            self.data.partners.append(
                Partner(
                    id=pid,
                    name=t("name", _str, required=True) or pid,
                    structure=t("structure", _str),
                    address=t("address", _str),
                    postcode=t("postcode", _postcode),
                    commune=t("commune", _insee),
                    publics=PartnerPublics(lo, hi, bool(pub.get("parents"))),
                    referent=person("referent"),
                    aom_interlocutor=person("aom_interlocutor"),
                    charter_signed=t("charter_signed", _date),
                    planned_actions=t("planned_actions", _list(_str), default=()),
                    allowed_origins=t("allowed_origins", _list(_origin), default=()),
                    default_commune=t("default_commune", _insee),
                    profile=t("profile", _among(("youth", "referent"), "profil")) or "youth",
                    source=t("source", _str, required=True) or "",
                    last_verified=t("last_verified", _date, required=True),
                )
            )

    # -- references between files

    def check_references(self) -> None:
        d = self.data
        communes = {c.insee for c in d.communes}
        epcis = {e.siren for e in d.epcis}
        deps = {x.code for x in d.departements}
        schemes = {s.id for s in d.schemes}
        contacts = {c.id for c in d.contacts}
        types_present = {op.type for op in d.operators}

        def ref(file: str, entry: str, fld: str, code: str | None, known: set, what: str) -> None:
            if code is not None and code not in known:
                self.problem(file, entry, fld, f"{what} inconnu(e) : {code}")

        for op in d.operators:
            if op.type == "mission_locale" and op.source == UNML_SOURCE:
                continue
            file = "operators/*.yml"
            ref(file, op.id, "commune", op.commune, communes, "commune")
            for c in op.coverage.communes:
                ref(file, op.id, "coverage.communes", c, communes, "commune")
            for e in op.coverage.epcis:
                ref(file, op.id, "coverage.epcis", e, epcis, "EPCI")
            for x in op.coverage.departements:
                ref(file, op.id, "coverage.departements", x, deps, "département")
        for s in d.schemes:
            for r in s.audience.residence:
                if r not in ("normandie", "france") and r not in deps and r not in communes:
                    self.problem(
                        "schemes.yml", s.id, "audience.residence", f"résidence inconnue : {r}"
                    )
        if d.schemes:
            for sid in sorted(set(SCHEME_IDS) - schemes):
                self.problem(
                    "schemes.yml",
                    sid,
                    "id",
                    "identifiant du vocabulaire partagé sans entrée (la NLU le reconnaît)",
                )
        for j in d.jobs:
            for sid in j.related_schemes:
                ref("jobs.yml", j.id, "related_schemes", sid, schemes, "dispositif")
        for e in d.events:
            ref("events.yml", e.id, "commune", e.commune, communes, "commune")
        for p in d.partners:
            ref("partners.yml", p.id, "commune", p.commune, communes, "commune")
            ref("partners.yml", p.id, "default_commune", p.default_commune, communes, "commune")
        for r in d.rules:
            ref("routing.yml", r.id, "contact", r.contact, contacts, "contact")
            if r.operator_type and r.operator_type not in types_present:
                self.problem(
                    "routing.yml",
                    r.id,
                    "operator_type",
                    f"aucun opérateur de type {r.operator_type} : la règle ne donnera "
                    "aucun contact",
                    "warning",
                )
        self.check_overlaps()
        self.check_gaps({r.operator_type for r in d.rules})

    def check_gaps(self, routed_types: set[str]) -> None:
        """Communes where a routed operator type has nobody: the bot would have no one to give."""
        by_type: dict[str, list[Operator]] = defaultdict(list)
        for op in self.data.operators:
            by_type[op.type].append(op)
        # Partners are local by nature; Missions Locales are checked commune by commune above.
        for op_type in sorted(routed_types - {"mission_locale", "partner"}):
            ops = by_type.get(op_type)
            if not ops:
                continue  # already reported by check_references
            if any(op.coverage.region for op in ops):
                continue
            communes = {c for op in ops for c in op.coverage.communes}
            epcis = {e for op in ops for e in op.coverage.epcis}
            deps = {x for op in ops for x in op.coverage.departements}
            gaps = [
                c.insee
                for c in self.data.communes
                if c.insee not in communes and c.epci not in epcis and c.departement not in deps
            ]
            if gaps:
                self.problem("operators/*.yml", op_type, "coverage",
                             f"{len(gaps)} communes sans opérateur {op_type} "
                             f"(par ex. {', '.join(gaps[:5])})", "warning")  # fmt: skip

    def check_overlaps(self) -> None:
        """Two operators of one type covering the same place at the same level is ambiguous."""
        owners: dict[tuple, list[str]] = defaultdict(list)
        for op in self.data.operators:
            if op.type == "mission_locale" and op.source == UNML_SOURCE:
                continue
            cov = op.coverage
            keys = [("commune", c) for c in cov.communes] + [("epci", e) for e in cov.epcis]
            keys += [("departement", x) for x in cov.departements]
            keys += [("region", "28")] if cov.region else []
            for level, code in keys:
                owners[(op.type, level, code)].append(op.id)
        for (op_type, level, code), ids in sorted(owners.items()):
            if len(ids) > 1:
                self.problem(
                    "operators/*.yml",
                    ", ".join(ids),
                    "coverage",
                    f"{len(ids)} opérateurs {op_type} couvrent le même {level} {code} : "
                    "le premier par id sera proposé",
                    "warning",
                )


def read_knowledge(data_dir: Path | str = DATA_DIR) -> tuple[KnowledgeData, list[Problem]]:
    """Read and validate every file of ``data_dir``; return the data and all problems found."""
    reader = _Reader(Path(data_dir))
    reader.read_territories()
    reader.read_missions_locales()
    reader.check_csv_provenance()
    reader.read_operators()
    reader.read_schemes()
    reader.read_jobs()
    reader.read_events()
    reader.read_contacts()
    reader.read_rules()
    reader.read_partners()
    reader.check_references()
    return reader.data, reader.problems


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """Only the problems that block a load."""
    return [p for p in problems if p.severity == "error"]
