"""The action server registers exactly the actions our domain file declares, nothing abstract."""

from __future__ import annotations

import yaml
from rasa_sdk.executor import ActionExecutor

from bot.settings import PROJECT_ROOT


def test_action_server_registers_the_declared_actions():
    declared = yaml.safe_load((PROJECT_ROOT / "domain" / "actions.yml").read_text("utf-8"))
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(declared["actions"])
