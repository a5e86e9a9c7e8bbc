"""``core.db.inserts.insert_new`` writes a new row as ``Model.save()`` does: the same columns,
the same signals, the same errors and the same state of the instance afterwards; what it
does not cover is left to ``save()``."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models.signals import post_save, pre_save

from accounts.models import User
from appointments.models import Appointment, Practitioner
from audit.models import AppendOnlyError, AuditEvent
from core.db import inserts
from core.db.inserts import insert_new
from tests.factories import (
    AppointmentTypeFactory,
    PatientProfileFactory,
    PractitionerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _columns(instance: models.Model) -> dict[str, Any]:
    """Every column as the database holds it, read back (not as the instance says)."""
    model = type(instance)
    stored = model._default_manager.get(pk=instance.pk)
    return {
        field.attname: getattr(stored, field.attname)
        for field in model._meta.concrete_fields
        if not field.primary_key
    }


def _appointment(patient: User, practitioner: Practitioner, start: datetime.datetime, **extra):
    appointment_type = practitioner.appointment_types.get()
    return Appointment(
        patient=patient,
        practitioner=practitioner,
        appointment_type=appointment_type,
        start=start,
        end=start + datetime.timedelta(minutes=30),
        blocked_until=start + datetime.timedelta(minutes=30),
        status=Appointment.Status.BOOKED,
        reason="Cough",
        booked_by=patient,
        channel=Appointment.Channel.API,
        **extra,
    )


@pytest.fixture
def practitioner() -> Practitioner:
    consultation = AppointmentTypeFactory.create(duration_minutes=30)
    return PractitionerFactory.create(department=consultation.department, offers=[consultation])


@pytest.fixture
def patient() -> User:
    return PatientProfileFactory.create().user


class _Signals:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def __enter__(self) -> _Signals:
        pre_save.connect(self._pre, dispatch_uid="test-insert-new-pre")
        post_save.connect(self._post, dispatch_uid="test-insert-new-post")
        return self

    def __exit__(self, *exc: object) -> None:
        pre_save.disconnect(dispatch_uid="test-insert-new-pre")
        post_save.disconnect(dispatch_uid="test-insert-new-post")

    def _record(self, name: str, kwargs: dict[str, Any]) -> None:
        instance = kwargs.pop("instance")
        kwargs.pop("signal")
        kwargs["adding"] = instance._state.adding
        kwargs["has_pk"] = instance.pk is not None
        self.sent.append((name, kwargs))

    def _pre(self, **kwargs: Any) -> None:
        self._record("pre_save", kwargs)

    def _post(self, **kwargs: Any) -> None:
        self._record("post_save", kwargs)


def test_an_appointment_row_is_the_row_save_writes(patient, practitioner):
    by_save = _appointment(patient, practitioner, START)
    with _Signals() as saved:
        by_save.save()
    by_insert = _appointment(patient, practitioner, START + datetime.timedelta(hours=1))
    with _Signals() as inserted:
        returned = insert_new(by_insert)

    assert returned is by_insert
    assert isinstance(by_insert.pk, int) and by_insert.pk > by_save.pk
    written, expected = _columns(by_insert), _columns(by_save)
    # Defaults and auto_now(_add) were filled, on the instance and in the row.
    assert isinstance(written.pop("public_id"), uuid.UUID)
    expected.pop("public_id")
    for stamp in ("created_at", "updated_at"):
        assert written[stamp] == getattr(by_insert, stamp)
        assert abs(written.pop(stamp) - expected.pop(stamp)) < datetime.timedelta(seconds=5)
    assert written.pop("start") - expected.pop("start") == datetime.timedelta(hours=1)
    for moved in ("end", "blocked_until"):
        written.pop(moved), expected.pop(moved)
    assert written == expected
    assert written["revision"] == 0 and written["status"] == "booked"
    # The same signals with the same arguments, the instance saved when post_save runs.
    assert inserted.sent == saved.sent
    assert [name for name, _ in inserted.sent] == ["pre_save", "post_save"]
    assert inserted.sent[1][1]["created"] is True and inserted.sent[1][1]["adding"] is False


def test_the_instance_is_saved_afterwards(patient, practitioner):
    appointment = insert_new(_appointment(patient, practitioner, START))

    assert appointment._state.adding is False
    assert appointment._state.db == "default"
    appointment.reason = "Fever"
    appointment.save(update_fields=["reason"])  # an UPDATE of that row, not a second insert
    assert Appointment.objects.get().reason == "Fever"


def test_an_audit_row_is_the_row_save_writes(patient):
    row = {
        "actor_id": patient.pk,
        "actor_role": "patient",
        "action": "tests.inserted",
        "target_type": "accounts.user",
        "target_id": str(patient.public_id),
        "patient_id": patient.pk,
        "outcome": "success",
        "request_id": "r-1",
        "ip_address": "2001:db8::1",
        "user_agent": "Mozilla/5.0 (test) “quoted” ; DROP",
        "details": {"channel": "api", "fields": ["a", "b"], "count": 2, "none": None},
    }
    by_save = AuditEvent.objects.create(**row)
    by_insert = insert_new(AuditEvent(**row))

    written, expected = _columns(by_insert), _columns(by_save)
    assert abs(written.pop("occurred_at") - expected.pop("occurred_at")) < datetime.timedelta(
        seconds=5
    )
    assert written == expected
    assert written["details"] == row["details"]
    assert written["ip_address"] == "2001:db8::1"


def test_a_refused_insert_raises_and_leaves_the_transaction_to_be_rolled_back(
    patient, practitioner
):
    insert_new(_appointment(patient, practitioner, START))
    other = PatientProfileFactory.create().user

    # The practitioner's time is taken: the database's own refusal, raised as save() raises
    # it, and the enclosing transaction marked for rollback as save() marks it, even when the
    # caller catches the error inside the block.
    for write in (insert_new, lambda appointment: appointment.save()):
        with transaction.atomic():
            with pytest.raises(IntegrityError):
                write(_appointment(other, practitioner, START))
            assert connection.needs_rollback
    assert Appointment.objects.count() == 1


def test_an_unsaved_related_object_is_refused_as_save_refuses_it(practitioner):
    unsaved = UserFactory.build()
    with pytest.raises(ValueError, match="unsaved related object 'patient'"):
        insert_new(_appointment(unsaved, practitioner, START))
    assert not Appointment.objects.exists()


def test_an_instance_already_saved_or_with_a_key_goes_through_save(patient, practitioner):
    appointment = insert_new(_appointment(patient, practitioner, START))
    # save(force_insert=True): the key exists.
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_new(appointment)

    chosen = _appointment(patient, practitioner, START + datetime.timedelta(hours=2))
    chosen.pk = 10_000
    insert_new(chosen)
    assert Appointment.objects.filter(pk=10_000).exists()


def test_models_it_does_not_cover_are_left_to_save():
    class WithDatabaseDefault(models.Model):  # noqa: DJ008 - never shown
        when = models.DateTimeField(db_default=models.functions.Now())

        class Meta:
            app_label = "tests_insert_new"

    assert inserts._statement_for(WithDatabaseDefault, "default") is None
    assert inserts._statement_for(Appointment, "default") is not None
    assert inserts._statement_for(AuditEvent, "default") is not None


def test_the_models_written_this_way_add_nothing_of_their_own_in_save(patient):
    # insert_new does not call a model's own save(): a model that gains one must be looked at.
    assert Appointment.save is models.Model.save
    # AuditEvent's refuses to change a row, and nothing else: still true of rows written so.
    event = insert_new(AuditEvent(action="tests.inserted", outcome="success"))
    event.action = "tests.changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "tests.inserted"


def test_a_column_with_a_database_and_a_python_default_is_written_like_any_other(patient):
    # Appointment.visit_note: a database default for code that does not know it yet (a
    # deploy), a Python default for the instance. The fast insert still covers the model.
    field = Appointment._meta.get_field("visit_note")
    assert field.db_default is not models.NOT_PROVIDED and field.has_default()
    statement = inserts._statement_for(Appointment, "default")
    assert statement is not None
    assert field in statement.fields
