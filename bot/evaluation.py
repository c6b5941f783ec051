"""`python -m bot eval`: train NLU-only models and compare them on the held-out test set.

For the project's ``config.yml`` and the ``rasa init`` baseline (``bot/eval_configs/baseline.yml``)
it trains an NLU model on ``data/`` (including ``data/nlu/generated/`` when it exists), tests it on
``tests/nlu/`` (never used for training), prints a side-by-side table and writes a report with the
confusion matrices under ``results/eval/``. The exit code says whether the target is met.
Tuning decisions are taken on the development set (``--test-data tests/nlu_dev``), kept apart
from both, and by cross-validation on the training data (``--folds 5``: Rasa trains on four fifths
of ``data/`` and tests on the fifth left out, five times; report under ``results/eval-cv/``, no
target is judged there); the held-out set confirms them.

Rasa runs in subprocesses: each model trains in a fresh interpreter, so one configuration's
TensorFlow state cannot leak into the other's timing, and a crash is reported instead of
taking the command down.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from bot.settings import PROJECT_ROOT
from bot.training import input_files, rasa_env, update_digest
from knowledge.text import fold

DEFAULT_CONFIG = PROJECT_ROOT / "config.yml"
BASELINE_CONFIG = PROJECT_ROOT / "bot" / "eval_configs" / "baseline.yml"
TRAIN_DATA = PROJECT_ROOT / "data"
TEST_DATA = PROJECT_ROOT / "tests" / "nlu"
DEV_DATA = PROJECT_ROOT / "tests" / "nlu_dev"
# Never trained on: the held-out set and the development set (relative to the project root).
EVALUATION_SETS = tuple(p.relative_to(PROJECT_ROOT) for p in (TEST_DATA, DEV_DATA))
DOMAIN = PROJECT_ROOT / "domain"
RESULTS_DIR = PROJECT_ROOT / "results" / "eval"
CV_RESULTS_DIR = PROJECT_ROOT / "results" / "eval-cv"

# Targets of issue 2 on the held-out set; the candidate must also beat the baseline.
TARGET_ACCURACY = 0.95
TARGET_MACRO_F1 = 0.93


class EvaluationError(Exception):
    """A step of the evaluation failed; the message is meant for the person running it."""


@dataclass(frozen=True)
class ConfigResult:
    """Figures measured for one pipeline configuration on the held-out set."""

    name: str
    config: str
    intent_accuracy: float
    intent_macro_f1: float
    entity_micro_f1: float | None
    entity_macro_f1: float | None
    train_seconds: float
    test_examples: int
    # "<entity> (<extractor>)" -> F1, for extractors other than DIET (e.g. the commune resolver)
    other_extractors_f1: dict[str, float]
    # threshold -> (share of right answers below it, share of wrong answers below it)
    fallback_tradeoff: dict[str, tuple[float, float]]
    per_intent_f1: dict[str, float]
    confusion_matrix: str
    # what the figures were measured on (see inputs_fingerprint); lets --reuse skip a retraining
    fingerprint: str = ""


def sentence_key(text: str) -> str:
    """Comparison key of a sentence: case, accents, punctuation and spacing are ignored.

    Two sentences with the same key are the same example for the purpose of keeping the
    held-out set apart from the training data.
    """
    return fold(text, words_only=True)


def load_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) of every NLU example under ``path``, annotations removed by Rasa's reader."""
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data

    # Rasa's loader refuses non-NLU files (data/intent_labels.csv), so pick the NLU ones first.
    examples = []
    for file in sorted(get_data_files([str(path)], is_nlu_file)):
        data = load_data(file, language="fr")
        examples += [(m.get("text"), m.get("intent")) for m in data.intent_examples]
    return examples


def leaked_sentences(train_path: Path = TRAIN_DATA, test_path: Path = TEST_DATA) -> list[str]:
    """Held-out sentences whose normalised form also appears in the training data."""
    train_keys = {sentence_key(text) for text, _ in load_examples(train_path)}
    return [text for text, _ in load_examples(test_path) if sentence_key(text) in train_keys]


