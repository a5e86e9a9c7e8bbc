"""Celery tasks with a real worker: a killed worker's task is redelivered and completes once,
time limits stop a task that runs too long, the request id reaches the task."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from core.request_id import bind_request_id, unbind_request_id
from hospital.celery import app
from tests.celery_tasks import block_until_released, fail_then_succeed, note_request_id, overrun
from tests.celery_worker import celery_worker, wait_for


def with_a_real_worker(test):
    """RabbitMQ and a worker process on the test database (which it must see committed)."""
    return pytest.mark.services("DATABASE_URL", "CELERY_BROKER_URL")(
        pytest.mark.django_db(transaction=True)(test)
    )


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split() if path.exists() else []


@pytest.fixture
def through_the_broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = False


@with_a_real_worker
def test_a_task_whose_worker_process_is_killed_is_redelivered_and_completes_once(
    tmp_path, through_the_broker
):
    with celery_worker(tmp_path, pool="prefork", concurrency=1):
        block_until_released.delay(str(tmp_path))
        wait_for(lambda: len(_lines(tmp_path / "started")) == 1, what="the task to start")
        first_process = int(_lines(tmp_path / "started")[0])
        os.kill(first_process, signal.SIGKILL)  # the pool process dies mid-task
        wait_for(lambda: len(_lines(tmp_path / "started")) == 2, what="the task to be redelivered")
        (tmp_path / "release").touch()
        wait_for(lambda: _lines(tmp_path / "done"), what="the task to complete")
    # The worker has stopped: every delivery that was going to happen has happened.

    started = _lines(tmp_path / "started")
    assert started[0] != started[1]  # a new pool process took it over
    assert _lines(tmp_path / "done") == [started[1]]


@with_a_real_worker
def test_a_task_whose_whole_worker_is_killed_is_run_by_the_next_worker_once(
    tmp_path, through_the_broker
):
    with celery_worker(tmp_path, name="first") as first:
        block_until_released.delay(str(tmp_path))
        wait_for(lambda: _lines(tmp_path / "started"), what="the task to start")
        first.kill()  # SIGKILL: no chance to acknowledge or hand the message back
    (tmp_path / "release").touch()
    with celery_worker(tmp_path, name="second", purge=False):
        wait_for(lambda: _lines(tmp_path / "done"), what="the next worker to run the task")

    started = _lines(tmp_path / "started")
    assert len(started) == 2
    assert _lines(tmp_path / "done") == [started[1]]


@with_a_real_worker
def test_a_task_past_its_soft_time_limit_is_interrupted(tmp_path, through_the_broker):
    with celery_worker(tmp_path, pool="prefork", concurrency=1):
        overrun.delay(str(tmp_path))
        wait_for(lambda: _lines(tmp_path / "soft-limit"), what="the soft time limit")

    assert not (tmp_path / "finished").exists()


@with_a_real_worker
def test_a_task_runs_under_the_request_id_of_the_request_that_sent_it(tmp_path, through_the_broker):
    with celery_worker(tmp_path) as worker:
        token = bind_request_id("req-sent-a-task-0001")
        try:
            note_request_id.delay(str(tmp_path))
        finally:
            unbind_request_id(token)
        note_request_id.delay(str(tmp_path))  # outside any request
        wait_for(lambda: len(_lines(tmp_path / "request-id")) == 2, what="both tasks")

    assert _lines(tmp_path / "request-id") == ["req-sent-a-task-0001", "-"]
    assert any(
        "[req-sent-a-task-0001]" in line and "note_request_id ran" in line
        for line in worker.output().splitlines()
    )


def test_every_task_of_ours_has_time_limits_and_the_lossless_ones_are_acknowledged_late():
    app.loader.import_default_modules()  # what a worker imports at start: every tasks.py
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    lossless = {
        "core.tasks.handle_outbox_message",
        "appointments.tasks.offer_freed_time",
        "accounts.tasks.send_unlock_link",
        "accounts.tasks.send_account_exists_notice",
        "accounts.tasks.send_signup_confirmation",
    }

    without_limits = [
        name for name, task in ours.items() if not (task.soft_time_limit and task.time_limit)
    ]
    assert [name for name in without_limits if not name.startswith("tests.")] == []
    assert app.conf.task_soft_time_limit and app.conf.task_time_limit
    for name in lossless:
        assert ours[name].acks_late is True
        assert ours[name].reject_on_worker_lost is True


def test_a_transient_error_is_retried_and_a_bug_is_not(tmp_path):
    transient, bug = tmp_path / "transient", tmp_path / "bug"
    transient.mkdir()
    bug.mkdir()

    retried = fail_then_succeed.apply(args=(str(transient), "OperationalError"), throw=False)
    failed = fail_then_succeed.apply(args=(str(bug), "ValueError"), throw=False)

    # .result, not .get(): get() refuses to block once any earlier test ran task code in
    # this process ("Never call result.get() within a task!").
    assert retried.successful()
    assert retried.result == 2
    assert len(_lines(transient / "runs")) == 2
    assert isinstance(failed.result, ValueError)
    assert len(_lines(bug / "runs")) == 1


def test_the_retry_policy_backs_off_exponentially_with_jitter():
    from core.tasks import RETRY_TRANSIENT

    task = fail_then_succeed

    assert task.retry_backoff == RETRY_TRANSIENT["retry_backoff"] == 5
    assert task.retry_backoff_max == 600
    assert task.retry_jitter is True
    assert task.max_retries == 6
