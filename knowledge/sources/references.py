"""Checks across files: every code an entry names exists, and coverage has no gap or overlap."""

from __future__ import annotations

from collections import defaultdict

from knowledge.models import Operator
from knowledge.sources.files import Collector
from knowledge.sources.tables import UNML_SOURCE
from knowledge.sources.vocabulary import SCHEME_IDS


def check_safety_answer_refs(reader: Collector) -> None:
    """Every contact a safety answer names exists in contacts.yml."""
    known = {c.id for c in reader.data.contacts}
    for answer in reader.data.safety_answers:
        for contact in answer.contacts:
            if contact not in known:
                reader.problem(
                    "contacts.yml", answer.id, "contacts", f"contact inconnu : {contact}"
                )


def check_references(reader: Collector) -> None:
    """Every commune, EPCI, département, scheme and contact an entry names exists."""
    d = reader.data
    communes = {c.insee for c in d.communes}
    epcis = {e.siren for e in d.epcis}
    deps = {x.code for x in d.departements}
    schemes = {s.id for s in d.schemes}
    contacts = {c.id for c in d.contacts}
    operators = {o.id for o in d.operators}
    types_present = {op.type for op in d.operators}

    def ref(file: str, entry: str, fld: str, code: str | None, known: set, what: str) -> None:
        if code is not None and code not in known:
            reader.problem(file, entry, fld, f"{what} inconnu(e) : {code}")

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
                reader.problem(
                    "schemes.yml", s.id, "audience.residence", f"résidence inconnue : {r}"
                )
    if d.schemes:
        for sid in sorted(set(SCHEME_IDS) - schemes):
            reader.problem(
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
    check_safety_answer_refs(reader)
    for p in d.partners:
        ref("partners.yml", p.id, "commune", p.commune, communes, "commune")
        ref("partners.yml", p.id, "default_commune", p.default_commune, communes, "commune")
        ref("partners.yml", p.id, "operator", p.operator, operators, "opérateur")
    for r in d.rules:
        ref("routing.yml", r.id, "contact", r.contact, contacts, "contact")
        if r.operator_type and r.operator_type not in types_present:
            reader.problem(
                "routing.yml",
                r.id,
                "operator_type",
                f"aucun opérateur de type {r.operator_type} : la règle ne donnera aucun contact",
                "warning",
            )
    check_overlaps(reader)
    check_gaps(reader, {r.operator_type for r in d.rules})


def check_gaps(reader: Collector, routed_types: set[str]) -> None:
    """Communes where a routed operator type has nobody: the bot would have no one to give."""
    by_type: dict[str, list[Operator]] = defaultdict(list)
    for op in reader.data.operators:
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
            for c in reader.data.communes
            if c.insee not in communes and c.epci not in epcis and c.departement not in deps
        ]
        if gaps:
            reader.problem("operators/*.yml", op_type, "coverage",
                         f"{len(gaps)} communes sans opérateur {op_type} "
                         f"(par ex. {', '.join(gaps[:5])})", "warning")  # fmt: skip


def check_overlaps(reader: Collector) -> None:
    """Two operators of one type covering the same place at the same level is ambiguous."""
    owners: dict[tuple, list[str]] = defaultdict(list)
    for op in reader.data.operators:
        if (op.type == "mission_locale" and op.source == UNML_SOURCE) or op.annuaire_id:
            continue  # offices of the directory may share communes: the nearest is proposed
        cov = op.coverage
        keys = [("commune", c) for c in cov.communes] + [("epci", e) for e in cov.epcis]
        keys += [("departement", x) for x in cov.departements]
        keys += [("region", "28")] if cov.region else []
        for level, code in keys:
            owners[(op.type, level, code)].append(op.id)
    for (op_type, level, code), ids in sorted(owners.items()):
        if len(ids) > 1:
            reader.problem(
                "operators/*.yml",
                ", ".join(ids),
                "coverage",
                f"{len(ids)} opérateurs {op_type} couvrent le même {level} {code} : "
                "le premier par id sera proposé",
                "warning",
            )