def inputs_fingerprint(config: Path, train_data: Path, test_data: Path, folds: int = 0) -> str:
    """Hash of everything a configuration's figures depend on: the config file, the training
    and test files (only the training files under cross-validation), Boussole's custom NLU
    components, the number of folds and the Rasa version.
    """
    import rasa

    digest = hashlib.sha256(rasa.__version__.encode())
    digest.update(config.read_bytes())
    digest.update(f"\0folds={folds}".encode())
    held_out = [] if folds else [test_data]
    for folder in (train_data, *held_out, PROJECT_ROOT / "bot" / "nlu"):
        digest.update(b"\0folder")
        # relative names: the same data copied elsewhere has the same fingerprint
        update_digest(digest, input_files(folder), folder)
    return digest.hexdigest()


def _previous_results(out_dir: Path) -> dict[str, ConfigResult]:
    """Results of the last report in ``out_dir`` whose artefacts are still there, by name."""
    path = out_dir / "report.json"
    if not path.exists():
        return {}
    try:
        configs = json.loads(path.read_text(encoding="utf-8"))["configs"]
        results = [ConfigResult(**c) for c in configs]
    except (ValueError, KeyError, TypeError):
        return {}  # a report from an older version of this command: retrain
    return {r.name: r for r in results if (out_dir / r.name / "intent_report.json").exists()}


def _rasa_env() -> dict[str, str]:
    """Training's environment for Rasa (no telemetry, quiet TensorFlow, the project importable)."""
    env = rasa_env()
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    # No component reused from Rasa's training cache (.rasa/cache): training times are real,
    # and every figure comes from a model trained in this run.
    env.setdefault("RASA_MAX_CACHE_SIZE", "0")
    return env


def _run_rasa(args: list[str], log_path: Path) -> float:
    """Run ``rasa ARGS`` from the project root, logging to ``log_path``; return the wall time."""
    command = [sys.executable, "-m", "rasa", *args]
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        completed = subprocess.run(
            command, cwd=PROJECT_ROOT, env=_rasa_env(), stdout=log, stderr=subprocess.STDOUT
        )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise EvaluationError(
            f"« rasa {' '.join(args[:2])} » a échoué (code {completed.returncode}) ; "
            f"voir le journal {log_path}"
        )
    return elapsed


def _entity_report(out_dir: Path) -> dict | None:
    """The entity report of DIET, or of the only entity extractor when DIET is absent."""
    preferred = out_dir / "DIETClassifier_report.json"
    if preferred.exists():
        return json.loads(preferred.read_text(encoding="utf-8"))
    reports = _extractor_reports(out_dir)
    return next(iter(reports.values())) if len(reports) == 1 else None


def _extractor_reports(out_dir: Path) -> dict[str, dict]:
    return {
        p.name.removesuffix("_report.json"): json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(out_dir.glob("*_report.json"))
        if p.name not in {"intent_report.json", "response_selection_report.json"}
    }


def _other_extractors_f1(out_dir: Path) -> dict[str, float]:
    """F1 of the entities each non-DIET extractor actually predicts (others would score 0)."""
    figures = {}
    for extractor, report in _extractor_reports(out_dir).items():
        if extractor == "DIETClassifier":
            continue
        for label, values in report.items():
            averaged = label.endswith(" avg")
            if isinstance(values, dict) and not averaged and values.get("precision", 0) > 0:
                figures[f"{label} ({extractor})"] = round(float(values["f1-score"]), 4)
    return figures


def fallback_tradeoff(
    out_dir: Path, thresholds: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7)
) -> dict[str, tuple[float, float]]:
    """For each FallbackClassifier threshold: the share of right and of wrong predictions that
    would fall back (confidence below it). Rasa's test undoes the fallback, so both are known.
    """

    def confidences(name: str) -> list[float]:
        path = out_dir / name
        if not path.exists():
            return []
        records = json.loads(path.read_text(encoding="utf-8"))
        return [float(r["intent_prediction"]["confidence"]) for r in records]

    right, wrong = confidences("intent_successes.json"), confidences("intent_errors.json")

    def share(values: list[float], threshold: float) -> float:
        return round(sum(v < threshold for v in values) / len(values), 4) if values else 0.0

    return {f"{t:.1f}": (share(right, t), share(wrong, t)) for t in thresholds}


def _display(path: Path) -> str:
    """``path`` relative to the project root when it lies inside, else as given."""
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _f1(report: dict | None, average: str) -> float | None:
    if not report or average not in report:
        return None
    return float(report[average]["f1-score"])


def _data_args(nlu: Path) -> list[str]:
    return ["--nlu", str(nlu), "--domain", str(DOMAIN)]


