"""Rasa as Boussole runs it: the `rasa` command, plus two fixes that have no extension point.

``python -m bot.rasa_runtime run …`` takes exactly the arguments of ``rasa run …`` (or any other
``rasa`` sub-command). `make run`, the end-to-end tests and the benchmarks start Rasa this way;
plain ``rasa shell`` / ``rasa run`` from the project root give the same answers, only slower.

Boussole's other changes to Rasa go through the classes Rasa loads by name, so every way of
running Rasa gets them: the tracker store (``bot.tracker_store.BoussoleTrackerStore``, named in
the endpoints file) and spaCy without its unused components (``bot.nlu.spacy_nlp.SpacyNLP``,
named in config.yml).

Two fixes have no extension point, and stay here:

- Rasa 3.6 checks every answer of the action server against its JSON schema with
  ``jsonschema.validate()``, which first re-validates the *schema itself* against the JSON Schema
  meta-schema and builds a new validator each time. With Rasa's large events schema that took
  about 38 % of the Rasa server's time on Boussole's conversations (every form turn calls the
  action server once or twice); measured again on 2026-12-01, 133 ms per answer upstream against
  5.7 ms here, on a loaded machine. Here the schema is checked once per process and the
  validator is reused: the same answers are accepted and rejected, with the same error message.
- For safety: Rasa 3.6 waits up to 5 minutes for the action server (``RemoteAction.run``
  passes its ``DEFAULT_REQUEST_TIMEOUT`` to every call; the endpoints file has no setting for it:
  ``EndpointConfig`` keeps unknown keys in ``kwargs`` and the action call never reads them). Here
  the action endpoint's ``timeout`` key (seconds, written by ``bot/stack.py`` from
  ``ACTION_TIMEOUT``, and in endpoints.yml) bounds each call: a frozen action server costs that
  long, then the call fails as an unreachable one does, and the dialogue goes on (the answers that
  matter most never need the actions, see knowledge/safety.py). Without the key, Rasa's own limit
  applies, so plain ``rasa run`` reads the same endpoints file unchanged. When the failed action
  replaces one of Rasa's own (Boussole's ``action_session_start``), Rasa's default runs instead:
  a new conversation then still starts properly, and its first message (« je veux mourir ») is
  answered. An open form runs before any rule and first asks the action server to check the
  message (``validate_<form>``): a distress or « parler à quelqu'un » message makes the form step
  aside at once (an ``ActionExecutionRejection``, as when it finds nothing to fill), so that the
  rule answers without the action server, and the form's resume in the same turn waits only
  ``session_start_timeout``: Rasa sends a turn's answers only once the turn is over.

Both replace private methods, so they are applied only on the Rasa version they were written and
tested for, and Rasa refuses to start on any other.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
from typing import Any

logger = logging.getLogger(__name__)

# The Rasa version whose RemoteAction methods the fixes replace.
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


def _rasa_default_action(name: str) -> Any:
    """Rasa's own action of that name (``action_session_start``…), or ``None``."""
    from rasa.core.actions.action import default_actions

    return next((a for a in default_actions() if a.name() == name), None)


# The intents whose answers never need the action server (knowledge/safety.py's answers).
SAFETY_INTENTS = ("distress", "request_human")


def _validated_form(name: str, args: tuple, kwargs: dict) -> str | None:
    """The form that the action ``name`` validates (``validate_contact_form``), or ``None``."""
    domain = args[3] if len(args) > 3 else kwargs.get("domain")
    form = name.removeprefix("validate_")
    return form if form != name and form in getattr(domain, "form_names", ()) else None


def _safety_turn(args: tuple, kwargs: dict) -> tuple[bool, bool]:
    """(the latest message asks for a safety answer, the bot has already answered it)."""
    from rasa.shared.core.events import BotUttered, UserUttered

    tracker = args[2] if len(args) > 2 else kwargs.get("tracker")
    if tracker is None or tracker.latest_message is None:
        return False, False
    if (tracker.latest_message.intent or {}).get("name") not in SAFETY_INTENTS:
        return False, False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return True, False
        if isinstance(event, BotUttered):
            return True, True
    return True, False


