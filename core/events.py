"""A tiny in-process domain-event publisher.

Apps announce what happened (``publish(AppointmentBooked(...))``) without knowing who
listens; subscribers run after the surrounding transaction commits, so they never see
changes that are rolled back. Events are frozen dataclasses of ids and times, never model
instances; subscribers enqueue Celery tasks with those ids (notifications, search).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)

Event = TypeVar("Event")
_subscribers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(
    event_type: type[Event],
) -> Callable[[Callable[[Event], None]], Callable[[Event], None]]:
    """Register a handler for one event class (decorator)."""

    def register(handler: Callable[[Event], None]) -> Callable[[Event], None]:
        if handler not in _subscribers[event_type]:
            _subscribers[event_type].append(handler)
        return handler

    return register


def publish(event: object) -> None:
    """Deliver the event to its subscribers once the current transaction commits."""

    def deliver() -> None:
        for handler in list(_subscribers.get(type(event), ())):
            try:
                handler(event)
            except Exception:
                # One failing subscriber must not stop the others; the action has committed.
                logger.exception(
                    "Event handler %s failed for %s", handler.__qualname__, type(event).__name__
                )

    transaction.on_commit(deliver)
