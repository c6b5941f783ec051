"""Rasa as Boussole runs it: the `rasa` command, plus a fix for an upstream performance defect.

``python -m bot.rasa_runtime run …`` takes exactly the arguments of ``rasa run …`` (or any other
``rasa`` sub-command). `make run`, the end-to-end tests and the benchmarks start Rasa this way;
plain ``rasa shell`` / ``rasa run`` from the project root still work, only slower.

The fixes (measured with py-spy on the live stack, see README "Figures"):

- Rasa 3.6 checks every answer of the action server against its JSON schema with
  ``jsonschema.validate()``, which first re-validates the *schema itself* against the JSON Schema
  meta-schema and builds a new validator each time. With Rasa's large events schema that took
  about 38 % of the Rasa server's time on Boussole's conversations (every form turn calls the
  action server once or twice). Here the schema is checked once per process and the validator is
  reused: the same answers are accepted and rejected, with the same error message.
- The embedded SQLite tracker store opened and closed its database file for every read and every
  write (SQLAlchemy 1.4 pools no SQLite file connections) and committed each turn in SQLite's
  default rollback-journal mode, which syncs the file several times per commit: together about
  25 % of the server's time. It now keeps its connections in a pool (SQLAlchemy 2.0's default for
  SQLite files) and uses write-ahead logging with ``synchronous=NORMAL``: the database stays
  consistent after a crash (at worst the last turns are lost on a power cut), and the console can
  read while Rasa writes. PostgreSQL, the production store, is untouched.
- Rasa loads the spaCy model with every component but the parser. Boussole's pipeline uses spaCy's
  tokens, lemmas, part-of-speech tags and word vectors, never its named entities: the ``ner``
  component (about half of spaCy's time per message) is removed too, and the disabled parser is
  dropped from memory. The features are the same (tests/runtime/test_rasa_runtime.py).

And one for safety: Rasa 3.6 waits up to 5 minutes for the action server (``RemoteAction.run``
passes its ``DEFAULT_REQUEST_TIMEOUT`` to every call; the endpoints file has no setting for it:
``EndpointConfig`` keeps unknown keys in ``kwargs`` and the action call never reads them). Here
the action endpoint's ``timeout`` key (seconds, written by ``bot/stack.py`` from
``ACTION_TIMEOUT``, and in endpoints.yml) bounds each call: a frozen action server costs that
long, then the call fails as an unreachable one does, and the dialogue goes on (the answers that
matter most never need the actions, see knowledge/safety.py). Without the key, Rasa's own limit
applies, so plain ``rasa run`` reads the same endpoints file unchanged. When the failed action
replaces one of Rasa's own (Boussole's ``action_session_start``), Rasa's default runs instead: a new
conversation then still starts properly, and its first message (« je veux mourir ») is answered.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from typing import Any

logger = logging.getLogger(__name__)


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


def _bounded_by_endpoint_timeout(run: Any) -> Any:
    """Wrap ``RemoteAction.run``: give up after the action endpoint's ``timeout`` seconds; when
    the failed action overrides one of Rasa's defaults, Rasa's default runs instead."""

    async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        from rasa.shared.exceptions import RasaException

        endpoint = getattr(self, "action_endpoint", None)
        seconds = endpoint.kwargs.get("timeout") if endpoint is not None else None
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


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    """On every new SQLite connection: write-ahead log, fewer syncs (see the module's docstring)."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _pooled_sqlite(create_engine_kwargs: Any) -> Any:
    """Wrap Rasa's tracker-store engine options: SQLite files get a connection pool."""

    @functools.wraps(create_engine_kwargs)
    def engine_kwargs(url: Any) -> dict[str, Any]:
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import QueuePool

        kwargs = create_engine_kwargs(url)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            kwargs.update(poolclass=QueuePool, connect_args={"check_same_thread": False})
        return kwargs

    engine_kwargs.boussole = True
    return engine_kwargs


UNUSED_SPACY_COMPONENTS = ("parser", "ner")


def _without_unused_components(load_model: Any) -> Any:
    """Wrap ``SpacyNLP.load_model``: same checks, then drop what Boussole never reads."""

    @functools.wraps(load_model)
    def load(spacy_model_name: str) -> Any:
        spacy_model = load_model(spacy_model_name)
        for name in UNUSED_SPACY_COMPONENTS:
            if name in spacy_model.model.component_names:
                spacy_model.model.remove_pipe(name)
        return spacy_model

    load.boussole = True
    return load


def apply() -> None:
    """Install the fixes in this process (idempotent)."""
    import rasa.core.tracker_store as tracker_store
    from rasa.core.actions.action import RemoteAction
    from rasa.nlu.utils.spacy_utils import SpacyNLP
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    RemoteAction._validate_action_result = validate_action_result
    if not getattr(RemoteAction.run, "boussole", False):
        RemoteAction.run = _bounded_by_endpoint_timeout(RemoteAction.run)
    if not getattr(tracker_store.create_engine_kwargs, "boussole", False):
        tracker_store.create_engine_kwargs = _pooled_sqlite(tracker_store.create_engine_kwargs)
    if not getattr(SpacyNLP.load_model, "boussole", False):
        SpacyNLP.load_model = staticmethod(_without_unused_components(SpacyNLP.load_model))
    if not event.contains(Engine, "connect", _sqlite_wal):
        event.listen(Engine, "connect", _sqlite_wal)


def command(*args: str) -> list[str]:
    """The command line of ``rasa ARGS…`` with the fixes, for the running interpreter."""
    return [sys.executable, "-m", "bot.rasa_runtime", *args]


def main(argv: list[str] | None = None) -> None:
    """Run a ``rasa`` sub-command with the fixes applied."""
    apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
