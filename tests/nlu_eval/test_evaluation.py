"""`python -m bot eval`: the target verdict, the table and the refusals that need no training."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.evaluation import (
    ConfigResult,
    _other_extractors_f1,
    fallback_tradeoff,
    format_table,
    format_targets,
    inputs_fingerprint,
    target_failures,
    write_report,
)


def _result(
    name: str, accuracy: float, macro_f1: float, others: dict[str, float] | None = None
) -> ConfigResult:
    return ConfigResult(
        name=name,
        config=f"{name}.yml",
        intent_accuracy=accuracy,
        intent_macro_f1=macro_f1,
        entity_micro_f1=0.9,
        entity_macro_f1=None,
        train_seconds=61.4,
        test_examples=360,
        other_extractors_f1=others or {},
        fallback_tradeoff={"0.6": (0.05, 0.5)},
        per_intent_f1={"greet": 1.0, "ask_funding": 0.8},
        confusion_matrix=f"results/eval/{name}/intent_confusion_matrix.png",
    )


def test_target_met_when_above_thresholds_and_baseline() -> None:
    assert target_failures(_result("boussole", 0.96, 0.95), _result("baseline", 0.9, 0.88)) == []


@pytest.mark.parametrize(
    ("accuracy", "macro_f1", "baseline", "expected"),
    [
        (0.94, 0.95, (0.9, 0.9), ["exactitude"]),
        (0.96, 0.92, (0.9, 0.9), ["F1 macro"]),
        (0.96, 0.95, (0.97, 0.96), ["pas meilleur que la référence"]),
        (0.96, 0.95, (0.96, 0.95), ["pas meilleur que la référence"]),
    ],
)
def test_target_failures_say_why(accuracy, macro_f1, baseline, expected) -> None:
    candidate = _result("boussole", accuracy, macro_f1)
    failures = target_failures(candidate, _result("baseline", *baseline))
    assert len(failures) == len(expected)
    assert all(f.startswith(e) for f, e in zip(failures, expected, strict=True))


def test_table_puts_configs_side_by_side() -> None:
    table = format_table([_result("boussole", 0.961, 0.955), _result("baseline", 0.9, 0.88)])
    lines = table.splitlines()
    assert "boussole" in lines[0] and "baseline" in lines[0]
    assert "| exactitude (intentions) | 0.961 | 0.900 |" in lines
    assert "| F1 macro (entités, DIET) | — | — |" in lines
    assert "| entraînement (s) | 61 | 61 |" in lines


def test_table_adds_a_row_for_the_commune_resolver_when_one_config_has_it() -> None:
    resolver = {"commune (CommuneEntityResolver)": 0.702}
    table = format_table([_result("boussole", 0.9, 0.9, resolver), _result("baseline", 0.9, 0.9)])
    assert "| F1 commune (CommuneEntityResolver) | 0.702 | — |" in table.splitlines()


def test_other_extractors_count_only_the_entities_they_predict(tmp_path: Path) -> None:
    def entity(precision: float, f1: float) -> dict:
        return {"precision": precision, "recall": f1, "f1-score": f1, "support": 10}

    reports = {
        "DIETClassifier_report.json": {"commune": entity(0.9, 0.5)},
        "CommuneEntityResolver_report.json": {
            "commune": entity(0.8, 0.7),
            "job": entity(0.0, 0.0),
            "micro avg": entity(0.8, 0.2),
        },
        "intent_report.json": {"accuracy": 0.9},
    }
    for name, report in reports.items():
        (tmp_path / name).write_text(json.dumps(report), encoding="utf-8")
    assert _other_extractors_f1(tmp_path) == {"commune (CommuneEntityResolver)": 0.7}


def test_report_is_written_as_json_and_markdown(tmp_path: Path) -> None:
    results = [_result("boussole", 0.96, 0.95), _result("baseline", 0.9, 0.88)]
    json_path, md_path = write_report(results, [], tmp_path, generated=False)
    payload = json.loads(json_path.read_text(encoding="utf-8"))
    assert payload["target_met"] is True
    assert [c["name"] for c in payload["configs"]] == ["boussole", "baseline"]
    markdown = md_path.read_text(encoding="utf-8")
    assert "**atteint**" in markdown
    assert "`ask_funding` : F1 0.800" in markdown
    assert "| 0.6 | 5.0% | 50.0% |" in markdown


def test_fallback_tradeoff_counts_right_and_wrong_answers_below_each_threshold(
    tmp_path: Path,
) -> None:
    def records(*confidences: float) -> str:
        return json.dumps([{"intent_prediction": {"confidence": c}} for c in confidences])

    (tmp_path / "intent_successes.json").write_text(records(0.95, 0.9, 0.55, 0.99))
    (tmp_path / "intent_errors.json").write_text(records(0.35, 0.8))
    assert fallback_tradeoff(tmp_path, (0.4, 0.6)) == {"0.4": (0.0, 0.5), "0.6": (0.25, 0.5)}


def test_eval_refuses_a_missing_config(tmp_path: Path, capsys) -> None:
    code = main(["eval", "--config", str(tmp_path / "absent.yml"), "--out", str(tmp_path)])
    assert code == 2
    assert "Configuration introuvable" in capsys.readouterr().err


def test_eval_refuses_a_test_set_that_leaks_into_training(tmp_path: Path, capsys) -> None:
    example = 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - Bonjour à tous\n'
    for folder in ("train", "test"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "nlu.yml").write_text(example, encoding="utf-8")
    code = main(
        [
            "eval",
            "--train-data",
            str(tmp_path / "train"),
            "--test-data",
            str(tmp_path / "test"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "figurent aussi dans l'entraînement" in err and "Bonjour à tous" in err
    assert not (tmp_path / "out").exists()


def _small_dataset(tmp_path: Path) -> tuple[Path, Path, Path]:
    train, test = tmp_path / "train", tmp_path / "test"
    for folder, sentence in ((train, "Bonjour à tous"), (test, "salut la compagnie")):
        folder.mkdir()
        (folder / "nlu.yml").write_text(
            f'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - {sentence}\n',
            encoding="utf-8",
        )
    config = tmp_path / "config.yml"
    config.write_text("recipe: default.v1\nlanguage: fr\npipeline: []\n", encoding="utf-8")
    return config, train, test


def test_fingerprint_follows_data_and_config_not_their_location(tmp_path: Path) -> None:
    config, train, test = _small_dataset(tmp_path)
    before = inputs_fingerprint(config, train, test)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    train.rename(moved / "train")
    assert inputs_fingerprint(config, moved / "train", test) == before
    (moved / "train" / "more.yml").write_text('version: "3.1"\n', encoding="utf-8")
    assert inputs_fingerprint(config, moved / "train", test) != before


def test_reuse_skips_training_when_nothing_changed(tmp_path: Path, capsys) -> None:
    config, train, test = _small_dataset(tmp_path)
    out = tmp_path / "out"
    (out / "boussole").mkdir(parents=True)
    (out / "boussole" / "intent_report.json").write_text("{}", encoding="utf-8")
    kept = replace(
        _result("boussole", 0.97, 0.96), fingerprint=inputs_fingerprint(config, train, test)
    )
    (out / "report.json").write_text(json.dumps({"configs": [asdict(kept)]}), encoding="utf-8")
    argv = ["eval", "--config", str(config), "--no-baseline", "--reuse", "--out", str(out)]
    code = main([*argv, "--train-data", str(train), "--test-data", str(test)])
    assert code == 0
    assert "résultats réutilisés" in capsys.readouterr().out
    rewritten = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rewritten["target_met"] is True
    assert rewritten["configs"][0]["intent_accuracy"] == 0.97


def test_cross_validation_report_judges_no_target(tmp_path: Path) -> None:
    results = [_result("boussole", 0.82, 0.83)]
    json_path, md_path = write_report(results, ["exactitude"], tmp_path, False, folds=5)
    payload = json.loads(json_path.read_text(encoding="utf-8"))
    assert payload["target_met"] is None
    assert payload["test_data"] == "validation croisée en 5 plis sur data/"
    markdown = md_path.read_text(encoding="utf-8")
    assert "Validation croisée en 5 plis" in markdown and "Objectifs non jugés" in markdown
    assert "manqué" not in markdown


def test_cross_validation_fingerprint_ignores_the_held_out_set(tmp_path: Path) -> None:
    config, train, test = _small_dataset(tmp_path)
    cv = inputs_fingerprint(config, train, test, folds=5)
    assert cv not in {
        inputs_fingerprint(config, train, test),
        inputs_fingerprint(config, train, test, 3),
    }
    (test / "more.yml").write_text('version: "3.1"\n', encoding="utf-8")
    assert inputs_fingerprint(config, train, test, folds=5) == cv


@pytest.mark.parametrize("folds", ["1", "-2"])
def test_eval_refuses_fewer_than_two_folds(tmp_path: Path, capsys, folds: str) -> None:
    code = main(["eval", "--folds", folds, "--out", str(tmp_path)])
    assert code == 2
    assert "au moins 2 plis" in capsys.readouterr().err


def test_cross_validation_runs_rasa_and_reads_its_reports(tmp_path: Path, capsys) -> None:
    """A real (small and fast) cross-validation through Rasa: out-of-fold figures, exit 0."""
    train = tmp_path / "train"
    train.mkdir()
    examples = {
        "greet": ["bonjour", "salut", "bonsoir", "coucou", "bonjour à tous", "salut toi"],
        "goodbye": ["au revoir", "à bientôt", "bonne soirée", "à plus", "au revoir à tous", "ciao"],
    }
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in examples.items():
        lines += [f"- intent: {intent}", "  examples: |", *(f"    - {t}" for t in texts)]
    (train / "nlu.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "fast.yml"
    config.write_text(
        "recipe: default.v1\nlanguage: fr\nassistant_id: cv_test\npipeline:\n"
        "  - name: WhitespaceTokenizer\n  - name: CountVectorsFeaturizer\n"
        "    analyzer: char_wb\n    min_ngram: 2\n    max_ngram: 4\n"
        "  - name: LogisticRegressionClassifier\npolicies: []\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    argv = ["eval", "--config", str(config), "--no-baseline", "--folds", "2"]
    assert main([*argv, "--train-data", str(train), "--out", str(out)]) == 0
    assert "objectifs non jugés" in capsys.readouterr().out
    (result,) = json.loads((out / "report.json").read_text(encoding="utf-8"))["configs"]
    assert result["test_examples"] == 12  # every example predicted once, by the other fold's model
    assert 0.0 <= result["intent_accuracy"] <= 1.0
    assert set(result["per_intent_f1"]) == {"greet", "goodbye"}


def _issue11(
    result: ConfigResult, v2: float, reached: int, caught: int, alarms: int
) -> ConfigResult:
    return replace(
        result,
        v2_accuracy=v2,
        v2_macro_f1=v2 - 0.01,
        v2_examples=358,
        v2_per_intent_f1={"inform": 0.7, "greet": 1.0},
        conversations_reached=reached,
        conversations_total=72,
        distress_caught=caught,
        distress_positives=91,
        distress_false_alarms=alarms,
        distress_negatives=164,
    )


def test_issue_11_targets_are_judged_when_measured() -> None:
    baseline = _issue11(_result("baseline", 0.9, 0.88), 0.90, 50, 80, 9)
    met = _issue11(_result("boussole", 0.96, 0.95), 0.94, 70, 91, 3)
    assert target_failures(met, baseline) == []
    missed = _issue11(_result("boussole", 0.96, 0.95), 0.90, 68, 90, 4)
    failures = target_failures(missed, baseline)
    assert [f.split(" ")[0] for f in failures] == [
        "exactitude",
        "conversations",
        "rappel",
        "fausses",
    ]
    assert failures[0] == "exactitude v2 0.900 < 0.93 demandé"
    assert failures[1] == "conversations abouties 94.4% < 95% demandé"


def test_v2_must_be_above_the_baseline_and_above_its_own_floor() -> None:
    baseline = _issue11(_result("baseline", 0.9, 0.88), 0.95, 50, 80, 9)
    candidate = _issue11(_result("boussole", 0.96, 0.95), 0.95, 72, 91, 0)
    (failure,) = target_failures(candidate, baseline)
    assert failure.startswith("exactitude v2 0.950 pas au-dessus")
    low = _issue11(_result("boussole", 0.96, 0.95), 0.92, 72, 91, 0)
    (failure,) = target_failures(low, None)
    assert failure == "exactitude v2 0.920 < 0.93 demandé"


def test_table_and_targets_show_issue_11_figures_side_by_side() -> None:
    boussole = _issue11(_result("boussole", 0.96, 0.95), 0.941, 69, 91, 2)
    baseline = _issue11(_result("baseline", 0.9, 0.88), 0.905, 40, 77, 12)
    lines = format_table([boussole, baseline]).splitlines()
    assert "| v2 : exactitude (intentions) | 0.941 | 0.905 |" in lines
    assert "| conversations qui aboutissent | 95.8% (69/72) | 55.6% (40/72) |" in lines
    assert "| détresse : rappel | 100.0% (91/91) | 84.6% (77/91) |" in lines
    assert "| détresse : fausses alertes | 1.2% (2/164) | 7.3% (12/164) |" in lines
    targets = format_targets(boussole, baseline).splitlines()
    assert targets[0] == "| objectif | boussole | baseline | verdict |"
    assert any(
        t.startswith("| conversations qui aboutissent ≥ 95%") and "atteint" in t for t in targets
    )
    assert all("manqué" not in t for t in targets)
    worse = format_targets(replace(boussole, distress_caught=90), baseline)
    assert "**manqué** (rappel détresse 98.9% < 100% demandé)" in worse


def test_report_names_failed_conversations_and_misses_without_quoting_them(tmp_path: Path) -> None:
    boussole = _issue11(_result("boussole", 0.96, 0.95), 0.941, 71, 90, 2)
    (tmp_path / "boussole").mkdir()
    (tmp_path / "boussole" / "conversations.json").write_text(
        json.dumps(
            [
                {"id": "ok", "who": "youth", "reached": True, "problems": [], "answers": []},
                {
                    "id": "youth_x",
                    "who": "youth",
                    "reached": False,
                    "problems": ["« CIO » n'a pas été dit"],
                    "answers": [],
                },
            ]
        ),
        encoding="utf-8",
    )
    (tmp_path / "boussole" / "distress.json").write_text(
        json.dumps({"missed": [["sms", "une phrase du jeu"]], "false_alarms": []}),
        encoding="utf-8",
    )
    failures = target_failures(boussole, None)
    _, md_path = write_report([boussole], failures, tmp_path, generated=True)
    markdown = md_path.read_text(encoding="utf-8")
    assert "- `youth_x` : « CIO » n'a pas été dit" in markdown
    assert "{'sms': 1}" in markdown and "une phrase du jeu" not in markdown
    assert "`inform` : F1 0.700" in markdown
    assert "**manqué** (rappel détresse" in markdown


def test_the_evaluation_measures_make_trains_model_only_when_it_is_current(
    tmp_path: Path, monkeypatch
) -> None:
    from bot import evaluation

    model = tmp_path / "boussole.tar.gz"
    monkeypatch.setattr(evaluation, "model_path", lambda: model)
    current = {"value": True}
    monkeypatch.setattr(evaluation, "is_up_to_date", lambda path: current["value"])
    default = (evaluation.DEFAULT_CONFIG.resolve(), evaluation.TRAIN_DATA.resolve())
    # no recorded training time (a model trained before it was recorded): train again
    assert evaluation._current_model(*default) is None
    (tmp_path / "boussole.seconds").write_text("512.3\n")
    assert evaluation._current_model(*default) == (model, 512.3)
    # another configuration or other data are never measured on make train's model
    assert evaluation._current_model(tmp_path / "baseline.yml", default[1]) is None
    assert evaluation._current_model(default[0], tmp_path / "data") is None
    current["value"] = False  # data, domain or components changed since the training
    assert evaluation._current_model(*default) is None
