"""Loading: one transaction, idempotent, fast; a failed load leaves the previous base untouched."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, select

from bot.cli import main
from knowledge import schema
from knowledge.api import KnowledgeBase, KnowledgeBaseNotLoaded
from knowledge.loader import LoadRefused, load, stats


def _rouen_name(url):
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        name = conn.execute(
            select(schema.communes.c.name).where(schema.communes.c.insee == "76540")
        ).scalar_one()
    engine.dispose()
    return name


@pytest.fixture()
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'var' / 'knowledge.sqlite3'}"


def test_load_creates_the_folder_and_is_idempotent(url, tmp_path):
    # No timing here (BRIEF: speed goes to benchmarks); it failed on the loaded shared machine.
    first, _warnings = load(url)
    assert (tmp_path / "var" / "knowledge.sqlite3").exists()
    second, _ = load(url)
    assert first == second == stats(url)
    assert first["communes"] == 2644 and first["communes déléguées/associées"] == 646


def test_refused_load_leaves_previous_base_untouched(url, data_copy):
    load(url)
    before = stats(url)
    communes = data_copy / "territories" / "communes.csv"
    text = communes.read_text(encoding="utf-8").replace(",Rouen,", ",Rouen-Modifié,")
    communes.write_text(text, encoding="utf-8")
    (data_copy / "contacts.yml").write_text(
        (data_copy / "contacts.yml").read_text(encoding="utf-8").replace('"3114"', '"31"'),
        encoding="utf-8",
    )
    with pytest.raises(LoadRefused) as refused:
        load(url, data_copy)
    assert any(p.field == "phone" for p in refused.value.problems)
    assert stats(url) == before
    assert _rouen_name(url) == "Rouen"


def test_database_failure_midway_rolls_back(url, data_copy, monkeypatch):
    load(url)
    before = stats(url)
    # The data passes validation, but the database refuses a row halfway through (duplicate
    # primary key in the operators table, loaded after communes): nothing may remain of it.
    communes = data_copy / "territories" / "communes.csv"
    communes.write_text(
        communes.read_text(encoding="utf-8").replace(",Rouen,", ",Rouen-Modifié,"),
        encoding="utf-8",
    )
    import knowledge.loader as loader

    real_rows = loader._rows

    def rows_with_duplicate(data):
        rows = real_rows(data)
        rows[schema.operators].append(dict(rows[schema.operators][0]))
        return rows

    monkeypatch.setattr(loader, "_rows", rows_with_duplicate)
    version = KnowledgeBase.from_url(url).version
    assert main(["kb", "load", "--db", url, "--data", str(data_copy), "--quiet"]) == 1
    assert stats(url) == before
    assert _rouen_name(url) == "Rouen"
    assert KnowledgeBase.from_url(url).stored_version() == version  # the stamp too


def test_load_command_refuses_broken_data_with_exit_code(url, data_copy, capsys):
    (data_copy / "routing.yml").write_text("rules: [", encoding="utf-8")
    assert main(["kb", "load", "--db", url, "--data", str(data_copy)]) == 1
    err = capsys.readouterr().err
    assert "routing.yml" in err and "intacte" in err


def test_stats_and_api_on_an_empty_base(url, capsys):
    assert main(["kb", "stats", "--db", url]) == 1
    assert "kb load" in capsys.readouterr().err
    with pytest.raises(KnowledgeBaseNotLoaded):
        KnowledgeBase.from_url(url)


def test_reload_sees_a_new_load(url, data_copy):
    load(url)
    kb = KnowledgeBase.from_url(url)
    assert kb.commune("76540").name == "Rouen"
    communes = data_copy / "territories" / "communes.csv"
    communes.write_text(
        communes.read_text(encoding="utf-8").replace(",Rouen,", ",Rouen-sur-Seine,"),
        encoding="utf-8",
    )
    load(url, data_copy)
    assert kb.commune("76540").name == "Rouen"  # a snapshot until reload
    kb.reload()
    assert kb.commune("76540").name == "Rouen-sur-Seine"
    assert kb.resolve_commune("rouen sur seine")[0].insee == "76540"
    kb.close()


@pytest.mark.postgres
def test_postgres_load_is_idempotent_and_refusal_keeps_it(make_postgres_database, data_copy):
    url = make_postgres_database("kbload")
    first, _ = load(url)
    assert load(url)[0] == first == stats(url)
    (data_copy / "partners.yml").write_text(
        (data_copy / "partners.yml").read_text(encoding="utf-8").replace('"76540"', '"00000"'),
        encoding="utf-8",
    )
    with pytest.raises(LoadRefused):
        load(url, data_copy)
    assert stats(url) == first


def test_resolve_command_json_and_batch(sqlite_url, tmp_path, capsys):
    assert main(["kb", "resolve", "je suis a tourlaville", "--json", "--db", sqlite_url]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"insee": "50129", "name": "Cherbourg-en-Cotentin", "departement": "50", "score": 0.95}
    ]
    batch = tmp_path / "texts.txt"
    batch.write_text("evreux\nj'ai eu mon bac\n14000\n", encoding="utf-8")
    assert main(["kb", "resolve", "--batch", str(batch), "--db", sqlite_url]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [[m["insee"] for m in line] for line in lines] == [["27229"], [], ["14118"]]
