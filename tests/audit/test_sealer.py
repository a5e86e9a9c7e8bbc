"""The sealer among concurrent writers (rows committing late, two sealers at once), the rows it
must never pick up (inserted behind its window), and the Celery beat tasks that run it."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from audit.chain import seal_pending, verify
from audit.models import AuditEvent, AuditSeal
from audit.services import AuditTarget, record
from audit.tasks import seal_audit_chain, verify_audit_chain
from tests.database_roles import owner_connection

pytestmark = pytest.mark.services("DATABASE_URL")


def _viewed(n: int | str) -> AuditEvent:
    return record(action="records.chart_viewed", target=AuditTarget("accounts.user", f"p-{n}"))


@pytest.mark.django_db(transaction=True)
def test_rows_committing_late_and_two_sealers_at_once_give_one_unbroken_chain():
    """Eight writers, each holding some of its transactions open across a sealing run (so
    their ids commit after newer ones were linked), and two sealers looping at once: at the
    end every row is linked exactly once and the chain verifies from the genesis."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for n in range(25):
                with transaction.atomic():
                    _viewed(f"{number}-{n}")
                    if n % 5 == 0:
                        time.sleep(0.05)  # open while a sealer passes newer rows
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    def sealer() -> None:
        try:
            while not stop.is_set():
                seal_pending(batch=7)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    sealers = [threading.Thread(target=sealer) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
    for thread in sealers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in sealers:
        thread.join()
    assert errors == []
    seal_pending()

    events = set(AuditEvent.objects.values_list("id", flat=True))
    linked = list(AuditSeal.objects.values_list("event_id", flat=True))
    assert len(events) == 200
    assert sorted(linked) == sorted(events)  # each exactly once
    result = verify()
    assert (result.ok, result.checked, result.unsealed) == (True, 200, 0)


@pytest.mark.django_db(transaction=True)
def test_a_row_committed_after_a_newer_one_was_linked_is_linked_next_and_the_chain_holds():
    """The late commit made certain: a transaction writes its row and stays open while a newer
    row commits and is linked; once it commits, the next run links it further along."""
    written, linked_newer = threading.Event(), threading.Event()
    held: list[int] = []

    def slow_request() -> None:
        try:
            with transaction.atomic():
                held.append(_viewed("held").id)
                written.set()
                assert linked_newer.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_request)
    thread.start()
    assert written.wait(timeout=30)
    newer = _viewed("newer")
    assert seal_pending().linked == 1  # the newer row only: the held one is not visible yet
    linked_newer.set()
    thread.join()
    assert held[0] < newer.id
    assert seal_pending().linked == 1
    order = list(AuditSeal.objects.order_by("position").values_list("event_id", flat=True))
    assert order == [newer.id, held[0]]
    assert verify().ok


@pytest.mark.django_db
def test_a_row_inserted_behind_the_sealers_window_is_never_linked_and_verify_names_it(settings):
    settings.AUDIT_LATE_WINDOW = 10
    with connection.cursor() as cursor:  # free ids below the rows, as rolled-back inserts leave
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('audit_auditevent', 'id')) "
            "FROM generate_series(1, 5)"
        )
    events = [_viewed(n) for n in range(30)]
    seal_pending()
    forged_id = events[0].id - 2
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (id, occurred_at, actor_role, action, target_type, "
            "target_id, outcome, request_id, user_agent, details) VALUES (%s, now(), '', "
            "'records.chart_viewed', '', '', 'success', '-', '', '{}')",
            [forged_id],
        )
    assert seal_pending().linked == 0
    result = verify()
    assert result.broken is not None
    assert result.broken.event_id == forged_id
    assert "inserted after" in result.broken.reason


@pytest.mark.django_db(transaction=True)
def test_the_beat_tasks_link_new_rows_and_log_a_broken_chain_as_an_error(caplog):
    for n in range(3):
        _viewed(n)
    assert seal_audit_chain.delay().get() == 3
    with caplog.at_level(logging.INFO, logger="audit.tasks"):
        assert verify_audit_chain.delay().get() is True
    assert _audit_lines(caplog) == [("INFO", "audit chain verified")]
    caplog.clear()
    newest = AuditSeal.objects.order_by("-position").first()
    assert newest is not None
    # The owner, triggers off, forges the checkpoints (tests/audit/test_chain.py, at length).
    with owner_connection() as owner, owner.cursor() as cursor, transaction.atomic(using="owner"):
        cursor.execute("ALTER TABLE audit_auditcheckpoint DISABLE TRIGGER USER")
        cursor.execute("UPDATE audit_auditcheckpoint SET signature = repeat('0', 64)")
        cursor.execute("ALTER TABLE audit_auditcheckpoint ENABLE TRIGGER USER")
    with caplog.at_level(logging.INFO, logger="audit.tasks"):
        assert verify_audit_chain.delay().get() is False
    assert _audit_lines(caplog) == [("ERROR", "audit chain broken")]
    (error,) = (r for r in caplog.records if r.name == "audit.tasks")
    assert error.__dict__["event"] == "audit.chain_broken"


def _audit_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "audit.tasks"]


def test_the_beat_schedule_runs_both(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["audit-seal-chain"]["task"] == "audit.tasks.seal_audit_chain"
    assert schedule["audit-verify-chain"]["task"] == "audit.tasks.verify_audit_chain"
