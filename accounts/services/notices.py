"""Account emails sent by Celery after the commit: the answer to the request never waits
for the mail server, and a broker that is down never turns it into an error."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from django.db import transaction

logger = logging.getLogger(__name__)


class _Task(Protocol):
    name: str

    def delay(self, *args: Any) -> Any: ...


def notice_after_commit(task: _Task, *args: int | str) -> None:
    """Queue ``task(*args)`` (ids, never model instances) once the transaction commits.

    If it cannot be queued (the broker is down; in eager mode, the mail server), the failure
    is logged and the request still answers as it would have: what it changed is committed
    and stays whole, only this email is missing (its text says how to get another)."""

    def enqueue() -> None:
        try:
            task.delay(*args)
        except Exception:  # kombu's OperationalError, or any transport error in eager mode
            logger.exception("Could not queue the account email %s", task.name)

    transaction.on_commit(enqueue)
