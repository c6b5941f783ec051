"""The YAML content files: operators, schemes, jobs, events, routing rules, contacts, partners."""

from __future__ import annotations

from knowledge.models import (
    Audience,
    ContactEntry,
    Coverage,
    Event,
    Job,
    Money,
    Operator,
    Partner,
    PartnerPublics,
    Person,
    Publics,
    RecurringEvent,
    RoutingRule,
    SafetyAnswer,
    Scheme,
)
from knowledge.sources import fields as f
from knowledge.sources.files import Collector
from knowledge.sources.vocabulary import NEEDS, SAFETY_ANSWER_IDS
from knowledge.voice import FORMAL, informal_words

# A text for a parent or a referent with a « tu » form in it (knowledge/voice.py).
_INFORMAL_PROBLEM = "texte dit à un parent ou à un référent : « vous » attendu, pas « tu »"
# A scheme's texts are shown as they are to young people, parents and referents alike.
_IMPERSONAL_PROBLEM = (
    "texte lu par les jeunes, les parents et les référents : tournure impersonnelle attendue"
    " (« Le CEJ accompagne les jeunes… », « Faire la demande… »), pas « tu »"
)


def _check_impersonal(reader: Collector, file: str, entry: str, texts: dict) -> None:
    """A problem for each of ``texts`` (field → text) that says « tu » (knowledge/voice.py)."""
    for name, text in texts.items():
        found = informal_words(text or "")
        if found:
            said = ", ".join(f"« {word} »" for word in dict.fromkeys(found))
            reader.problem(file, entry, name, f"{_IMPERSONAL_PROBLEM} : {said}")


def read_operators(reader: Collector) -> None:
    """operators/*.yml: one list per operator type, after the Missions Locales."""
    ids = {op.id for op in reader.data.operators}
    for path in sorted((reader.dir / "operators").glob("*.yml")):
        for file, op_id, raw, t in reader.entries(f"operators/{path.name}", "operators", ids):
            publics = raw.get("publics") or {}
            lo, hi = reader.age_range(file, op_id, publics, "publics.")
            situations = reader.take(file, op_id, publics, "situations", f.list_of(f.situation))
            cov_raw = raw.get("coverage")
            coverage = Coverage()
            if raw.get("annuaire_id") and cov_raw in ({}, None) and raw.get("commune"):
                pass  # the directory states no served commune: proposed by distance only
            elif not isinstance(cov_raw, dict) or not any(cov_raw.values()):
                reader.problem(
                    file,
                    op_id,
                    "coverage",
                    "couverture manquante (communes, epcis, departements ou region)",
                )
            else:
                coverage = Coverage(
                    communes=reader.take(file, op_id, cov_raw, "communes", f.list_of(f.insee))
                    or (),
                    epcis=reader.take(file, op_id, cov_raw, "epcis", f.list_of(f.text)) or (),
                    departements=reader.take(
                        file, op_id, cov_raw, "departements", f.list_of(f.text), default=()
                    ),
                    region=bool(reader.take(file, op_id, cov_raw, "region", f.boolean)),
                )
            op = Operator(
                id=op_id,
                type=t("type", f.operator_type, required=True) or "",
                name=t("name", f.text, required=True) or op_id,
                address=t("address", f.text),
                postcode=t("postcode", f.postcode),
                commune=t("commune", f.insee),
                phone=t("phone", f.phone),
                email=t("email", f.email),
                website=t("website", f.url),
                opening_hours=t("opening_hours", f.text),
                publics=Publics(lo, hi, situations or ()),
                themes=t("themes", f.list_of(f.need), default=()),
                coverage=coverage,
                latitude=t("latitude", f.coordinate),
                longitude=t("longitude", f.coordinate),
                annuaire_id=t("annuaire_id", f.text),
                source=t("source", f.text, required=True) or "",
                **reader.freshness(file, op_id, raw),
            )
            missing = [f for f in ("address", "phone") if getattr(op, f) is None]
            if missing and not op.to_verify:
                reader.problem(
                    file,
                    op_id,
                    ", ".join(missing),
                    "coordonnée inconnue : mettre to_verify: true",
                    "warning",
                )
            reader.data.operators.append(op)


