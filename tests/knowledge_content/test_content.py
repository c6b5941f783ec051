"""Content checks of the editorial knowledge files: what the bot will actually say and link to.

They read the YAML with PyYAML only, so a staff member can run them right after an edit:
``.venv/bin/pytest tests/knowledge_content``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from urllib.parse import urlsplit

import pytest

from knowledge.voice import informal_words

from .content import (
    CONTENT_FILES,
    DATA,
    DEPARTEMENTS,
    NEEDS,
    OPERATOR_TYPES,
    SITUATIONS,
    all_entries,
    communes,
    content_paths,
    entries,
    load,
    normalise,
    operators,
    readme_scheme_ids,
    sentences,
    to_verify_report,
)

SCHEMES = entries(DATA / "schemes.yml")
JOBS = entries(DATA / "jobs.yml")
EVENTS = entries(DATA / "events.yml")
CONTACTS = {c["id"]: c for c in entries(DATA / "contacts.yml")}
PARTNERS = {p["id"]: p for p in entries(DATA / "partners.yml")}
SCHEME_IDS = {s["id"] for s in SCHEMES}

URL_FIELDS = ("link", "website")
PHONE = re.compile(r"^(?:\d{3,4}|0 ?[1-9](?: ?\d{2}){4}|0 ?800(?: ?\d{3}){2}|0 800(?: \d{2}){3})$")


def _ids(items):
    return [item["id"] for item in items]


# ---------------------------------------------------------------------------- every file


@pytest.mark.parametrize("path", content_paths(), ids=lambda p: str(p.relative_to(DATA)))
def test_file_has_provenance_and_entries(path):
    data = load(path)
    assert next(iter(data)) == "provenance", "the provenance block comes first"
    for key in ("source", "licence", "retrieved"):
        assert data["provenance"].get(key), f"provenance.{key} is missing"
    key = CONTENT_FILES.get(path.name, "operators")
    assert data[key], f"{key}: the list is empty"


def test_ids_are_unique_snake_case_within_each_kind():
    kinds = {name: _ids(entries(DATA / name)) for name in CONTENT_FILES}
    kinds["operators"] = _ids(operators())
    for kind, ids in kinds.items():
        duplicates = [i for i, n in Counter(ids).items() if n > 1]
        assert not duplicates, f"{kind}: duplicate ids {duplicates}"
        bad = [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9_]*", i)]
        assert not bad, f"{kind}: ids not in snake_case {bad}"


def test_every_entry_has_source_and_verification_date():
    for path, entry in all_entries():
        where = f"{path.name}:{entry['id']}"
        assert str(entry.get("source") or "").strip(), f"{where}: no source"
        assert entry.get("to_verify", False) in (True, False), f"{where}: to_verify is a boolean"
        # last_verified is the day someone checked the entry against its source: present on
        # every entry, null only while the entry says it is to verify (no test pins which day).
        assert "last_verified" in entry, f"{where}: last_verified missing (null if never checked)"
        verified, review_by = entry["last_verified"], entry.get("review_by")
        assert verified is None or isinstance(verified, dt.date), where
        assert verified is not None or entry.get("to_verify") is True, f"{where}: to_verify"
        assert isinstance(review_by, dt.date), f"{where}: review_by must be a date"
        assert verified is None or verified <= review_by, f"{where}: review before verification"


def test_every_link_is_https():
    for path, entry in all_entries():
        urls = [entry.get(f) for f in URL_FIELDS if entry.get(f)]
        urls += re.findall(r"https?://\S+", str(entry.get("source", "")))
        for url in urls:
            parts = urlsplit(url)
            assert parts.scheme == "https" and parts.netloc, f"{path.name}:{entry['id']}: {url}"


def test_unknown_contact_details_are_null_and_flagged():
    """Never an invented detail: an operator without address or phone says it must be verified."""
    for op in operators():
        for field in ("address", "postcode", "commune", "phone", "email", "website"):
            assert field in op, f"{op['id']}: field {field} must be present (null when unknown)"
        if op["address"] is None or op["phone"] is None:
            assert op.get("to_verify") is True, f"{op['id']}: unknown details need to_verify"


# ---------------------------------------------------------------------------- schemes


def test_every_readme_scheme_id_is_described():
    missing = set(readme_scheme_ids()) - SCHEME_IDS
    assert len(readme_scheme_ids()) >= 22
    assert not missing, f"scheme ids used by the NLU but absent from schemes.yml: {missing}"


def test_scheme_aliases_are_unique_across_schemes_and_jobs():
    owner: dict[str, str] = {}
    for scheme in SCHEMES:
        assert scheme["aliases"], f"{scheme['id']}: no alias"
        # The NLU turns names and aliases into synonyms of the id: two schemes may not share one.
        for alias in [scheme["id"].replace("_", " "), scheme["name"], *scheme["aliases"]]:
            key = normalise(alias)
            assert owner.get(key, scheme["id"]) == scheme["id"], (
                f"alias {alias!r} of {scheme['id']} already belongs to {owner[key]}"
            )
            owner[key] = scheme["id"]
    for job in JOBS:
        clashes = {normalise(a) for a in job["aliases"]} & set(owner)
        assert not clashes, f"job {job['id']} shares aliases with schemes: {clashes}"


@pytest.mark.parametrize(
    ("text", "scheme_id"),
    [
        ("cej", "cej"),
        ("Contrat d'Engagement Jeunes", "cej"),
        ("service civik", "service_civique"),
        ("atout normandie", "atouts_normandie"),
        ("carte atouts", "atouts_normandie"),
        ("#avenir", "avenir"),
        ("parcours metier", "parcours_metiers"),
        ("VAE", "vae"),
        ("contrat pro", "contrat_pro"),
        ("école de la 2e chance", "e2c"),
    ],
)
def test_what_people_type_finds_the_scheme(text, scheme_id):
    by_alias = {normalise(a): s["id"] for s in SCHEMES for a in s["aliases"]}
    assert by_alias.get(normalise(text)) == scheme_id


@pytest.mark.parametrize("scheme", SCHEMES, ids=_ids(SCHEMES))
def test_scheme_fields_use_the_shared_vocabularies(scheme):
    assert set(scheme["themes"]) <= NEEDS and scheme["themes"]
    assert set(scheme["operator_types"]) <= OPERATOR_TYPES and scheme["operator_types"]
    audience = scheme["audience"]
    assert set(audience.get("situations") or []) <= SITUATIONS
    low, high = audience.get("age_min"), audience.get("age_max")
    assert low is None or high is None or low <= high, "age range inverted"
    residence = audience["residence"]
    if isinstance(residence, str):
        assert residence in ("normandie", "france")
    else:
        assert all(code in DEPARTEMENTS or code in communes() for code in residence), residence
    money = scheme["money"]
    assert money["paid"] in (True, False, None)
    assert money["amount"] is None or isinstance(money["amount"], str)
    assert scheme["link"].startswith("https://")
    assert scheme["how_to_apply"].strip()


@pytest.mark.parametrize("scheme", SCHEMES, ids=_ids(SCHEMES))
def test_scheme_texts_are_short_and_fit_every_reader(scheme):
    # Young people, parents and referents read the same texts: neither « tu » nor « vous ».
    summary = scheme["summary"]
    assert 1 <= len(sentences(summary)) <= 3, sentences(summary)
    texts = (summary, scheme["how_to_apply"], scheme["money"]["amount"] or "")
    for text in texts:
        # « rendez-vous » is no « vous ».
        assert not re.search(r"(?<!-)\b(?:vous|votre|vos)\b", text, re.I), text
        assert informal_words(text) == [], text


def test_figures_without_provided_source_are_flagged():
    """National schemes are not in the provided aides-jeunes file: their figures must be checked."""
    national = {"cej", "service_civique", "cpf", "vae", "apprentissage", "contrat_pro", "e2c"}
    national |= {"epide", "obligation_formation"}
    for scheme in SCHEMES:
        if scheme["id"] in national:
            assert scheme.get("to_verify") is True, scheme["id"]
        if "aides-jeunes" not in scheme["source"] and scheme["money"]["amount"]:
            amount = scheme["money"]["amount"]
            assert not re.search(r"\d", amount) or scheme.get("to_verify"), scheme["id"]


def test_region_figures_match_the_aides_jeunes_records():
    by_id = {s["id"]: s for s in SCHEMES}
    assert "170 €" in by_id["atouts_normandie"]["money"]["amount"]
    atouts = by_id["atouts_normandie"]["audience"]
    assert (atouts["age_min"], atouts["age_max"]) == (15, 25)
    assert "40 €" in by_id["atouts_normandie_bafa"]["money"]["amount"]
    assert "600 €" in by_id["permis_region"]["money"]["amount"]
    assert by_id["pass_monde"]["audience"]["age_max"] == 30
    assert by_id["revenu_etudiant_petit_couronne"]["audience"]["residence"] == ["76497"]


# ---------------------------------------------------------------------------- jobs


def test_jobs_catalogue_covers_the_sectors_people_ask_about():
    assert len(JOBS) >= 60
    sectors = {normalise(j["sector"]) for j in JOBS}
    for expected in (
        "batiment",
        "industrie",
        "sante",
        "social",
        "commerce",
        "hotellerie restauration",
        "transport et logistique",
        "agriculture",
        "numerique",
        "maritime",
        "securite",
        "animation",
        "beaute",
        "automobile",
        "energie",
    ):
        assert any(expected in s for s in sectors), f"no job in sector {expected!r}"


@pytest.mark.parametrize("job", JOBS, ids=_ids(JOBS))
def test_job_entry_is_complete(job):
    assert job["name"].strip() and job["sector"].strip()
    assert 1 <= len(sentences(job["description"])) <= 2, sentences(job["description"])
    assert job["training_routes"] and all(r.strip() for r in job["training_routes"])
    assert job["related_schemes"] and set(job["related_schemes"]) <= SCHEME_IDS
    assert len(job["aliases"]) >= 3


def test_job_aliases_are_unique_and_cover_common_spellings():
    owner: dict[str, str] = {}
    for job in JOBS:
        for alias in [job["name"], *job["aliases"]]:
            key = normalise(alias)
            assert owner.get(key, job["id"]) == job["id"], (
                f"{alias!r}: {owner[key]} and {job['id']}"
            )
            owner[key] = job["id"]
    for typed, job_id in [
        ("boulangé", "boulanger"),
        ("aide soignante", "aide_soignant"),
        ("mecano", "mecanicien_auto"),
        ("dev web", "developpeur_web"),
        ("infirmiere", "infirmier"),
        ("plombier", "plombier_chauffagiste"),
    ]:
        assert owner.get(normalise(typed)) == job_id, typed


# ---------------------------------------------------------------------------- events


@pytest.mark.parametrize("event", EVENTS, ids=_ids(EVENTS))
def test_event_dates_and_place(event):
    assert isinstance(event["start"], dt.date)
    assert event["end"] is None or event["start"] <= event["end"]
    assert event["commune"] is None or event["commune"] in communes()
    assert event["organiser"] and event["audience"] and event["link"]
    if "Placeholder" in str(event["source"]):
        assert "confirmer" in event["title"], "an unconfirmed date says so to the person"


def test_no_event_date_is_a_guess():
    """A date no source states is an invented fact: recurring events carry none (issue 12)."""
    for event in EVENTS:
        assert "placeholder" not in str(event["source"]).lower(), event["id"]
        assert "confirmer" not in event["title"], event["id"]
    recurring = load(DATA / "events.yml")["recurring"]
    assert recurring
    for event in recurring:
        assert not {"start", "end"} & set(event), event["id"]
        assert "pas encore" in event["next_edition"] or "aucune" in event["next_edition"]


# ---------------------------------------------------------------------------- contacts


def test_safeguarding_numbers_and_parcours_metiers_line():
    expected = {
        "distress_3114": "3114",
        "distress_119": "119",
        "distress_3018": "3018",
        "fil_sante_jeunes": "0800235236",
        "parcours_metiers": "0800050000",
    }
    for contact_id, digits in expected.items():
        contact = CONTACTS[contact_id]
        assert contact["phone"].replace(" ", "") == digits
        assert contact["free"] is True
        assert contact["label"].strip() and contact["summary"].strip()
    assert CONTACTS["parcours_metiers"]["to_verify"] is True
    assert "olympiades.normandie.fr" in CONTACTS["parcours_metiers"]["source"]


def test_national_directories_for_people_outside_normandy():
    """Someone outside Normandy is sent to these directories: each must open a real page."""
    for contact_id in (
        "annuaire_missions_locales",
        "annuaire_info_jeunes",
        "annuaire_service_public",
    ):
        assert CONTACTS[contact_id]["website"].startswith("https://"), contact_id


@pytest.mark.parametrize("contact", list(CONTACTS.values()), ids=list(CONTACTS))
def test_contact_entry_is_well_formed(contact):
    assert contact["phone"] is None or PHONE.match(contact["phone"]), contact["phone"]
    assert contact["phone"] or contact["website"], "a contact needs a phone or a site"
    assert len(sentences(contact["summary"])) <= 3


def test_the_parcours_metiers_number_lives_in_one_place():
    """Content is data: the line's number appears in contacts.yml and nowhere else we write."""
    pattern = re.compile(r"0\s?800\s?05\s?00\s?00")
    holders = [p.name for p in content_paths() if pattern.search(p.read_text(encoding="utf-8"))]
    assert holders == ["contacts.yml"]


