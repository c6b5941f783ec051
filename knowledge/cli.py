"""`python -m bot kb …`: validate, load, stats, resolve."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from knowledge.sources import DATA_DIR, errors, read_knowledge


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``kb`` command and its sub-commands."""
    kb = subparsers.add_parser(
        "kb",
        help="base de connaissances : validate | stale | load | stats | resolve | import | "
        "routing-matrix",
    )
    sub = kb.add_subparsers(dest="kb_command", metavar="SUBCOMMAND")
    kb.set_defaults(func=lambda _a: kb.print_help() or 2)

    validate = sub.add_parser("validate", help="vérifie knowledge/data sans rien charger")
    validate.add_argument("--data", type=Path, default=DATA_DIR, help="dossier des données")
    validate.add_argument("--to-verify", action="store_true", help="liste les entrées to_verify")
    validate.set_defaults(func=_validate)

    stale = sub.add_parser(
        "stale", help="entrées à vérifier ou dont la date de revue est passée ou proche"
    )
    stale.add_argument("--data", type=Path, default=DATA_DIR, help="dossier des données")
    stale.add_argument(
        "--today",
        type=iso_day,
        default=None,
        help="date du jour AAAA-MM-JJ (défaut : aujourd'hui)",
    )
    stale.add_argument(
        "--within", type=int, default=30, help="inclure les revues des N prochains jours (30)"
    )
    stale.set_defaults(func=_stale)

    load = sub.add_parser("load", help="valide puis charge en une transaction")
    load.add_argument("--db", help="URL SQLAlchemy (défaut : KNOWLEDGE_DB_URL)")
    load.add_argument("--data", type=Path, default=DATA_DIR, help="dossier des données")
    load.add_argument("--quiet", action="store_true", help="n'affiche que les erreurs")
    load.set_defaults(func=_load)

    stats = sub.add_parser("stats", help="nombre de lignes par table")
    stats.add_argument("--db", help="URL SQLAlchemy (défaut : KNOWLEDGE_DB_URL)")
    stats.set_defaults(func=_stats)

    near = sub.add_parser(
        "near-words", help="régénère territories/near_words.txt (vocabulaire français de spaCy)"
    )
    near.add_argument("--data", type=Path, default=DATA_DIR, help="dossier des données")
    near.set_defaults(func=_near_words)

    imp = sub.add_parser("import", help="importe une source officielle dans knowledge/data")
    imp_sub = imp.add_subparsers(dest="import_source", metavar="SOURCE")
    imp.set_defaults(func=lambda _a: imp.print_help() or 2)
    annuaire = imp_sub.add_parser(
        "annuaire", help="export JSON de l'Annuaire de l'administration (data.gouv.fr)"
    )
    annuaire.add_argument("file", type=Path, help="…-data.gouv_local.json ou l'archive .tar.bz2")
    annuaire.add_argument("--data", type=Path, default=DATA_DIR, help="dossier des données")
    annuaire.add_argument(
        "--date",
        type=iso_day,
        help="date du téléchargement (défaut : celle du nom du fichier)",
    )
    annuaire.set_defaults(func=_import_annuaire)

    matrix = sub.add_parser(
        "routing-matrix", help="qui reçoit chaque besoin × âge × situation (pour l'équipe)"
    )
    matrix.add_argument("--commune", default="14118", help="code INSEE (défaut : Caen)")
    matrix.add_argument("--parent", action="store_true", help="la grille des parents")
    matrix.add_argument("--db", help="URL SQLAlchemy (défaut : KNOWLEDGE_DB_URL)")
    matrix.set_defaults(func=_routing_matrix)

    offices = sub.add_parser(
        "offices", help="lieux par type et département, part des communes servies sur place"
    )
    offices.add_argument("--db", help="URL SQLAlchemy (défaut : KNOWLEDGE_DB_URL)")
    offices.set_defaults(func=_offices)

    resolve = sub.add_parser("resolve", help="communes reconnues dans un texte")
    resolve.add_argument("text", nargs="?", help="mention ou phrase")
    resolve.add_argument("--batch", type=Path, help="un texte par ligne → une liste JSON par ligne")
    resolve.add_argument("--json", action="store_true", help="sortie JSON (toujours pour --batch)")
    resolve.add_argument("--limit", type=int, default=5)
    resolve.add_argument("--db", help="URL SQLAlchemy (défaut : KNOWLEDGE_DB_URL)")
    resolve.set_defaults(func=_resolve)


def iso_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date invalide {text!r} (AAAA-MM-JJ attendu)") from None


def _import_annuaire(args: argparse.Namespace) -> int:
    from knowledge.annuaire import ImportRefused, import_annuaire

    try:
        report = import_annuaire(args.file, args.data, args.date)
    except ImportRefused as exc:
        print(f"Import refusé : {exc}", file=sys.stderr)
        return 1
    for warning in report.warnings:
        print(f"[avertissement] {warning}", file=sys.stderr)
    kept = ", ".join(f"{n} {t}" for t, n in sorted(report.kept.items())) or "aucun lieu"
    print(
        f"{report.file_name} (téléchargé le {report.retrieved:%d/%m/%Y}) : {report.records} fiches "
        f"lues, gardé {kept} ; {report.positions} positions de mairies ; "
        f"{report.seconds:.1f} s. Lancez `python -m bot kb load` pour les servir."
    )
    return 0


