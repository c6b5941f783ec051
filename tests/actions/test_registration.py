"""The action server registers the actions the domain declares; the core fallback is ours."""

from __future__ import annotations

import yaml
from rasa_sdk.executor import ActionExecutor

from actions.safety import FALLBACK_ACTION
from bot.settings import PROJECT_ROOT


def test_action_server_registers_the_declared_actions():
    declared = set()
    for path in sorted((PROJECT_ROOT / "domain").glob("*.yml")):  # Rasa merges the folder
        declared.update(yaml.safe_load(path.read_text("utf-8")).get("actions") or ())
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == declared


def test_when_no_policy_is_sure_the_bot_answers_with_our_fallback():
    # Rasa's default (action_default_fallback) utters utter_default, which the domain lacks:
    # the person got no answer at all ("azerty qsdf" after an unclear message, in the e2e test).
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text("utf-8"))
    rule_policy = next(p for p in config["policies"] if p["name"] == "RulePolicy")
    assert rule_policy["core_fallback_action_name"] == FALLBACK_ACTION