# ---------------------------------------------------------------------------- partners


def test_rouen_info_jeunes_matches_the_charter():
    rij = PARTNERS["rouen_info_jeunes"]
    rouen = [code for code, row in communes().items() if row["nom"] == "Rouen"]
    assert rij["default_commune"] == rij["commune"] == rouen[0] == "76540"
    assert rij["address"] == "27 rue Victor Hugo" and rij["postcode"] == "76000"
    assert (rij["publics"]["age_min"], rij["publics"]["age_max"], rij["publics"]["parents"]) == (
        11,
        30,
        True,
    )
    assert rij["referent"]["name"] == "Frédéric Le Méhauté"
    assert rij["aom_interlocutor"] == {"name": "Séverine Lefebvre", "role": "coordonnatrice"}
    assert rij["charter_signed"] == dt.date(2023, 7, 11)
    assert any("TOTEM" in action for action in rij["planned_actions"])
    assert rij["profile"] == "youth"


@pytest.mark.parametrize("partner", list(PARTNERS.values()), ids=list(PARTNERS))
def test_partner_origins_are_exact_origins(partner):
    for origin in partner["allowed_origins"]:
        parts = urlsplit(origin)
        assert parts.scheme in ("https", "http") and parts.netloc, origin
        assert not parts.path and not parts.query and not origin.endswith("/"), origin
        if parts.scheme == "http":
            assert parts.hostname in ("localhost", "127.0.0.1"), "plain http only for the demo page"
    assert partner["profile"] in ("youth", "referent")
    assert partner["default_commune"] in communes()
    fictitious = "fictif" in partner["name"].lower() or "fictive" in partner["name"].lower()
    assert fictitious == bool(partner.get("demo")), "a fictitious partner is flagged demo: true"


