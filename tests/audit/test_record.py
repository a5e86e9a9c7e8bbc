"""audit.record: the one entry point, append-only, in the caller's transaction."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from audit.models import AppendOnlyError, AuditEvent
from audit.services import AuditTarget, Outcome, record
from tests.conftest import login_verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_from_ward(admin_user):
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="WardTablet/2.0")
    request.user = admin_user
    request.request_id = "ward-request-0001"  # type: ignore[attr-defined]
    return request


def test_record_takes_actor_ip_agent_and_request_id_from_the_request(request_from_ward, admin_user):
    patient = UserFactory.create()

    event = record(
        action="records.chart_viewed",
        target=patient,
        patient=patient,
        request=request_from_ward,
        details={"fields": ["allergies", "medications"]},
    )

    event.refresh_from_db()
    assert event.id > 0
    assert event.actor == admin_user
    assert event.actor_role == "admin"
    assert event.action == "records.chart_viewed"
    assert event.outcome == Outcome.SUCCESS
    assert (event.target_type, event.target_id) == ("accounts.user", str(patient.public_id))
    assert event.patient == patient
    assert event.ip_address == "10.1.2.3"
    assert event.user_agent == "WardTablet/2.0"
    assert event.request_id == "ward-request-0001"
    assert event.details == {"fields": ["allergies", "medications"]}
    assert event.occurred_at.tzinfo is not None


def test_anonymous_failure_is_recorded_without_actor():
    event = record(
        action="accounts.login_failed",
        outcome=Outcome.FAILURE,
        target=AuditTarget("accounts.login"),
    )

    assert event.actor is None
    assert event.actor_role == ""
    assert event.request_id == "-"
    assert event.target_type == "accounts.login"


def test_sequence_numbers_only_grow():
    ids = [record(action="tests.step", details={"n": n}).id for n in range(5)]

    assert ids == sorted(ids)
    assert len(set(ids)) == 5


def test_the_row_rolls_back_with_the_action():
    with pytest.raises(RuntimeError), transaction.atomic():
        record(action="tests.action_that_fails")
        raise RuntimeError("the action failed after auditing")

    assert not AuditEvent.objects.filter(action="tests.action_that_fails").exists()


@pytest.mark.parametrize("action", ["Login", "login", "accounts.", "accounts login", "a.b-c"])
def test_action_must_be_a_dotted_constant(action):
    with pytest.raises(ValueError, match="dotted lower-case"):
        record(action=action)
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize(
    "details", [{"nested": {"diagnosis": "x"}}, {"blob": "x" * 5000}, {1: "non-string key"}]
)
def test_details_must_stay_small_and_flat(details):
    with pytest.raises(ValueError):
        record(action="tests.bad_details", details=details)
    assert AuditEvent.objects.count() == 0


def test_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="outcome"):
        record(action="tests.bad_outcome", outcome="maybe")


def test_the_code_cannot_update_or_delete_a_row():
    event = record(action="tests.immutable")

    event.action = "tests.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tests.rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get(pk=event.pk).action == "tests.immutable"


def _refusal() -> str:
    """The application's role lacks the privilege (core/db/roles.py); connected as the owner
    (one role, or SQLite) the trigger refuses (the owner's case: tests/audit/test_chain.py)."""
    return "permission denied for table" if settings.DATABASE_APP_ROLE else "append-only"


def test_the_database_refuses_an_update_behind_the_code():
    event = record(action="tests.immutable")

    with (
        pytest.raises(DatabaseError, match=_refusal()),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE audit_auditevent SET action = 'tests.forged' WHERE id = %s", [event.pk]
        )

    assert AuditEvent.objects.get(pk=event.pk).action == "tests.immutable"


def test_the_database_refuses_a_delete_behind_the_code_on_postgresql():
    event = record(action="tests.immutable")

    delete = "DELETE FROM audit_auditevent WHERE id = %s"
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match=_refusal()),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(delete, [event.pk])
        assert AuditEvent.objects.filter(pk=event.pk).exists()
    else:
        # Documented limit: on SQLite (development only) the test runner flushes with
        # DELETE, so only UPDATE is refused there.
        assert connection.vendor == "sqlite"


def test_the_admin_shows_audit_rows_read_only(client, admin_user):
    event = record(action="tests.visible_in_admin", actor=admin_user)
    login_verified(client, admin_user)

    listing = client.get("/admin/audit/auditevent/")
    detail = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    add = client.get("/admin/audit/auditevent/add/")
    delete = client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert b"tests.visible_in_admin" in listing.content
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert add.status_code == 403
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
