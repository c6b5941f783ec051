"""What every Boussole action shares: access to the knowledge base and one error net.

rasa_sdk registers every concrete subclass of ``Action`` it finds, so the base classes here are
abstract: only the real actions, which implement :meth:`answer` or a form's validators, are
registered.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.knowledge_access import knowledge_base
from actions.render import parcours_metiers_text

logger = logging.getLogger(__name__)


async def guarded(
    name: str,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    body: Callable[[], Awaitable[list[EventType]]],
) -> list[EventType]:
    """Run ``body``; if anything fails, replace its half-written answer by an apology.

    The one place where errors of actions are caught: whatever broke (knowledge base down,
    bad data, a bug), the person gets a kind French answer with the free Parcours Métiers line
    rather than silence, and the log gets the traceback with the conversation id.
    """
    already_sent = len(dispatcher.messages)
    try:
        return await body()
    except Exception:
        logger.exception("action %s failed in conversation %s", name, tracker.sender_id)
        # A half-composed answer could be wrong (e.g. contacts without their reason): drop it.
        del dispatcher.messages[already_sent:]
        dispatcher.utter_message(
            response="utter_action_error", parcours_metiers=parcours_metiers_text(safe=True)
        )
        events: list[EventType] = []
        if tracker.active_loop.get("name"):
            # A broken form would ask the same question forever: close it, keep the slots.
            events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
        return events


class BoussoleAction(Action, ABC):
    """Base of every Boussole action: implement :meth:`answer` instead of ``run``."""

    @abstractmethod
    def name(self) -> str:
        """The action's name, as declared in the domain."""

    @abstractmethod
    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Send the answer and return the events; exceptions are handled by :func:`guarded`."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """rasa_sdk entry point: :meth:`answer` inside the error net."""
        return await guarded(
            self.name(), dispatcher, tracker, lambda: self.answer(dispatcher, tracker, domain)
        )

    @property
    def kb(self):
        """The knowledge base (opened on first use)."""
        return knowledge_base()


class BoussoleFormValidation(FormValidationAction, ABC):
    """Base of the forms' validation actions, inside the same error net as the other actions."""

    @abstractmethod
    def name(self) -> str:
        """``validate_<form name>``."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """rasa_sdk entry point: :meth:`validate_turn` inside the error net."""
        return await guarded(
            self.name(),
            dispatcher,
            tracker,
            lambda: self.validate_turn(dispatcher, tracker, domain),
        )

    async def validate_turn(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """One turn of the form: rasa_sdk's extraction, validation and next slot to ask."""
        return await FormValidationAction.run(self, dispatcher, tracker, domain)

    @property
    def kb(self):
        """The knowledge base (opened on first use)."""
        return knowledge_base()