def _report_args(out_dir: Path) -> list[str]:
    return ["--successes", "--out", str(out_dir)]


def _train_and_test(
    name: str, config: Path, out_dir: Path, work_dir: Path, train_data: Path, test_data: Path
) -> float:
    """Train an NLU model for ``config`` on ``train_data``, test it on ``test_data`` (reports in
    ``out_dir``); return the training time.
    """
    model_dir = work_dir / name
    print(f"[{name}] entraînement de {_display(config)}…", flush=True)
    train_seconds = _run_rasa(
        [
            *("train", "nlu", "--config", str(config), *_data_args(train_data)),
            *("--out", str(model_dir), "--fixed-model-name", name),
        ],
        out_dir / "train.log",
    )
    model = model_dir / f"{name}.tar.gz"
    if not model.exists():
        raise EvaluationError(f"[{name}] aucun modèle produit ; voir {out_dir / 'train.log'}")
    print(f"[{name}] entraîné en {train_seconds:.0f} s ; test sur {test_data.name}/…", flush=True)
    _run_rasa(
        ["test", "nlu", "--model", str(model), *_data_args(test_data), *_report_args(out_dir)],
        out_dir / "test.log",
    )
    return train_seconds


def _cross_validate(name: str, config: Path, out_dir: Path, train_data: Path, folds: int) -> float:
    """Rasa's cross-validation of ``config`` on ``train_data``: the reports in ``out_dir`` hold
    the predictions for each example made by the model that did not see it. Return the time of
    the whole run (all folds' trainings and tests).
    """
    print(f"[{name}] validation croisée en {folds} plis de {_display(config)}…", flush=True)
    seconds = _run_rasa(
        [
            *("test", "nlu", "--config", str(config), *_data_args(train_data)),
            *("--cross-validation", "--folds", str(folds), *_report_args(out_dir)),
        ],
        out_dir / "test.log",
    )
    print(f"[{name}] validation croisée terminée en {seconds:.0f} s", flush=True)
    return seconds


def evaluate_config(
    name: str,
    config: Path,
    out_dir: Path,
    work_dir: Path,
    train_data: Path,
    test_data: Path,
    folds: int = 0,
) -> ConfigResult:
    """Train an NLU model for ``config`` on ``train_data`` and test it on ``test_data``, or
    cross-validate it on ``train_data`` in ``folds`` folds.
    """
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    if folds:
        train_seconds = _cross_validate(name, config, out_dir, train_data, folds)
    else:
        train_seconds = _train_and_test(name, config, out_dir, work_dir, train_data, test_data)
    intent_path = out_dir / "intent_report.json"
    if not intent_path.exists():
        raise EvaluationError(f"[{name}] rapport d'intentions absent ; voir {out_dir / 'test.log'}")
    intents = json.loads(intent_path.read_text(encoding="utf-8"))
    entities = _entity_report(out_dir)
    per_intent = {
        label: round(float(values["f1-score"]), 4)
        for label, values in intents.items()
        if isinstance(values, dict) and label not in {"macro avg", "weighted avg", "micro avg"}
    }
    return ConfigResult(
        name=name,
        config=_display(config),
        intent_accuracy=float(intents["accuracy"]),
        intent_macro_f1=float(intents["macro avg"]["f1-score"]),
        entity_micro_f1=_f1(entities, "micro avg"),
        entity_macro_f1=_f1(entities, "macro avg"),
        train_seconds=round(train_seconds, 1),
        test_examples=int(intents["macro avg"]["support"]),
        other_extractors_f1=_other_extractors_f1(out_dir),
        fallback_tradeoff=fallback_tradeoff(out_dir),
        per_intent_f1=per_intent,
        confusion_matrix=_display(out_dir / "intent_confusion_matrix.png"),
    )