def _open_base(args: argparse.Namespace):
    """The loaded base named by ``--db``, or None after saying why (on stderr)."""
    from knowledge.api import KnowledgeBase, KnowledgeBaseNotLoaded

    try:
        return KnowledgeBase.from_url(args.db)
    except (KnowledgeBaseNotLoaded, SQLAlchemyError) as exc:
        print(exc, file=sys.stderr)
        return None


def _offices(args: argparse.Namespace) -> int:
    from knowledge.routing_matrix import office_figures

    kb = _open_base(args)
    if kb is None:
        return 1
    print(office_figures(kb))
    return 0


def _routing_matrix(args: argparse.Namespace) -> int:
    from knowledge.routing_matrix import cells, render

    kb = _open_base(args)
    if kb is None:
        return 1
    commune = kb.commune(args.commune)
    if commune is None:
        print(f"Commune inconnue : {args.commune}", file=sys.stderr)
        return 2
    grid = list(cells(kb, commune.insee, parent=args.parent))
    print(f"Orientation pour {commune.name} ({commune.insee})")
    print(render(grid))
    empty = sum(cell.empty for cell in grid)
    print(f"{len(grid)} lignes, {empty} case(s) vide(s).")
    return 1 if empty else 0


def _print_problems(problems) -> None:
    for p in problems:
        print(p, file=sys.stderr)


def _validate(args: argparse.Namespace) -> int:
    data, problems = read_knowledge(args.data)
    _print_problems(problems)
    n_err = len(errors(problems))
    print(
        f"{len(data.communes)} communes, {len(data.operators)} opérateurs, "
        f"{len(data.schemes)} dispositifs, {len(data.jobs)} métiers, "
        f"{len(data.events)} événements, "
        f"{len(data.rules)} règles : {n_err} erreur(s), {len(problems) - n_err} avertissement(s)."
    )
    if args.to_verify:
        for kind, entry_id in data.to_verify():
            print(f"to_verify\t{kind}\t{entry_id}")
    return 1 if n_err else 0


def _stale(args: argparse.Namespace) -> int:
    from knowledge.freshness import REASON_LABELS, counts, due_entries

    data, problems = read_knowledge(args.data)
    if errors(problems):
        _print_problems(errors(problems))
        print("Données invalides : corrigez les erreurs d'abord (kb validate).", file=sys.stderr)
        return 1
    today = args.today or dt.date.today()
    due = due_entries(data.reviewable(), today, args.within)
    for d in due:
        when = d.review_by.isoformat() if d.review_by else "—"
        verified = d.last_verified.isoformat() if d.last_verified else "jamais"
        print(f"{d.reason_label}\t{d.kind}\t{d.id}\trevue {when}\tvérifié {verified}\t{d.name}")
    n = counts(due)
    total = len(data.reviewable())
    summary = ", ".join(f"{n[reason]} {label}" for reason, label in REASON_LABELS.items())
    print(f"Au {today.isoformat()} : {len(due)} entrée(s) sur {total} à revoir ({summary}).")
    return 0


def _load(args: argparse.Namespace) -> int:
    from knowledge.loader import LoadRefused, load

    def progress(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr)

    try:
        _counts, warnings = load(args.db, args.data, progress)
    except LoadRefused as exc:
        _print_problems(exc.problems)
        print(f"Chargement refusé : {exc}. La base précédente est intacte.", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"Erreur de base de données, rien n'a changé : {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        _print_problems(warnings)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from knowledge.loader import stats

    try:
        counts = stats(args.db)
    except SQLAlchemyError as exc:
        print(f"Base inaccessible : {exc}", file=sys.stderr)
        return 1
    if not counts:
        print("Base vide : lancez `python -m bot kb load`.", file=sys.stderr)
        return 1
    for label, n in counts.items():
        print(f"{label:<30} {n:>6}")
    return 0


def _near_words(args: argparse.Namespace) -> int:
    from knowledge.lexicon import write_near_words

    path = write_near_words(args.data)
    n = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    print(f"{path} : {n} mots.")
    return 0


def _resolve(args: argparse.Namespace) -> int:
    if not args.text and not args.batch:
        print("Donnez un texte ou --batch FICHIER.", file=sys.stderr)
        return 2
    kb = _open_base(args)
    if kb is None:
        return 1

    def as_json(text: str) -> str:
        found = kb.resolve_commune(text, args.limit)
        rows = [
            {"insee": m.insee, "name": m.name, "departement": m.departement, "score": m.score}
            for m in found
        ]
        return json.dumps(rows, ensure_ascii=False)

    if args.batch:
        try:
            lines = args.batch.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            print(f"Fichier illisible : {exc}", file=sys.stderr)
            return 1
        for line in lines:
            print(as_json(line))
        return 0
    if args.json:
        print(as_json(args.text))
        return 0
    found = kb.resolve_commune(args.text, args.limit)
    if not found:
        print("Aucune commune normande reconnue.")
    for m in found:
        print(f"{m.insee}  {m.name} ({m.departement})  score {m.score:.2f}  [{m.matched}]")
    return 0