# ---------------------------------------------------------------------------- operators


@pytest.mark.parametrize("op", operators(), ids=_ids(operators()))
def test_operator_entry_uses_the_vocabularies(op):
    assert op["type"] in OPERATOR_TYPES
    assert set(op["themes"]) <= NEEDS and op["themes"]
    publics = op.get("publics") or {}
    assert set(publics.get("situations") or []) <= SITUATIONS
    low, high = publics.get("age_min"), publics.get("age_max")
    assert low is None or high is None or low <= high
    coverage = op["coverage"]
    assert coverage.get("region") or coverage.get("communes") or coverage.get("departements")
    assert all(code in communes() for code in coverage.get("communes", []))
    assert op["commune"] is None or op["commune"] in communes()


def test_every_operator_type_but_missions_locales_covers_all_normandy():
    """Routing may send anyone to any of these types: no commune may be left without one."""
    covered: dict[str, set[str]] = {}
    for op in operators():
        coverage = op["coverage"]
        codes = set(communes()) if coverage.get("region") else set(coverage.get("communes", []))
        departements = set(coverage.get("departements", []))
        codes |= {c for c, row in communes().items() if row["departement_code"] in departements}
        covered.setdefault(op["type"], set()).update(codes)
    for kind in OPERATOR_TYPES - {"mission_locale", "partner"}:
        assert covered.get(kind) == set(communes()), f"{kind}: some communes have no operator"


def test_scheme_operator_types_all_exist():
    provided = {op["type"] for op in operators()} | {"mission_locale"}
    for scheme in SCHEMES:
        assert set(scheme["operator_types"]) <= provided, scheme["id"]


def test_to_verify_report_lists_every_flagged_entry():
    report = to_verify_report()
    flagged = [e["id"] for _, e in all_entries() if e.get("to_verify")]
    assert len(report) == len(flagged) and all(" :: " in line for line in report)
    assert any(line.startswith("contacts.yml :: parcours_metiers") for line in report)
