"""Domain events, delivered through a transactional outbox.

Apps announce what happened (``publish(AppointmentCancelled(...))``) without knowing who
listens. ``publish`` writes one ``core.models.OutboxMessage`` per subscriber in the current
transaction, so the work a change triggers commits or rolls back with the change. After the
commit the rows are relayed to the broker at once (``relay``); a row the broker did not
accept stays pending, is tried again with backoff, and the periodic sweep (Celery beat and
``manage.py relay_outbox``) sends it when the broker is back. A worker runs the subscriber
and marks the row handled in the subscriber's own transaction (``handle``), so a redelivered
message does nothing twice. With eager Celery (no broker: the embedded default) the relay
runs the subscribers in-process right after the commit, as before.

Events are frozen dataclasses of ids and times, never model instances: they are stored as
JSON and rebuilt for the subscriber. Each type is registered under a name
(``module.QualName`` unless the class sets ``event_name``), which must stay stable while
rows of it may be pending.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import random
import types
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.request_id import REQUEST_ID_TASK_HEADER, current_request_id

logger = logging.getLogger(__name__)

Event = TypeVar("Event")
_subscribers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)
_event_types: dict[str, type] = {}


class UnknownSubscriber(LookupError):
    """A message names an event type or subscriber this process does not know."""


# --- Registration -------------------------------------------------------------------


def event_name(event_type: type) -> str:
    """The stable name an event type is stored under."""
    explicit = getattr(event_type, "event_name", None)
    return (
        explicit
        if isinstance(explicit, str)
        else f"{event_type.__module__}.{event_type.__qualname__}"
    )


def register_event(event_type: type) -> str:
    """Register a frozen dataclass as an event type; returns its name."""
    params = getattr(event_type, "__dataclass_params__", None)
    if not dataclasses.is_dataclass(event_type) or params is None or not params.frozen:
        raise TypeError(f"{event_type.__qualname__} is not a frozen dataclass: events must be.")
    name = event_name(event_type)
    known = _event_types.setdefault(name, event_type)
    if known is not event_type:
        raise TypeError(f"Two event types are named {name!r}: {known!r} and {event_type!r}.")
    return name


def subscriber_name(handler: Callable[..., Any]) -> str:
    module = getattr(handler, "__module__", None) or ""
    qualname = getattr(handler, "__qualname__", None) or repr(handler)
    return f"{module}.{qualname}" if module else qualname


def subscribe(
    event_type: type[Event],
) -> Callable[[Callable[[Event], None]], Callable[[Event], None]]:
    """Register a handler for one event class (decorator). Handlers must be idempotent in
    their effects outside the database (a message may be delivered twice); their database
    writes commit together with the mark that they ran."""
    register_event(event_type)

    def register(handler: Callable[[Event], None]) -> Callable[[Event], None]:
        if handler not in _subscribers[event_type]:
            _subscribers[event_type].append(handler)
        return handler

    return register


# --- Serialisation -------------------------------------------------------------------


def _to_json(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime.date):  # datetime too
        return value.isoformat()
    raise TypeError(f"An event field cannot hold {type(value).__name__}: ids and times only.")


def event_payload(event: object) -> dict[str, object]:
    """The event as JSON-ready data."""
    return {
        field.name: _to_json(getattr(event, field.name))
        for field in dataclasses.fields(event)  # type: ignore[arg-type]
    }


def _from_json(hint: Any, value: object) -> object:
    if value is None:
        return None
    if get_origin(hint) in (Union, types.UnionType):
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    if hint is uuid.UUID:
        return uuid.UUID(str(value))
    if hint is datetime.datetime:
        return datetime.datetime.fromisoformat(str(value))
    if hint is datetime.date:
        return datetime.date.fromisoformat(str(value))
    return value


def event_from_payload(event_type: type[Event], payload: dict[str, Any]) -> Event:
    """Rebuild an event from ``event_payload``'s data."""
    hints = get_type_hints(event_type)
    return event_type(
        **{
            field.name: _from_json(hints[field.name], payload[field.name])
            for field in dataclasses.fields(event_type)  # type: ignore[arg-type]
            if field.init
        }
    )


# --- Publishing ------------------------------------------------------------------------


def publish(event: object) -> None:
    """Write the event's work to the outbox in the current transaction; relay it after commit."""
    from core.models import OutboxMessage

    name = register_event(type(event))
    handlers = list(_subscribers.get(type(event), ()))
    if not handlers:
        return
    payload = event_payload(event)
    request_id = current_request_id()
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(
            event_type=name,
            handler=subscriber_name(handler),
            payload=payload,
            request_id=request_id,
        )
        for handler in handlers
    )
    message_ids = [message.pk for message in messages]
    # robust: whatever goes wrong here is logged; the change has committed and the sweep
    # sends the rows later.
    transaction.on_commit(lambda: relay(message_ids), robust=True)