def read_schemes(reader: Collector) -> None:
    """schemes.yml: the dispositifs and who they are for."""
    for file, sid, raw, t in reader.entries("schemes.yml", "schemes"):
        aud = raw.get("audience") or {}
        lo, hi = reader.age_range(file, sid, aud, "audience.")
        residence = reader.take(file, sid, aud, "residence", f.list_of(f.text), default=())
        money = raw.get("money") or {}
        paid = money.get("paid") if isinstance(money, dict) else None
        if paid is not None and not isinstance(paid, bool):
            reader.problem(file, sid, "money.paid", "true, false ou null attendu")
            paid = None
        summary = t("summary", f.text, required=True) or ""
        how_to_apply = t("how_to_apply", f.text)
        amount = (
            reader.take(file, sid, money, "amount", f.text) if isinstance(money, dict) else None
        )
        _check_impersonal(
            reader,
            file,
            sid,
            {"summary": summary, "how_to_apply": how_to_apply, "money.amount": amount},
        )
        reader.data.schemes.append(
            Scheme(
                id=sid,
                name=t("name", f.text, required=True) or sid,
                aliases=t("aliases", f.list_of(f.text), default=()),
                themes=t("themes", f.list_of(f.need), default=()),
                summary=summary,
                audience=Audience(
                    lo,
                    hi,
                    reader.take(file, sid, aud, "situations", f.list_of(f.situation), default=()),
                    residence,
                    reader.take(file, sid, aud, "handicap_age_max", f.age),
                    bool(reader.take(file, sid, aud, "handicap_no_age_max", f.boolean)),
                ),
                money=Money(paid, amount),
                how_to_apply=how_to_apply,
                operator_types=t("operator_types", f.list_of(f.operator_type), default=()),
                link=t("link", f.url),
                source=t("source", f.text, required=True) or "",
                **reader.freshness(file, sid, raw),
            )
        )


def read_jobs(reader: Collector) -> None:
    """jobs.yml: the métiers."""
    for file, jid, raw, t in reader.entries("jobs.yml", "jobs"):
        reader.data.jobs.append(
            Job(
                id=jid,
                name=t("name", f.text, required=True) or jid,
                aliases=t("aliases", f.list_of(f.text), default=()),
                sector=t("sector", f.text, required=True) or "",
                description=t("description", f.text, required=True) or "",
                training_routes=t("training_routes", f.list_of(f.text), default=()),
                related_schemes=t("related_schemes", f.list_of(f.ident), default=()),
                source=t("source", f.text, required=True) or "",
                **reader.freshness(file, jid, raw),
            )
        )


def read_events(reader: Collector) -> None:
    """events.yml: dated events (an end before the start is refused)."""
    for file, eid, raw, t in reader.entries("events.yml", "events"):
        start = t("start", f.date, required=True)
        end = t("end", f.date)
        if start and end and end < start:
            reader.problem(file, eid, "end", f"fin ({end}) avant le début ({start})")
        if start is None:
            continue
        if raw.get("to_verify"):
            reader.problem(
                file,
                eid,
                "to_verify",
                "date ou lieu non confirmés par la source : l'événement ne sera pas annoncé "
                "(sans date publiée, en faire un rendez-vous de la liste « recurring »)",
                "warning",
            )
        reader.data.events.append(
            Event(
                id=eid,
                title=t("title", f.text, required=True) or eid,
                start=start,
                end=end,
                commune=t("commune", f.insee),
                organiser=t("organiser", f.text),
                audience=t("audience", f.text),
                link=t("link", f.url),
                source=t("source", f.text, required=True) or "",
                **reader.freshness(file, eid, raw),
            )
        )


def read_recurring_events(reader: Collector) -> None:
    """events.yml, list ``recurring``: events that come back, without a published date."""
    seen = {e.id for e in reader.data.events}
    for file, eid, raw, t in reader.entries("events.yml", "recurring", seen):
        for name in ("start", "end"):
            if name in raw:
                reader.problem(
                    file,
                    eid,
                    name,
                    "un rendez-vous récurrent n'a pas de date : la déduire serait inventer",
                )
        reader.data.recurring_events.append(
            RecurringEvent(
                id=eid,
                title=t("title", f.text, required=True) or eid,
                when=t("when", f.text, required=True) or "",
                where=t("where", f.text, required=True) or "",
                next_edition=t("next_edition", f.text, required=True) or "",
                communes=t("communes", f.list_of(f.insee), default=()),
                organiser=t("organiser", f.text),
                audience=t("audience", f.text),
                link=t("link", f.url),
                source=t("source", f.text, required=True) or "",
                **reader.freshness(file, eid, raw),
            )
        )


