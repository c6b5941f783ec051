"""`python -m bot users …` and `python -m bot logs …` as an operator runs them."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from bot import appdb
from bot.cli import main
from bot.console import auth
from tests.console.conftest import TODAY, private_copy


@pytest.fixture
def env(tmp_path, monkeypatch, sample_tracker_file):
    monkeypatch.setenv("TRACKER_DB_URL", private_copy(sample_tracker_file, tmp_path))
    monkeypatch.setenv("APP_DB_URL", f"sqlite:///{tmp_path / 'app.sqlite3'}")
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "logs"))
    return tmp_path


def run(monkeypatch, capsys, argv, stdin: str = ""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_users_add_list_remove(env, monkeypatch, capsys):
    code, out, _ = run(
        monkeypatch,
        capsys,
        [
            "users",
            "add",
            "Ref@Rouen.fr",
            "--role",
            "referent",
            "--partner",
            "rouen_info_jeunes",
            "--password-stdin",
        ],
        "un mot de passe solide\n",
    )
    assert code == 0 and "Compte créé : ref@rouen.fr (referent, rouen_info_jeunes)." in out
    engine = appdb.get_engine(f"sqlite:///{env / 'app.sqlite3'}")
    assert auth.authenticate(engine, "ref@rouen.fr", "un mot de passe solide", "cli") is not None
    code, out, _ = run(monkeypatch, capsys, ["users", "list"])
    assert "ref@rouen.fr" in out and "referent" in out
    code, out, _ = run(monkeypatch, capsys, ["users", "remove", "ref@rouen.fr"])
    assert code == 0 and "Compte supprimé" in out
    assert auth.list_users(engine) == []
    engine.dispose()


def test_users_passwd_and_remove_are_audited_and_refuse_unknown_accounts(env, monkeypatch, capsys):
    engine = appdb.get_engine(f"sqlite:///{env / 'app.sqlite3'}")
    appdb.create_schema(engine)
    auth.add_user(engine, "staff@aom.fr", "un mot de passe solide", "staff")
    token, _csrf = auth.open_session(engine, auth.list_users(engine)[0])
    code, out, _ = run(
        monkeypatch,
        capsys,
        ["users", "passwd", "Staff@aom.fr", "--password-stdin"],
        "un autre mot de passe solide\n",
    )
    assert code == 0 and "Mot de passe changé pour Staff@aom.fr" in out
    assert auth.session_user(engine, token) is None
    assert auth.authenticate(engine, "staff@aom.fr", "un autre mot de passe solide", "cli")
    code, _out, err = run(
        monkeypatch, capsys, ["users", "passwd", "staff@aom.fr", "--password-stdin"], "court\n"
    )
    assert code == 2 and "au moins 12 caractères" in err
    for argv, stdin in [
        (["passwd", "personne@aom.fr", "--password-stdin"], "un mot de passe solide\n"),
        (["remove", "personne@aom.fr"], ""),
    ]:
        code, _out, err = run(monkeypatch, capsys, ["users", *argv], stdin)
        assert code == 1 and "aucun compte pour personne@aom.fr" in err
    code, out, _ = run(monkeypatch, capsys, ["users", "remove", "staff@aom.fr"])
    assert code == 0 and "Compte supprimé : staff@aom.fr." in out
    with engine.connect() as conn:
        audited = conn.execute(
            sa.select(appdb.audit_log.c.action, appdb.audit_log.c.target).order_by(
                appdb.audit_log.c.id
            )
        ).all()
    engine.dispose()
    assert [tuple(row) for row in audited] == [
        ("user_password", "staff@aom.fr"),
        ("user_delete", "staff@aom.fr"),
    ]


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["--role", "staff"], "court\n", "au moins 12 caractères"),
        (["--role", "referent"], "un mot de passe solide\n", "rattaché à un partenaire"),
        (
            ["--role", "referent", "--partner", "rouen-info-jeunes"],
            "un mot de passe solide\n",
            "Partenaire inconnu : 'rouen-info-jeunes'. Partenaires déclarés dans "
            "knowledge/data/partners.yml : demo_referent, rouen_info_jeunes.",
        ),
    ],
)
def test_users_add_refuses_bad_input_in_french(env, monkeypatch, capsys, argv, stdin, message):
    code, _out, err = run(
        monkeypatch, capsys, ["users", "add", "x@aom.fr", *argv, "--password-stdin"], stdin
    )
    assert code == 2 and message in err
    engine = appdb.get_engine(f"sqlite:///{env / 'app.sqlite3'}")
    assert auth.list_users(engine) == []
    engine.dispose()


def test_logs_purge_uses_the_duration(env, monkeypatch, capsys):
    (env / "logs").mkdir()
    (env / "logs" / "web.log.2000-01-01").write_text("x\n", encoding="utf-8")
    code, out, _ = run(
        monkeypatch, capsys, ["logs", "purge", "--older-than", "395d", "--today", str(TODAY)]
    )
    assert code == 0
    assert "Purge au-delà de 395 jours" in out and "1 conversations disparues" in out
    assert "1 fichiers de journal" in out and not (env / "logs" / "web.log.2000-01-01").exists()
    tracker = appdb.get_engine(f"sqlite:///{env / 'tracker.sqlite3'}")
    with tracker.connect() as conn:
        senders = set(conn.execute(sa.text("SELECT DISTINCT sender_id FROM events")).scalars())
    tracker.dispose()
    assert "conv-old" not in senders and "conv-rouen" in senders


def test_logs_purge_refuses_a_bad_duration(env, monkeypatch, capsys):
    code, _out, err = run(monkeypatch, capsys, ["logs", "purge", "--older-than", "un an"])
    assert code == 2 and "Durée illisible" in err


def test_logs_purge_default_comes_from_settings(env, monkeypatch, capsys):
    monkeypatch.setenv("LOG_RETENTION_DAYS", "600")
    code, out, _ = run(monkeypatch, capsys, ["logs", "purge", "--today", str(TODAY)])
    assert code == 0 and "Purge au-delà de 600 jours" in out
    assert "0 conversations disparues" in out  # the oldest sample conversation is 500 days old


def test_logs_erase(env, monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, ["logs", "erase", "conv-caen"])
    assert code == 0 and "Conversation conv-caen effacée" in out
    code, out, _ = run(monkeypatch, capsys, ["logs", "erase", "conv-caen"])
    assert code == 1 and "Aucun événement" in out


def test_purge_on_a_store_rasa_never_created(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tmp_path / 'none.sqlite3'}")
    monkeypatch.setenv("APP_DB_URL", f"sqlite:///{tmp_path / 'app.sqlite3'}")
    code, out, _ = run(monkeypatch, capsys, ["logs", "purge", "--older-than", "30"])
    assert code == 0 and "0 événements supprimés" in out