def target_failures(candidate: ConfigResult, baseline: ConfigResult | None) -> list[str]:
    """Why ``candidate`` misses the target (empty when it is met), in French."""
    failures = []
    if candidate.intent_accuracy < TARGET_ACCURACY:
        failures.append(
            f"exactitude {candidate.intent_accuracy:.3f} < {TARGET_ACCURACY:.2f} demandé"
        )
    if candidate.intent_macro_f1 < TARGET_MACRO_F1:
        failures.append(f"F1 macro {candidate.intent_macro_f1:.3f} < {TARGET_MACRO_F1:.2f} demandé")
    if baseline is not None and not (
        candidate.intent_macro_f1 > baseline.intent_macro_f1
        and candidate.intent_accuracy >= baseline.intent_accuracy
    ):
        failures.append(
            f"pas meilleur que la référence {baseline.name} "
            f"(F1 macro {candidate.intent_macro_f1:.3f} contre {baseline.intent_macro_f1:.3f}, "
            f"exactitude {candidate.intent_accuracy:.3f} contre {baseline.intent_accuracy:.3f})"
        )
    return failures


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def format_table(results: list[ConfigResult]) -> str:
    """Markdown table of the figures, one column per configuration."""
    rows = [
        ("exactitude (intentions)", [_fmt(r.intent_accuracy) for r in results]),
        ("F1 macro (intentions)", [_fmt(r.intent_macro_f1) for r in results]),
        ("F1 micro (entités, DIET)", [_fmt(r.entity_micro_f1) for r in results]),
        ("F1 macro (entités, DIET)", [_fmt(r.entity_macro_f1) for r in results]),
    ]
    extra = sorted({label for r in results for label in r.other_extractors_f1})
    rows += [
        (f"F1 {label}", [_fmt(r.other_extractors_f1.get(label)) for r in results])
        for label in extra
    ]
    rows += [
        ("entraînement (s)", [f"{r.train_seconds:.0f}" for r in results]),
        ("exemples de test", [str(r.test_examples) for r in results]),
    ]
    header = "| mesure | " + " | ".join(f"{r.name} (`{r.config}`)" for r in results) + " |"
    lines = [header, "|---|" + "---:|" * len(results)]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return "\n".join(lines)


def _weakest_intents(result: ConfigResult, count: int = 8) -> str:
    worst = sorted(result.per_intent_f1.items(), key=lambda item: item[1])[:count]
    return "\n".join(f"- `{intent}` : F1 {f1:.3f}" for intent, f1 in worst)


def write_report(
    results: list[ConfigResult],
    failures: list[str],
    out_dir: Path,
    generated: bool,
    folds: int = 0,
) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.md`` in ``out_dir``; return both paths.

    Under cross-validation (``folds``) no target is judged: the targets are the held-out set's.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    tested_on = f"validation croisée en {folds} plis sur data/" if folds else "tests/nlu/"
    payload = {
        "generated_at": stamp,
        "train_data": "data/" + (" (avec data/nlu/generated/)" if generated else ""),
        "test_data": tested_on,
        "targets": {"accuracy": TARGET_ACCURACY, "macro_f1": TARGET_MACRO_F1},
        "target_met": None if folds else not failures,
        "failures": failures,
        "configs": [asdict(r) for r in results],
    }
    json_path = out_dir / "report.json"
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    if folds:
        what = (
            f"Validation croisée en {folds} plis sur `{payload['train_data']}` : chaque exemple "
            "est classé par le modèle entraîné sans lui."
        )
        judged = "Objectifs non jugés ici : ils portent sur le jeu tenu à part (`make eval`)."
    else:
        what = (
            f"Entraînement sur `{payload['train_data']}`, test sur `tests/nlu/` "
            "(jeu tenu à part, jamais utilisé pour l'entraînement)."
        )
        verdict = "atteint" if not failures else "manqué : " + " ; ".join(failures)
        judged = (
            f"Objectif (exactitude ≥ {TARGET_ACCURACY}, F1 macro ≥ {TARGET_MACRO_F1}, "
            f"meilleur que la référence) : **{verdict}**."
        )
    parts = [
        "# Évaluation NLU de Boussole",
        "",
        f"Généré le {stamp}. {what}",
        "",
        format_table(results),
        "",
        judged,
        "",
    ]
    for r in results:
        parts += [
            f"## {r.name}",
            "",
            f"Matrice de confusion : `{r.confusion_matrix}`. Intentions les plus faibles :",
            "",
            _weakest_intents(r),
            "",
            "Seuil de repli (FallbackClassifier) : part des bonnes réponses qui tomberaient "
            "dans le repli, et part des erreurs qu'il rattraperait :",
            "",
            "| seuil | bonnes réponses en repli | erreurs rattrapées |",
            "|---:|---:|---:|",
            *(
                f"| {t} | {right:.1%} | {wrong:.1%} |"
                for t, (right, wrong) in r.fallback_tradeoff.items()
            ),
            "",
        ]
    md_path = out_dir / "report.md"
    md_path.write_text("\n".join(parts), encoding="utf-8")
    return json_path, md_path