def read_rules(reader: Collector) -> None:
    """routing.yml: which operator type suits which need, age and situation."""
    need = f.among((*NEEDS, "*"), "besoin")
    for file, rid, raw, t in reader.entries("routing.yml", "rules"):
        lo, hi = reader.age_range(file, rid, raw, "")
        reasons = {
            name: t(name, f.text, required=True) or ""
            for name in ("reason", "reason_parent", "reason_referent")
        }
        for name, text in reasons.items():
            try:
                text.format(age="", commune="", operator="")
            except (KeyError, IndexError, ValueError):
                reader.problem(file, rid, name, "seuls {age}, {commune} et {operator} sont permis")
            if name != "reason" and informal_words(text):
                reader.problem(file, rid, name, _INFORMAL_PROBLEM)
        priority = raw.get("priority")
        if not isinstance(priority, int) or isinstance(priority, bool):
            reader.problem(file, rid, "priority", "entier attendu")
            priority = 100
        reader.data.rules.append(
            RoutingRule(
                id=rid,
                need=t("need", f.list_of(need), required=True) or ("*",),
                operator_type=t("operator_type", f.operator_type, required=True) or "",
                priority=priority,
                **reasons,
                age_min=lo,
                age_max=hi,
                situations=t("situations", f.list_of(f.situation), default=()),
                contact=t("contact", f.ident),
                condition=_rule_condition(reader, file, rid, raw, t),
                source=t("source", f.text) or "",
                **reader.freshness(file, rid, raw),
            )
        )


def _rule_condition(reader: Collector, file: str, rid: str, raw: dict, t) -> str:
    """A rule's condition (« au lycée »): only on a rule that lists situations, said after « Si tu
    es » as after « Si votre enfant est », so with no « tu » form in it."""
    text = t("condition", f.text) or ""
    if text and not raw.get("situations"):
        reader.problem(file, rid, "condition", "une condition suppose des « situations »")
    if informal_words(text):
        reader.problem(file, rid, "condition", _INFORMAL_PROBLEM)
    return text


def read_contacts(reader: Collector) -> None:
    """contacts.yml: phone lines and directories given as they are."""
    for file, cid, raw, t in reader.entries("contacts.yml", "contacts"):
        free = raw.get("free")
        reader.data.contacts.append(
            ContactEntry(
                id=cid,
                label=t("label", f.text, required=True) or cid,
                phone=t("phone", f.phone),
                website=t("website", f.url),
                hours=t("hours", f.text),
                free=free if isinstance(free, bool) else None,
                summary=t("summary", f.text) or "",
                source=t("source", f.text, required=True) or "",
                **reader.freshness(file, cid, raw),
            )
        )


def read_safety_answers(reader: Collector) -> None:
    """contacts.yml ``answers:``: what is said with those lines when nothing may be waited for."""
    for file, aid, raw, t in reader.entries("contacts.yml", "answers"):
        formal: dict[str, str | None] = {}
        for voice in FORMAL:  # the same words for a parent, for a referent (« vous »)
            block = raw.get(voice) or {}
            if not isinstance(block, dict):
                reader.problem(file, aid, voice, "un bloc text/closing est attendu")
                block = {}
            said = reader.taker(file, aid, block)
            for part in ("text", "closing"):
                text = formal[f"{voice}_{part}"] = said(part, f.text)
                if informal_words(text or ""):
                    reader.problem(file, aid, f"{voice}.{part}", _INFORMAL_PROBLEM)
        reader.data.safety_answers.append(
            SafetyAnswer(
                id=aid,
                text=t("text", f.text, required=True) or "",
                contacts=t("contacts", f.list_of(f.ident), required=True, default=()),
                closing=t("closing", f.text),
                **formal,
            )
        )
    for aid in sorted(set(SAFETY_ANSWER_IDS) - {a.id for a in reader.data.safety_answers}):
        reader.problem("contacts.yml", aid, "answers", "réponse de sécurité manquante")


def read_partners(reader: Collector) -> None:
    """partners.yml: the structures of the réseau de proximité."""
    for file, pid, raw, t in reader.entries("partners.yml", "partners"):
        pub = raw.get("publics") or {}
        lo, hi = reader.age_range(file, pid, pub, "publics.")

        def person(key: str, file: str = file, pid: str = pid, raw: dict = raw) -> Person:
            p = raw.get(key) or {}
            if not isinstance(p, dict):
                reader.problem(file, pid, key, "dictionnaire {name, role} attendu")
                return Person()
            return Person(
                reader.take(file, pid, p, "name", f.text), reader.take(file, pid, p, "role", f.text)
            )

        reader.data.partners.append(
            Partner(
                id=pid,
                name=t("name", f.text, required=True) or pid,
                structure=t("structure", f.text),
                address=t("address", f.text),
                postcode=t("postcode", f.postcode),
                commune=t("commune", f.insee),
                publics=PartnerPublics(lo, hi, bool(pub.get("parents"))),
                referent=person("referent"),
                aom_interlocutor=person("aom_interlocutor"),
                charter_signed=t("charter_signed", f.date),
                planned_actions=t("planned_actions", f.list_of(f.text), default=()),
                allowed_origins=t("allowed_origins", f.list_of(f.origin), default=()),
                default_commune=t("default_commune", f.insee),
                profile=t("profile", f.among(("youth", "referent"), "profil")) or "youth",
                source=t("source", f.text, required=True) or "",
                operator=t("operator", f.ident),
                **reader.freshness(file, pid, raw),
            )
        )