def retry_delay(attempts: int) -> datetime.timedelta:
    """Exponential backoff with jitter after ``attempts`` failed sends."""
    base: int = settings.OUTBOX_RETRY_BASE_SECONDS
    ceiling: int = settings.OUTBOX_RETRY_MAX_SECONDS
    delay = min(ceiling, base * 2 ** max(0, attempts - 1))
    # Up to a fifth more, so rows that failed together do not all come back together.
    return datetime.timedelta(seconds=delay * (1 + random.random() / 5))  # noqa: S311 - jitter


def relay(message_ids: Iterable[int] | None = None, *, limit: int = 500) -> int:
    """Send outbox rows to the broker; returns how many it accepted.

    With ids: those rows, unless already sent (the attempt right after the commit). Without:
    every row that is due (the sweep): never sent, sent and failed, or sent and not handled
    within ``OUTBOX_REDISPATCH_AFTER_SECONDS``.
    """
    from core.models import OutboxMessage

    pending = OutboxMessage.objects.filter(
        handled_at__isnull=True, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS
    )
    if message_ids is not None:
        pending = pending.filter(pk__in=list(message_ids), dispatched_at__isnull=True)
    else:
        pending = pending.filter(next_attempt_at__lte=timezone.now())
    sent = 0
    for message_id in list(pending.order_by("pk").values_list("pk", flat=True)[:limit]):
        sent += _send(message_id, due_only=message_ids is None)
    return sent


def _send(message_id: int, *, due_only: bool) -> bool:
    from core.models import OutboxMessage
    from core.tasks import handle_outbox_message

    with transaction.atomic():
        # A row another relay is sending is skipped, never sent twice at once.
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, handled_at__isnull=True)
            .first()
        )
        now = timezone.now()
        if message is None or (due_only and message.next_attempt_at > now):
            return False
        message.attempts += 1
        try:
            # No retry loop here: a failure is retried with backoff by the sweep.
            handle_outbox_message.apply_async(
                args=(message.pk,),
                headers={REQUEST_ID_TASK_HEADER: message.request_id},
                retry=False,
            )
        except Exception as error:  # the broker's errors, or a handler's in eager mode
            message.next_attempt_at = now + retry_delay(message.attempts)
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            message.save(update_fields=["attempts", "next_attempt_at", "last_error"])
            log = (
                logger.error if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS else logger.warning
            )
            log(
                "Outbox message %s (%s) not sent, attempt %s; next at %s",
                message.pk,
                message.event_type,
                message.attempts,
                message.next_attempt_at.isoformat(),
                exc_info=True,
            )
            return False
        message.dispatched_at = now
        message.next_attempt_at = now + datetime.timedelta(
            seconds=settings.OUTBOX_REDISPATCH_AFTER_SECONDS
        )
        message.last_error = ""
        message.save(update_fields=["attempts", "dispatched_at", "next_attempt_at", "last_error"])
    return True


def backlog_older_than(*, seconds: int) -> bool:
    """An outbox row made longer ago than ``seconds`` and not handled yet (a worker or the
    broker has been away that long). The partial index of unhandled rows answers it."""
    from core.models import OutboxMessage

    return OutboxMessage.objects.filter(
        handled_at__isnull=True,
        attempts__lt=settings.OUTBOX_MAX_ATTEMPTS,
        created_at__lt=timezone.now() - datetime.timedelta(seconds=seconds),
    ).exists()


def oldest_unhandled_age(*, now: datetime.datetime | None = None) -> float | None:
    """Seconds since the oldest unhandled outbox row was made, or None."""
    from core.models import OutboxMessage

    now = now or timezone.now()
    oldest = (
        OutboxMessage.objects.filter(handled_at__isnull=True)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return (now - oldest).total_seconds() if oldest else None


def purge_handled(*, older_than: datetime.timedelta) -> int:
    """Forget rows handled longer ago than ``older_than``; returns how many."""
    from core.models import OutboxMessage

    deleted, _ = OutboxMessage.objects.filter(handled_at__lt=timezone.now() - older_than).delete()
    return deleted


# --- Handling (in the worker) --------------------------------------------------------


def _subscriber_named(event_type: type, name: str) -> Callable[[Any], None] | None:
    return next(
        (
            handler
            for handler in _subscribers.get(event_type, ())
            if subscriber_name(handler) == name
        ),
        None,
    )


def handle(message_id: int) -> bool:
    """Run one outbox row's subscriber, once: returns False if it had run already."""
    from core.models import OutboxMessage

    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.handled_at is not None:
            logger.info("Outbox message %s was handled already", message_id)
            return False
        event_type = _event_types.get(message.event_type)
        handler = _subscriber_named(event_type, message.handler) if event_type else None
        if event_type is None or handler is None:
            raise UnknownSubscriber(f"{message.event_type} -> {message.handler}")
        handler(event_from_payload(event_type, message.payload))
        message.handled_at = timezone.now()
        message.save(update_fields=["handled_at"])
    logger.info(
        "Handled %s with %s (outbox message %s)", message.event_type, message.handler, message.pk
    )
    return True