def run(args: argparse.Namespace) -> int:
    """Entry point of ``python -m bot eval``."""
    folds = args.folds
    if folds == 1 or folds < 0:
        print("--folds : au moins 2 plis", file=sys.stderr)
        return 2
    test_data = Path(args.test_data).resolve()
    train_data = Path(args.train_data).resolve()
    out_dir = Path(args.out or (CV_RESULTS_DIR if folds else RESULTS_DIR)).resolve()
    configs = [("boussole", Path(args.config).resolve())]
    if not args.no_baseline:
        configs.append(("baseline", Path(args.baseline).resolve()))
    configs += [(Path(extra).stem, Path(extra).resolve()) for extra in args.extra]
    for _, path in configs:
        if not path.is_file():
            print(f"Configuration introuvable : {path}", file=sys.stderr)
            return 2
    inputs = [(train_data, "données d'entraînement")]
    if not folds:
        inputs.append((test_data, "jeu de test"))
    for path, what in inputs:
        if not path.is_dir() or not any(path.rglob("*.yml")):
            print(f"{what.capitalize()} introuvables dans {path}", file=sys.stderr)
            return 2
    leaks = [] if folds else leaked_sentences(train_data, test_data)
    if leaks:
        print(
            f"{len(leaks)} phrase(s) du jeu de test figurent aussi dans l'entraînement, "
            "l'évaluation ne serait pas honnête :",
            file=sys.stderr,
        )
        for text in leaks[:20]:
            print(f"  - {text}", file=sys.stderr)
        return 2
    generated = (train_data / "nlu" / "generated").is_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = _previous_results(out_dir) if args.reuse else {}
    results: list[ConfigResult] = []
    with tempfile.TemporaryDirectory(prefix="boussole-eval-") as work:
        try:
            for name, path in configs:
                fingerprint = inputs_fingerprint(path, train_data, test_data, folds)
                old = previous.get(name)
                if old is not None and old.fingerprint == fingerprint:
                    print(f"[{name}] données et configuration inchangées : résultats réutilisés")
                    results.append(old)
                    continue
                result = evaluate_config(
                    name, path, out_dir / name, Path(work), train_data, test_data, folds
                )
                results.append(replace(result, fingerprint=fingerprint))
        except EvaluationError as exc:
            print(f"Évaluation interrompue : {exc}", file=sys.stderr)
            return 2
    baseline = next((r for r in results if r.name == "baseline"), None)
    failures = target_failures(results[0], baseline)
    json_path, md_path = write_report(results, failures, out_dir, generated, folds)
    print()
    print(format_table(results))
    print()
    print(f"Rapport : {_display(md_path)} et {json_path.name}")
    if folds:
        print("Validation croisée : objectifs non jugés (ils portent sur le jeu tenu à part).")
        return 0
    if failures:
        print("Objectif manqué : " + " ; ".join(failures), file=sys.stderr)
        return 1
    print("Objectif atteint.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``eval`` sub-command."""
    parser = subparsers.add_parser(
        "eval",
        help="entraîne et compare les pipelines NLU sur le jeu de test tenu à part",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="configuration évaluée")
    parser.add_argument(
        "--baseline", default=str(BASELINE_CONFIG), help="configuration de référence"
    )
    parser.add_argument("--no-baseline", action="store_true", help="ne pas entraîner la référence")
    parser.add_argument(
        "--extra", action="append", default=[], help="configuration supplémentaire (répétable)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reprend les chiffres du dernier rapport d'une configuration dont ni le fichier, "
        "ni les données, ni les composants n'ont changé (évite de la réentraîner)",
    )
    parser.add_argument("--train-data", default=str(TRAIN_DATA), help="données d'entraînement")
    parser.add_argument("--test-data", default=str(TEST_DATA), help="jeu de test tenu à part")
    parser.add_argument(
        "--folds",
        type=int,
        default=0,
        help="validation croisée sur les données d'entraînement en N plis au lieu du jeu tenu à "
        "part (rapport dans results/eval-cv/)",
    )
    parser.add_argument(
        "--out", default=None, help="dossier du rapport (results/eval/ ou results/eval-cv/)"
    )
    parser.set_defaults(func=run)
