"""`python -m bot eval`: the target verdict, the table and the refusals that need no training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.evaluation import ConfigResult, format_table, target_failures, write_report


def _result(name: str, accuracy: float, macro_f1: float) -> ConfigResult:
    return ConfigResult(
        name=name,
        config=f"{name}.yml",
        intent_accuracy=accuracy,
        intent_macro_f1=macro_f1,
        entity_micro_f1=0.9,
        entity_macro_f1=None,
        train_seconds=61.4,
        test_examples=360,
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
    assert "| F1 macro (entités) | — | — |" in lines
    assert "| entraînement (s) | 61 | 61 |" in lines


def test_report_is_written_as_json_and_markdown(tmp_path: Path) -> None:
    results = [_result("boussole", 0.96, 0.95), _result("baseline", 0.9, 0.88)]
    json_path, md_path = write_report(results, [], tmp_path, generated=False)
    payload = json.loads(json_path.read_text(encoding="utf-8"))
    assert payload["target_met"] is True
    assert [c["name"] for c in payload["configs"]] == ["boussole", "baseline"]
    markdown = md_path.read_text(encoding="utf-8")
    assert "**atteint**" in markdown
    assert "`ask_funding` : F1 0.800" in markdown


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
