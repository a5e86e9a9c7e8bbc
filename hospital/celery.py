"""The Celery app. Workers: `celery -A hospital worker`. Configured from CELERY_* settings.

The request id travels with every task: it is put in the message's ``request_id`` header
when the task is sent (the current request's, or the outbox row's) and made current while
the task runs, so the task's log lines and audit rows carry it. Workers log through Django's
LOGGING (the same format and request id as the web processes).
"""

import logging.config
import os
from contextvars import Token
from typing import Any

from celery import Celery, Task
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

from core.request_id import (
    REQUEST_ID_TASK_HEADER,
    bind_request_id,
    current_request_id,
    unbind_request_id,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")

app = Celery("hospital")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Celery's Django fixup closes a prefork process's connection pool before and after every task
# (close_pool): a new PostgreSQL connection for each task, a sixth of a notification's send in
# a profile. It still closes what a forked process inherited; between tasks we hand the
# connection back to the process's own pool instead, as a web request does
# (``_connections_back_to_the_pool``), and the pool checks it before the next task takes it.
app.conf["CELERY_DB_REUSE_MAX"] = 2**62

_bound: dict[str, Token[str]] = {}


@before_task_publish.connect
def _send_request_id(headers: dict[str, Any], **_: Any) -> None:
    headers.setdefault(REQUEST_ID_TASK_HEADER, current_request_id())


@task_prerun.connect
@task_postrun.connect
def _connections_back_to_the_pool(task: Task[Any, Any], **_: Any) -> None:
    # Django's own end-of-request step: unusable or obsolete connections (all, with
    # CONN_MAX_AGE=0) are closed, that is, returned to the pool. Not for an eager task: it
    # runs inside its caller's transaction.
    if not task.request.is_eager:
        from django.db import close_old_connections

        close_old_connections()


@task_prerun.connect
def _bind_request_id(task_id: str, task: Task[Any, Any], **_: Any) -> None:
    request_id = task.request.get(REQUEST_ID_TASK_HEADER) or (task.request.headers or {}).get(
        REQUEST_ID_TASK_HEADER
    )
    # An eager task without the header runs inside its caller and keeps the caller's id.
    if isinstance(request_id, str) and request_id:
        _bound[task_id] = bind_request_id(request_id[:128])


@task_postrun.connect
def _unbind_request_id(task_id: str, **_: Any) -> None:
    token = _bound.pop(task_id, None)
    if token is not None:
        unbind_request_id(token)


@setup_logging.connect
def _log_like_django(**_: Any) -> None:
    """Use Django's LOGGING (request id on every line) instead of Celery's own format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