def _bounded_by_endpoint_timeout(run: Any) -> Any:
    """Wrap ``RemoteAction.run``: give up after the action endpoint's ``timeout`` seconds; when
    the failed action overrides one of Rasa's defaults, Rasa's default runs instead; an open
    form steps aside for a safety message without asking the action server."""

    async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        from rasa.core.actions.action import ActionExecutionRejection
        from rasa.shared.exceptions import RasaException

        endpoint = getattr(self, "action_endpoint", None)
        # An action Rasa can replace with its own (action_session_start) has a shorter wait:
        # the conversation, and a distress message first in it, must not wait long for it.
        key = "session_start_timeout" if _rasa_default_action(self.name()) else "timeout"
        form = _validated_form(self.name(), args, kwargs)
        safety, answered = _safety_turn(args, kwargs) if form else (False, False)
        if safety and not answered:
            # Rasa runs an open form before any rule, and the form asks the action server to
            # check the message first: distress would wait for it, or go unanswered when it is
            # down. The form steps aside at once; the rule gives the safety answer.
            raise ActionExecutionRejection(form, f"{self.name()}: a safety answer comes first")
        if safety:
            # The form resumes after the safety answer, which leaves Rasa only with this turn:
            # the short wait. If it fails, Rasa drops the form's events and listens, as for
            # any failed action (a rejection here would send Rasa into its fallback instead).
            key = "session_start_timeout"
        limits = endpoint.kwargs if endpoint is not None else {}
        seconds = limits.get(key, limits.get("timeout"))
        if not seconds:
            return await run(self, *args, **kwargs)
        try:
            return await asyncio.wait_for(run(self, *args, **kwargs), float(seconds))
        except asyncio.TimeoutError as exc:
            # The same exception as an unreachable action server: the processor logs it and
            # goes on with the dialogue.
            raise RasaException(
                f"Failed to execute custom action '{self.name()}': no answer from "
                f"{endpoint.url} within {seconds} s"
            ) from exc

    @functools.wraps(run)
    async def bounded(self: Any, *args: Any, **kwargs: Any) -> Any:
        from rasa.core.actions.action import ActionExecutionRejection

        try:
            return await call(self, *args, **kwargs)
        except ActionExecutionRejection:
            raise
        except Exception:
            default = _rasa_default_action(self.name())
            if default is None:
                raise
            # Without it a new conversation would start with no `action_listen`, and no rule
            # (distress included) would match its first message.
            logger.exception("%s failed: Rasa's own %s runs instead", self.name(), self.name())
            return await default.run(*args, **kwargs)

    bounded.boussole = True
    return bounded


def check_version(version: str | None = None) -> None:
    """Raise :class:`UnsupportedRasaVersion` unless Rasa is the version the fix was tested on."""
    if version is None:
        import rasa

        version = rasa.__version__
    if version != SUPPORTED_RASA:
        raise UnsupportedRasaVersion(
            f"bot.rasa_runtime replaces RemoteAction._validate_action_result and .run of Rasa "
            f"{SUPPORTED_RASA}, but Rasa {version} is installed. Check that the upstream method "
            f"is unchanged (rasa/core/actions/action.py), run tests/runtime, then update "
            f"SUPPORTED_RASA."
        )


def apply() -> None:
    """Install the fixes in this process (idempotent); refuse any other Rasa version."""
    check_version()
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result
    if not getattr(RemoteAction.run, "boussole", False):
        RemoteAction.run = _bounded_by_endpoint_timeout(RemoteAction.run)


def command(*args: str) -> list[str]:
    """The command line of ``rasa ARGS…`` with the fix, for the running interpreter."""
    return [sys.executable, "-m", "bot.rasa_runtime", *args]


def with_auth_token(args: list[str], environ: dict[str, str]) -> list[str]:
    """``rasa run`` arguments with ``--auth-token`` from ``RASA_TOKEN`` (the stack sets it).

    The token travels in the environment rather than on the command line that starts the
    process, where every local user could read it (``ps``). It is passed as one
    ``--auth-token=…`` argument: a generated token may start with « - », which Rasa's parser
    would take for an option and refuse to start.
    """
    token = environ.get("RASA_TOKEN")
    given = any(a == "--auth-token" or a.startswith("--auth-token=") for a in args)
    if not token or not args or args[0] != "run" or given:
        return args
    return [*args, f"--auth-token={token}"]


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
