"""No dangling ids, and freshness staff can act on: every date here is built from the data."""

from __future__ import annotations

import datetime as dt
import re
import textwrap

import pytest

from bot.cli import main
from knowledge.freshness import due_entries, loaded_entries
from knowledge.sources import DATA_DIR, SITUATIONS, read_knowledge
from knowledge.sources.named_ids import CODE_ROOT, ids_in_actions, ids_in_yaml


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- ids named by the code, the domain and the training data ------------------------------------


def test_every_id_the_project_names_exists(knowledge_data):
    data, _ = knowledge_data
    known = {
        "contact": {c.id for c in data.contacts},
        "scheme": {s.id for s in data.schemes},
        "operator": {o.id for o in data.operators},
        "partner": {p.id for p in data.partners},
        "situation": set(SITUATIONS),
    }
    named = list(ids_in_actions(CODE_ROOT / "actions")) + list(ids_in_yaml(CODE_ROOT))
    kinds = {kind for _file, _line, kind, _id in named}
    # The scan does see the actions' contact lines and schemes and the domain's situations.
    assert {"contact", "scheme", "situation"} <= kinds
    assert ("actions/events.py", "contact") in {(f, k) for f, _l, k, _i in named}
    dangling = [(f, line, k, i) for f, line, k, i in named if i not in known[k]]
    assert dangling == []


