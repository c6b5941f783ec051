"""`python -m bot users …` (console accounts) and `python -m bot logs …` (retention)."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from datetime import datetime, time
from pathlib import Path

from bot import appdb, logfiles
from bot.settings import PROJECT_ROOT, load_settings
from knowledge.cli import iso_day


def register(subparsers) -> None:
    """Add the ``users`` and ``logs`` commands."""
    users = subparsers.add_parser("users", help="comptes de la console (admin, staff, referent)")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser("add", help="créer un compte")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=appdb.ROLES)
    add.add_argument("--partner", help="identifiant du partenaire (comptes référents)")
    add.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur stdin")
    add.set_defaults(func=_users_add)
    lst = users_sub.add_parser("list", help="lister les comptes")
    lst.set_defaults(func=_users_list)
    rm = users_sub.add_parser("remove", help="supprimer un compte")
    rm.add_argument("email")
    rm.set_defaults(func=_users_remove)
    pw = users_sub.add_parser("passwd", help="changer un mot de passe (ferme ses sessions)")
    pw.add_argument("email")
    pw.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur stdin")
    pw.set_defaults(func=_users_passwd)

    logs = subparsers.add_parser("logs", help="rétention des conversations (purge, effacement)")
    logs_sub = logs.add_subparsers(dest="logs_command", metavar="ACTION", required=True)
    purge = logs_sub.add_parser(
        "purge", help="supprimer les conversations plus anciennes que la limite"
    )
    purge.add_argument(
        "--older-than",
        help="durée, par exemple 395d (défaut : LOG_RETENTION_DAYS)",
    )
    purge.add_argument(
        "--today",
        type=iso_day,
        default=None,
        help="date du jour AAAA-MM-JJ, la durée compte depuis son début (défaut : aujourd'hui)",
    )
    purge.set_defaults(func=_logs_purge)
    erase = logs_sub.add_parser("erase", help="effacer une conversation (demande de la personne)")
    erase.add_argument("sender_id", help="identifiant de la conversation")
    erase.set_defaults(func=_logs_erase)


def _app_engine():
    engine = appdb.get_engine(load_settings().app_db_url)
    appdb.create_schema(engine)
    return engine


@contextlib.contextmanager
def _engines():
    """(writable tracker store, app database) engines for a retention command."""
    tracker = appdb.get_engine(load_settings().tracker_db_url)
    app = _app_engine()
    try:
        yield tracker, app
    finally:
        tracker.dispose()
        app.dispose()


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Confirmez le mot de passe : ") != first:
        raise ValueError("Les deux mots de passe ne correspondent pas.")
    return first


def _users_add(args: argparse.Namespace) -> int:
    from bot.console.auth import AccountError, add_user

    engine = _app_engine()
    try:
        user = add_user(engine, args.email, _read_password(args), args.role, args.partner)
        appdb.write_audit(engine, "cli", "user_add", user.email, user.role)
    except (AccountError, ValueError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    partner = f", {user.partner_id}" if user.partner_id else ""
    print(f"Compte créé : {user.email} ({user.role}{partner}).")
    return 0


def _users_list(_args: argparse.Namespace) -> int:
    from bot.console.auth import list_users

    engine = _app_engine()
    users = list_users(engine)
    engine.dispose()
    if not users:
        print("Aucun compte. Créez-en un : python -m bot users add EMAIL --role admin")
    for user in users:
        print(f"{user.email:<40} {user.role:<9} {user.partner_id or ''}")
    return 0


def _change_account(email: str, change, audit_action: str, done: str) -> int:
    """Run ``change(engine)`` on one account: audit it, or say that there is no such account."""
    from bot.console.auth import AccountError

    engine = _app_engine()
    try:
        found = change(engine)
        if found:
            appdb.write_audit(engine, "cli", audit_action, email.strip().lower())
    except (AccountError, ValueError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if not found:
        print(f"Erreur : aucun compte pour {email}.", file=sys.stderr)
        return 1
    print(done)
    return 0


def _users_remove(args: argparse.Namespace) -> int:
    from bot.console.auth import remove_user

    return _change_account(
        args.email,
        lambda engine: remove_user(engine, args.email),
        "user_delete",
        f"Compte supprimé : {args.email}.",
    )


def _users_passwd(args: argparse.Namespace) -> int:
    from bot.console.auth import set_password

    return _change_account(
        args.email,
        lambda engine: set_password(engine, args.email, _read_password(args)),
        "user_password",
        f"Mot de passe changé pour {args.email} ; ses sessions sont fermées.",
    )


def _logs_purge(args: argparse.Namespace) -> int:
    from bot.console.indexer import PARIS
    from bot.console.retention import parse_days, purge

    settings = load_settings()
    try:
        days = parse_days(args.older_than) if args.older_than else settings.log_retention_days
    except ValueError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    now = None if args.today is None else datetime.combine(args.today, time(), PARIS).timestamp()
    with _engines() as (tracker, app):
        report = purge(tracker, app, days, "cli", now=now)
    today = args.today or datetime.now(PARIS).date()
    rotation = logfiles.rotate(Path(settings.log_dir), today, days)
    print(
        f"Purge au-delà de {days} jours : {report.events} événements supprimés, "
        f"{report.conversations} conversations disparues, {report.app_rows} lignes de revue, "
        f"{len(rotation.deleted)} fichiers de journal."
    )
    return 0


def _logs_erase(args: argparse.Namespace) -> int:
    from bot.console.retention import erase_conversation

    settings = load_settings()
    with _engines() as (tracker, app):
        deleted = erase_conversation(
            tracker,
            app,
            args.sender_id,
            "cli",
            log_dir=Path(settings.log_dir),
            project_root=PROJECT_ROOT,
        )
    if not deleted:
        print(f"Aucun événement pour la conversation {args.sender_id} (rien d'autre à effacer).")
        return 1
    print(f"Conversation {args.sender_id} effacée : {deleted} événements supprimés.")
    return 0
