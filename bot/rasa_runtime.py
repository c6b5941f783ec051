"""Rasa as Boussole runs it: the `rasa` command, plus one fix for an upstream performance defect.

``python -m bot.rasa_runtime run …`` takes exactly the arguments of ``rasa run …`` (or any other
``rasa`` sub-command). `make run`, the end-to-end tests and the benchmarks start Rasa this way;
plain ``rasa shell`` / ``rasa run`` from the project root give the same answers, only slower.

Boussole's other changes to Rasa go through the classes Rasa loads by name, so every way of
running Rasa gets them: the tracker store (``bot.tracker_store.BoussoleTrackerStore``, named in
the endpoints file) and spaCy without its unused components (``bot.nlu.spacy_nlp.SpacyNLP``,
named in config.yml).

The one fix left here has no extension point: Rasa 3.6 checks every answer of the action server
against its JSON schema with ``jsonschema.validate()``, which first re-validates the *schema
itself* against the JSON Schema meta-schema and builds a new validator each time. With Rasa's
large events schema that took about 38 % of the Rasa server's time on Boussole's conversations
(every form turn calls the action server once or twice); measured again on 2026-12-01, 133 ms per
answer upstream against 5.7 ms here, on a loaded machine. Here the schema is checked once per
process and the validator is reused: the same answers are accepted and rejected, with the same
error message. The fix replaces a private method, so it is applied only on the Rasa version it
was written and tested for, and refuses to start on any other.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

# The Rasa version whose RemoteAction._validate_action_result the fix replaces.
SUPPORTED_RASA = "3.6.21"


class UnsupportedRasaVersion(RuntimeError):
    """The installed Rasa is not the version the runtime fix was written for."""


@functools.cache
def _action_response_validator():
    """The validator for action server answers, its schema checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """Drop-in for ``RemoteAction._validate_action_result`` (same checks, same errors)."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def check_version(version: str | None = None) -> None:
    """Raise :class:`UnsupportedRasaVersion` unless Rasa is the version the fix was tested on."""
    if version is None:
        import rasa

        version = rasa.__version__
    if version != SUPPORTED_RASA:
        raise UnsupportedRasaVersion(
            f"bot.rasa_runtime replaces RemoteAction._validate_action_result of Rasa "
            f"{SUPPORTED_RASA}, but Rasa {version} is installed. Check that the upstream method "
            f"is unchanged (rasa/core/actions/action.py), run tests/runtime, then update "
            f"SUPPORTED_RASA."
        )


def apply() -> None:
    """Install the fix in this process (idempotent); refuse any other Rasa version."""
    check_version()
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result


def command(*args: str) -> list[str]:
    """The command line of ``rasa ARGS…`` with the fix, for the running interpreter."""
    return [sys.executable, "-m", "bot.rasa_runtime", *args]


def with_auth_token(args: list[str], environ: dict[str, str]) -> list[str]:
    """``rasa run`` arguments with ``--auth-token`` from ``RASA_TOKEN`` (the stack sets it).

    The token travels in the environment rather than on the command line that starts the
    process, where every local user could read it (``ps``).
    """
    token = environ.get("RASA_TOKEN")
    if not token or not args or args[0] != "run" or "--auth-token" in args:
        return args
    return [*args, "--auth-token", token]


def main(argv: list[str] | None = None) -> None:
    """Run a ``rasa`` sub-command with the fix applied."""
    try:
        apply()
    except UnsupportedRasaVersion as exc:
        sys.exit(str(exc))
    from rasa.__main__ import main as rasa_main

    args = list(sys.argv[1:] if argv is None else argv)
    sys.argv = ["rasa", *with_auth_token(args, dict(os.environ))]
    rasa_main()


if __name__ == "__main__":
    main()