def test_dangling_ids_of_code_domain_and_training_data_are_errors(tmp_path):
    (tmp_path / "actions").mkdir()
    (tmp_path / "actions" / "agenda.py").write_text(
        textwrap.dedent(
            """
            AGENDA = "agenda_aom"
            DISCOVERY = ("parcours_metiers", "scheme_fantome")

            def answer(kb):
                kb.contact_entry(AGENDA)
                kb.contact("parcours_metiers")
                kb.partner("partenaire_fantome")
                return [kb.get_scheme(i) for i in DISCOVERY]
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "d.yml").write_text(
        "responses:\n  utter_x:\n    - text: x\n      buttons:\n"
        '        - payload: \'/inform{{"situation":"retraite"}}\'\n',
        encoding="utf-8",
    )
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "data" / "nlu" / "n.yml").write_text(
        'nlu:\n- intent: a\n  examples: |\n    - le [truc]{"entity":"scheme","value":"truc"}\n',
        encoding="utf-8",
    )
    _data, problems = read_knowledge(DATA_DIR, code_root=tmp_path)
    found = sorted((p.file, p.entry, p.field) for p in problems if p.severity == "error")
    assert found == [
        ("actions/agenda.py:6", "agenda_aom", "contact"),
        ("actions/agenda.py:8", "partenaire_fantome", "partner"),
        ("actions/agenda.py:9", "scheme_fantome", "scheme"),
        ("data/nlu/n.yml:4", "truc", "scheme"),
        ("domain/d.yml:5", "retraite", "situation"),
    ]
    assert any("contact inconnu de contacts.yml : agenda_aom" in str(p) for p in problems)


def test_a_partner_names_an_existing_operator(data_copy):
    _edit(data_copy / "partners.yml", "operator: info_jeunes_rouen", "operator: lieu_fantome")
    problems = [str(p) for p in read_knowledge(data_copy)[1]]
    assert any("partners.yml · rouen_info_jeunes · operator" in p for p in problems)


# --- last_verified, review_by, to_verify ---------------------------------------------------------


def test_every_entry_carries_its_review_date(knowledge_data):
    data, _ = knowledge_data
    entries = data.reviewable()
    kinds = {kind for kind, _e in entries}
    assert kinds == {
        "operator",
        "scheme",
        "job",
        "event",
        "recurring_event",
        "contact",
        "partner",
        "rule",
    }
    assert all(e.review_by is not None for _k, e in entries)
    # last_verified is a check against the source, or nothing: then the entry says to verify.
    assert all(e.last_verified is not None or e.to_verify for _k, e in entries)
    mls = [e for k, e in entries if k == "operator" and e.type == "mission_locale"]
    assert mls and all(e.review_by and e.to_verify for e in mls)


def _unconfirmed_event(data_dir):
    """``data_dir`` with its first dated event back to unconfirmed (the shipped one is checked)."""
    path = data_dir / "events.yml"
    text = path.read_text(encoding="utf-8")
    dated = text.index("\n  - id: ", text.index("events:"))
    head, rest = text[: dated + 1], text[dated + 1 :]
    rest = re.sub(r"last_verified: \S+", "last_verified: null", rest, count=1)
    rest = re.sub(r"to_verify: false", "to_verify: true", rest, count=1)
    path.write_text(head + rest, encoding="utf-8")
    return re.search(r"- id: (\S+)", rest).group(1)


def test_events_and_partners_keep_to_verify_through_the_loader(data_copy, tmp_path):
    event_id = _unconfirmed_event(data_copy)
    data, _ = read_knowledge(data_copy)
    flagged = {(k, e.id) for k, e in data.reviewable() if e.to_verify}
    assert ("event", event_id) in flagged and "partner" in {k for k, _i in flagged}
    from knowledge.loader import load, make_engine

    url = f"sqlite:///{tmp_path / 'knowledge.sqlite3'}"
    load(url, data_copy)
    engine = make_engine(url)
    try:
        loaded = {(k, e.id) for k, e in loaded_entries(engine) if e.to_verify}
    finally:
        engine.dispose()
    assert loaded == flagged
    assert set(data.to_verify()) == flagged


def test_validate_lists_events_and_partners_to_verify(data_copy, capsys):
    event_id = _unconfirmed_event(data_copy)
    assert main(["kb", "validate", "--to-verify", "--data", str(data_copy)]) == 0
    out = capsys.readouterr().out
    data, _ = read_knowledge(data_copy)
    for kind, entry_id in data.to_verify():
        assert f"to_verify\t{kind}\t{entry_id}\n" in out
    assert f"to_verify\tevent\t{event_id}\n" in out and "to_verify\tpartner\t" in out


@pytest.mark.parametrize(
    ("pattern", "new", "field", "message"),
    [
        (r"    review_by: .*\n", "", "review_by", "champ obligatoire manquant"),
        (r"review_by: .*", "review_by: bientôt", "review_by", "date invalide"),
        (r"    to_verify: true\n", "", "last_verified", "mettre to_verify: true"),
        (r"    last_verified: null\n", "", "last_verified", "champ obligatoire manquant"),
        (
            r"last_verified: null\n    review_by: .*",
            "last_verified: 2027-01-10\n    review_by: 2027-01-09",
            "review_by",
            "avant la vérification",
        ),
    ],
    ids=["review_by_missing", "review_by_bad", "null_not_flagged", "key_missing", "order"],
)
def test_freshness_mistakes_are_reported(data_copy, pattern, new, field, message):
    path = data_copy / "contacts.yml"
    text = path.read_text(encoding="utf-8")
    # The first contact never verified, so that each edit hits that one entry.
    entry_end = text.index("\n\n", text.index("last_verified: null"))
    start = text.rindex("  - id: ", 0, entry_end)
    block = text[start : entry_end + 1]
    entry_id = block.split("\n", 1)[0].split(": ", 1)[1]
    changed = re.sub(pattern, new, block, count=1)
    assert changed != block
    path.write_text(text[:start] + changed + text[entry_end + 1 :], encoding="utf-8")
    problems = [p for p in read_knowledge(data_copy)[1] if p.severity == "error"]
    assert [(p.file, p.entry, p.field) for p in problems] == [("contacts.yml", entry_id, field)]
    assert message in problems[0].message


def test_missions_locales_csv_needs_its_review_columns(data_copy):
    path = data_copy / "operators" / "missions_locales.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cut = [",".join(line.split(",")[:-1]) for line in lines]  # drop review_by
    path.write_text("\n".join(cut) + "\n", encoding="utf-8")
    problems = [str(p) for p in read_knowledge(data_copy)[1]]
    assert any("missions_locales.csv · review_by: colonnes manquantes" in p for p in problems)


# --- what is due, on a day chosen from the data -------------------------------------------------


def _verified_entry(data):
    """An entry checked against its source (not to verify), with its review date."""
    return next((k, e) for k, e in data.reviewable() if not e.to_verify and e.review_by)


def test_due_entries_follow_the_day_given(knowledge_data):
    data, _ = knowledge_data
    kind, entry = _verified_entry(data)
    before = entry.review_by - dt.timedelta(days=10)
    after = entry.review_by + dt.timedelta(days=1)

    def reason(day, horizon=0):
        found = [d for d in due_entries([(kind, entry)], day, horizon) if d.id == entry.id]
        return found[0].reason if found else None

    assert reason(before) is None
    assert reason(before, horizon=30) == "soon"
    assert reason(entry.review_by) == "soon"  # due that very day
    assert reason(after) == "overdue"
    flagged = next(e for _k, e in data.reviewable() if e.to_verify)
    assert [d.reason for d in due_entries([("x", flagged)], before)] == ["to_verify"]


def test_stale_command_counts(knowledge_data, capsys):
    data, _ = knowledge_data
    _kind, entry = _verified_entry(data)
    entries = data.reviewable()
    flagged = sum(1 for _k, e in entries if e.to_verify)
    day = entry.review_by + dt.timedelta(days=1)
    overdue = sum(1 for _k, e in entries if not e.to_verify and e.review_by < day)
    soon = sum(
        1 for _k, e in entries if not e.to_verify and day <= e.review_by <= day + dt.timedelta(30)
    )
    assert main(["kb", "stale", "--today", day.isoformat()]) == 0
    out = capsys.readouterr().out
    summary = out.strip().splitlines()[-1]
    assert summary == (
        f"Au {day.isoformat()} : {flagged + overdue + soon} entrée(s) sur {len(entries)} "
        f"à revoir ({flagged} à vérifier, {overdue} revue dépassée, {soon} revue bientôt)."
    )
    assert re.search(rf"^revue dépassée\t{_kind}\t{entry.id}\t", out, re.MULTILINE)


def _rule_block(text: str, rule_id: str) -> tuple[int, int]:
    """Start and end of one rule's lines in routing.yml."""
    start = text.index(f"  - id: {rule_id}\n")
    end = text.find("\n  - id: ", start + 1)
    return start, len(text) if end < 0 else end


def test_stale_lists_the_routing_rules_due(knowledge_data, data_copy, capsys):
    data, _ = knowledge_data
    rule = next(r for r in data.rules if not r.to_verify)
    day = rule.review_by + dt.timedelta(days=1)
    line = rf"^revue dépassée\trule\t{rule.id}\trevue {rule.review_by.isoformat()}\t"
    assert main(["kb", "stale", "--today", day.isoformat()]) == 0
    assert re.search(line, capsys.readouterr().out, re.MULTILINE)
    early = rule.review_by - dt.timedelta(days=31)
    assert main(["kb", "stale", "--today", early.isoformat()]) == 0
    assert f"\trule\t{rule.id}\t" not in capsys.readouterr().out

    # A rule nobody has checked against its source is listed to verify, whatever the day.
    path = data_copy / "routing.yml"
    text = path.read_text(encoding="utf-8")
    start, end = _rule_block(text, rule.id)
    block = re.sub(
        r"last_verified: .*", "last_verified: null\n    to_verify: true", text[start:end]
    )
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")
    assert main(["kb", "stale", "--data", str(data_copy), "--today", early.isoformat()]) == 0
    assert re.search(rf"^à vérifier\trule\t{rule.id}\t", capsys.readouterr().out, re.MULTILINE)


def test_a_routing_rule_needs_its_review_date(data_copy):
    path = data_copy / "routing.yml"
    text = path.read_text(encoding="utf-8")
    rule_id = text.split("  - id: ", 1)[1].split("\n", 1)[0]
    start, end = _rule_block(text, rule_id)
    block = re.sub(r"    review_by: .*\n", "", text[start:end])
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")
    problems = [p for p in read_knowledge(data_copy)[1] if p.severity == "error"]
    assert [(p.file, p.entry, p.field, p.message) for p in problems] == [
        ("routing.yml", rule_id, "review_by", "champ obligatoire manquant")
    ]


def test_stale_command_refuses_a_bad_day(capsys):
    with pytest.raises(SystemExit):
        main(["kb", "stale", "--today", "31/12/2026"])
    assert "date invalide" in capsys.readouterr().err


def test_every_kind_has_a_french_label(knowledge_data):
    from knowledge.freshness import KIND_LABELS

    data, _ = knowledge_data
    assert {kind for kind, _e in data.reviewable()} <= set(KIND_LABELS)
