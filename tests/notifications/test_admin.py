"""The notifications admin, with verified staff sessions: the deliveries list and its filters
(bodies never shown), the retry of failed deliveries (audited, queued, sent), what a compliance
officer may see, and message templates (checked on sample data, audited, then used for the
next message in their language, by the fallback order of notifications.catalog)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from notifications import catalog
from notifications.models import Delivery, MessageTemplate, Notification
from notifications.services import templates
from tests.admin_pages import changeform_data
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.conftest import login_verified
from tests.factories import PatientProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

DELIVERIES = "/admin/notifications/delivery/"
FAILED = "/admin/notifications/faileddelivery/"
TEMPLATES = "/admin/notifications/messagetemplate/"


@pytest.fixture
def admin(db: None) -> User:
    return UserFactory.create(role="admin")


@pytest.fixture
def admin_client(admin: User) -> Client:
    client = Client()
    login_verified(client, admin)
    return client


@pytest.fixture
def compliance_client(db: None) -> Client:
    client = Client()
    login_verified(client, UserFactory.create(role="compliance_officer"))
    return client


_SECURITY_CONTEXT = {
    "site_name": "St. Example Hospital",
    "recipient_name": "Ada Lovelace",
    "at": "2026-02-23T08:00:00+00:00",
    "time_zone": "Europe/London",
    "link": "http://127.0.0.1:8000/accounts/security/",
}
_APPOINTMENT_CONTEXT = {
    **_SECURITY_CONTEXT,
    "type_name": "Consultation",
    "clinician_name": "Dr Jane Smith",
    "department_name": "General Practice",
    "start": "2026-03-02T09:00:00+00:00",
    "end": "2026-03-02T09:30:00+00:00",
}


def _delivery(
    recipient: User | None,
    *,
    status: str = Delivery.Status.FAILED,
    channel: str = "email",
    kind: str = "",
    created_at: datetime.datetime | None = None,
    **fields: Any,
) -> Delivery:
    """A delivery as the dispatcher writes it: by default a security email, or a booking's SMS
    (security messages have no SMS wording)."""
    kind = kind or ("appointment.booked" if channel == "sms" else "security.password_changed")
    created = created_at or datetime.datetime.now(tz=datetime.UTC)
    fields.setdefault("attempts", 8 if status == Delivery.Status.FAILED else 1)
    address = {"email": recipient.email if recipient else "", "sms": "+447911123456"}
    return Delivery.objects.create(
        dedupe_key=f"test:{Delivery.objects.count()}:{kind}:{channel}",
        kind=kind,
        category=catalog.message_kind(kind).category,
        channel=channel,
        recipient=recipient,
        address=address.get(channel, ""),
        context=_SECURITY_CONTEXT if kind.startswith("security.") else _APPOINTMENT_CONTEXT,
        status=status,
        last_error="SMTP 550 mailbox unavailable" if status == Delivery.Status.FAILED else "",
        created_at=created,
        status_changed_at=created,
        next_attempt_at=created,
        **fields,
    )


def _listed(response: Any) -> set[int]:
    assert response.status_code == 200, response.content[:300]
    return {delivery.pk for delivery in response.context["cl"].result_list}


# --- The deliveries list -----------------------------------------------------------------------


def _today_link(client: Client) -> dict[str, str]:
    """The query of the date filter's "Today" link, as the list page renders it."""
    from urllib.parse import parse_qsl

    listing = client.get(DELIVERIES)
    (date_filter,) = [f for f in listing.context["cl"].filter_specs if f.title == "created at"]
    choice = next(c for c in date_filter.choices(listing.context["cl"]) if c["display"] == "Today")
    return dict(parse_qsl(choice["query_string"].lstrip("?")))


def test_the_deliveries_list_filters_by_status_channel_kind_and_date(
    admin_client: Client, patient: User
):
    old = datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC)
    failed_email = _delivery(patient)
    sent_email = _delivery(patient, status=Delivery.Status.SENT)
    failed_sms = _delivery(patient, channel="sms", kind="appointment.reminder")
    old_in_app = _delivery(patient, status=Delivery.Status.SENT, channel="in_app", created_at=old)

    everything = _listed(admin_client.get(DELIVERIES))
    failed = _listed(admin_client.get(DELIVERIES, {"status__exact": "failed"}))
    sms = _listed(admin_client.get(DELIVERIES, {"channel__exact": "sms"}))
    reminders = _listed(admin_client.get(DELIVERIES, {"kind": "appointment.reminder"}))
    # What the filter's links send (aware bounds, as DateFieldListFilter makes them).
    january = _listed(
        admin_client.get(
            DELIVERIES,
            {
                "created_at__gte": "2026-01-01 00:00:00+00:00",
                "created_at__lt": "2026-02-01 00:00:00+00:00",
            },
        )
    )
    today = _listed(admin_client.get(DELIVERIES, _today_link(admin_client)))
    by_day = _listed(
        admin_client.get(
            DELIVERIES,
            {"created_at__year": "2026", "created_at__month": "1", "created_at__day": "5"},
        )
    )
    failed_emails = _listed(
        admin_client.get(DELIVERIES, {"status__exact": "failed", "channel__exact": "email"})
    )
    dead_letters = _listed(admin_client.get(FAILED))
    dead_sms = _listed(admin_client.get(FAILED, {"channel__exact": "sms"}))

    assert everything == {failed_email.pk, sent_email.pk, failed_sms.pk, old_in_app.pk}
    assert failed == {failed_email.pk, failed_sms.pk}
    assert sms == {failed_sms.pk}
    assert reminders == {failed_sms.pk}
    assert january == by_day == {old_in_app.pk}
    assert today == {failed_email.pk, sent_email.pk, failed_sms.pk}
    assert failed_emails == {failed_email.pk}
    assert dead_letters == {failed_email.pk, failed_sms.pk}
    assert dead_sms == {failed_sms.pk}


def test_bodies_and_full_addresses_are_never_shown(admin_client: Client, patient: User):
    # The account emails (the mail queue) carry their rendered text until sent: a reset link.
    queued = _delivery(
        patient,
        status=Delivery.Status.PENDING,
        kind=catalog.MAIL_KIND,
        subject="Password reset",
        body_text="Open https://hospital.example/reset/SECRET-TEXT-LINK/",
        body_html="<a href='https://hospital.example/reset/SECRET-HTML-LINK/'>reset</a>",
    )
    notification = Notification.objects.create(
        recipient=patient, kind="security.password_changed", category="security", title="T"
    )
    in_app = _delivery(patient, channel="in_app", notification=notification)

    pages = [
        admin_client.get(DELIVERIES).content.decode(),
        admin_client.get(FAILED).content.decode(),
        admin_client.get(f"{DELIVERIES}{queued.pk}/change/").content.decode(),
        admin_client.get(f"{FAILED}{in_app.pk}/change/").content.decode(),
    ]

    for page in pages:
        assert "SECRET-TEXT-LINK" not in page
        assert "SECRET-HTML-LINK" not in page
        assert patient.email not in page
    assert f"{patient.email[:2]}…@hospital.test" in pages[0]
    # The change page is read-only: no form field for anything, no save button.
    detail = admin_client.get(f"{DELIVERIES}{queued.pk}/change/")
    assert list(detail.context["adminform"].form.fields) == []
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.get(f"{DELIVERIES}add/").status_code == 403
    assert admin_client.get(f"{DELIVERIES}{queued.pk}/delete/").status_code == 403


# --- Retrying failed deliveries -------------------------------------------------------------------


def _retry(client: Client, url: str, deliveries: list[Delivery]) -> Any:
    return client.post(
        url,
        {
            "action": "retry_deliveries",
            "_selected_action": [str(d.pk) for d in deliveries],
            "index": "0",
        },
    )


def test_retry_puts_failed_deliveries_back_to_pending_and_queues_them(
    admin_client: Client, admin: User, patient: User, django_capture_on_commit_callbacks: Any
):
    failed = _delivery(patient)
    bounced = _delivery(patient, status=Delivery.Status.BOUNCED)
    undelivered = _delivery(patient, status=Delivery.Status.UNDELIVERED, channel="sms")

    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = _retry(admin_client, FAILED, [failed, bounced, undelivered])

    assert response.status_code == 302
    rows = Delivery.objects.filter(pk__in=[failed.pk, bounced.pk, undelivered.pk])
    assert {(d.status, d.attempts, d.queued_at is not None) for d in rows} == {("pending", 0, True)}
    assert len(after_commit) >= 1  # the sends are queued once the retry commits
    audit = AuditEvent.objects.filter(action="notifications.delivery_retried").order_by("id")
    assert [(row.actor_id, row.target_id, row.details) for row in audit] == [
        (
            admin.pk,
            str(failed.public_id),
            {"kind": failed.kind, "channel": "email", "was": "failed"},
        ),
        (
            admin.pk,
            str(bounced.public_id),
            {"kind": bounced.kind, "channel": "email", "was": "bounced"},
        ),
        (
            admin.pk,
            str(undelivered.public_id),
            {"kind": undelivered.kind, "channel": "sms", "was": "undelivered"},
        ),
    ]
    assert mail.outbox == []  # nothing leaves before the commit


def test_retried_deliveries_are_sent_once_the_retry_commits(
    admin_client: Client,
    patient: User,
    sms_outbox: list[Any],
    django_capture_on_commit_callbacks: Any,
):
    failed = _delivery(patient)
    undelivered = _delivery(patient, status=Delivery.Status.UNDELIVERED, channel="sms")

    with django_capture_on_commit_callbacks(execute=True):
        _retry(admin_client, FAILED, [failed, undelivered])
    listing = admin_client.get(FAILED)

    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert [m.to for m in mail.outbox] == [[patient.email]]
    assert mail.outbox[0].subject == "[St. Example Hospital] Your password was changed"
    assert [m.to for m in sms_outbox] == ["+447911123456"]
    assert _listed(listing) == set()  # off the dead-letter list
    assert "2 queued again." in listing.content.decode()


def test_retry_leaves_deliveries_that_did_not_fail_alone(
    admin_client: Client, patient: User, django_capture_on_commit_callbacks: Any
):
    failed = _delivery(patient)
    sent = _delivery(patient, status=Delivery.Status.SENT)
    pending = _delivery(patient, status=Delivery.Status.PENDING, attempts=3)
    cancelled = _delivery(patient, status=Delivery.Status.CANCELLED)

    with django_capture_on_commit_callbacks(execute=True):
        response = _retry(admin_client, DELIVERIES, [failed, sent, pending, cancelled])
    message = admin_client.get(DELIVERIES).content.decode()

    assert response.status_code == 302
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {
        failed.pk: "sent",
        sent.pk: "sent",
        pending.pk: "pending",
        cancelled.pk: "cancelled",
    }
    assert Delivery.objects.get(pk=pending.pk).attempts == 3
    assert [m.to for m in mail.outbox] == [[patient.email]]  # the failed one only
    assert list(
        AuditEvent.objects.filter(action="notifications.delivery_retried").values_list(
            "target_id", flat=True
        )
    ) == [str(failed.public_id)]
    assert "1 queued again. 3 left as they were" in message


# --- The compliance officer ------------------------------------------------------------------


def test_a_compliance_officer_sees_deliveries_but_has_no_retry_action(
    compliance_client: Client, patient: User, django_capture_on_commit_callbacks: Any
):
    failed = _delivery(patient)

    listing = compliance_client.get(FAILED)
    everything = compliance_client.get(DELIVERIES)
    with django_capture_on_commit_callbacks(execute=True):
        forged = _retry(compliance_client, FAILED, [failed])

    assert _listed(listing) == {failed.pk}
    assert _listed(everything) == {failed.pk}
    assert "retry_deliveries" not in listing.content.decode()
    assert "retry_deliveries" not in everything.content.decode()
    assert forged.status_code in (200, 302)
    failed.refresh_from_db()
    assert failed.status == "failed"
    assert not AuditEvent.objects.filter(action="notifications.delivery_retried").exists()
    assert mail.outbox == []


def test_a_compliance_officer_reads_templates_but_cannot_edit_them(
    compliance_client: Client, admin: User
):
    template = templates.message_template_save(
        template=MessageTemplate(
            kind="appointment.booked",
            channel="in_app",
            language="en",
            subject="Booked",
            body="{{ type_name }} with {{ clinician_name }}",
        ),
        changed_by=admin,
    )
    url = f"{TEMPLATES}{template.pk}/change/"

    listing = compliance_client.get(TEMPLATES)
    page = compliance_client.get(url)
    change = compliance_client.post(
        url,
        {
            "kind": "appointment.booked",
            "channel": "in_app",
            "language": "en",
            "subject": "Changed by compliance",
            "body": "Changed",
        },
    )
    add = compliance_client.post(
        f"{TEMPLATES}add/",
        {"kind": "appointment.booked", "channel": "sms", "language": "en", "body": "New"},
    )
    delete = compliance_client.post(f"{TEMPLATES}{template.pk}/delete/", {"post": "yes"})

    assert listing.status_code == page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert "Cardiology follow-up with Dr Jane Smith" in page.content.decode()  # the preview
    assert change.status_code == add.status_code == delete.status_code == 403
    template.refresh_from_db()
    assert template.subject == "Booked"
    assert MessageTemplate.objects.count() == 1
    # Each refusal is audited (audit/access.py), with what was refused.
    assert list(AuditEvent.objects.values_list("action", "outcome", "details__status")) == [
        ("notifications.template_created", "success", None),
        ("records.refused", "denied", 403),
        ("records.refused", "denied", 403),
        ("records.refused", "denied", 403),
    ]


# --- Message templates ---------------------------------------------------------------------------


def _template_form(client: Client, url: str, **values: str) -> dict[str, Any]:
    data = changeform_data(client.get(url))
    data.update(values)
    return data


_EMAIL_ES = {
    "kind": "appointment.booked",
    "channel": "email",
    "language": "es",
    "subject": 'Cita: {{ start|date:"j F" }}',
    "body": 'Hola {{ recipient_name }}, {{ type_name }} el {{ start|date:"l j F" }} a las '
    '{{ start|time:"H:i" }}.',
    "body_html": "",
}


def test_a_template_added_in_the_admin_shows_a_preview_on_sample_data_and_is_audited(
    admin_client: Client, admin: User
):
    added = admin_client.post(
        f"{TEMPLATES}add/",
        {**_template_form(admin_client, f"{TEMPLATES}add/"), **_EMAIL_ES, "_continue": "1"},
    )
    template = MessageTemplate.objects.get()
    page = admin_client.get(f"{TEMPLATES}{template.pk}/change/").content.decode()

    assert added.status_code == 302
    assert added["Location"] == f"{TEMPLATES}{template.pk}/change/"
    # The sample: Monday 30 March 2026 08:30 UTC, 09:30 in London (summer time), in Spanish.
    assert "Cita: 30 marzo" in page
    assert "Hola Alex Morgan, Cardiology follow-up el lunes 30 marzo a las 09:30." in page
    assert template.updated_by == admin
    row = AuditEvent.objects.get()
    assert (row.action, row.actor_id, row.target_type) == (
        "notifications.template_created",
        admin.pk,
        "notifications.messagetemplate",
    )
    assert row.details == {
        "kind": "appointment.booked",
        "channel": "email",
        "language": "es",
        "fields": ["kind", "channel", "language", "subject", "body", "body_html"],
    }
    assert "Hola" not in str(row.details)


def test_a_template_changed_in_the_admin_is_audited_with_the_names_of_what_changed(
    admin_client: Client, admin: User
):
    template = templates.message_template_save(
        template=MessageTemplate(**_EMAIL_ES), changed_by=admin
    )
    url = f"{TEMPLATES}{template.pk}/change/"

    changed = admin_client.post(
        url, _template_form(admin_client, url, body="Nuevo texto para {{ type_name }}.")
    )
    unchanged = admin_client.post(url, _template_form(admin_client, url))
    page = admin_client.get(url).content.decode()

    assert changed.status_code == unchanged.status_code == 302
    assert "Nuevo texto para Cardiology follow-up." in page
    rows = AuditEvent.objects.filter(action="notifications.template_changed").order_by("id")
    first = rows.first()
    assert first is not None
    assert first.details["fields"] == ["body"]
    assert all("Nuevo" not in str(row.details) for row in rows)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"body": "{% if type_name %}never closed"}, "body", "This does not render"),
        ({"subject": "{{ start|date: }}"}, "subject", "This does not render"),
        (
            {"channel": "sms", "subject": "", "body": "{{ site_name }} " + "x" * 400},
            "body",
            "segments; keep it within two",
        ),
        ({"subject": ""}, "subject", "An email needs a subject."),
        ({"channel": "sms", "kind": "security.password_changed"}, "channel", "is not sent by"),
    ],
    ids=[
        "syntax-error",
        "subject-syntax-error",
        "sms-over-two-segments",
        "email-no-subject",
        "channel",
    ],
)
def test_an_invalid_template_is_refused_with_the_fields_error_and_nothing_is_saved(
    values: dict[str, str], field: str, message: str, admin_client: Client
):
    data = {**_template_form(admin_client, f"{TEMPLATES}add/"), **_EMAIL_ES, **values}

    response = admin_client.post(f"{TEMPLATES}add/", data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert message in response.content.decode()
    assert not MessageTemplate.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_invalid_change_leaves_the_saved_template_as_it_was(admin_client: Client, admin: User):
    template = templates.message_template_save(
        template=MessageTemplate(**_EMAIL_ES), changed_by=admin
    )
    url = f"{TEMPLATES}{template.pk}/change/"

    response = admin_client.post(url, _template_form(admin_client, url, subject=""))

    assert response.status_code == 200
    assert "An email needs a subject." in response.content.decode()
    template.refresh_from_db()
    assert template.subject == _EMAIL_ES["subject"]
    assert not AuditEvent.objects.filter(action="notifications.template_changed").exists()


def test_deleting_a_template_in_the_admin_is_audited(admin_client: Client, admin: User):
    one = templates.message_template_save(template=MessageTemplate(**_EMAIL_ES), changed_by=admin)
    two = templates.message_template_save(
        template=MessageTemplate(**{**_EMAIL_ES, "language": "fr"}), changed_by=admin
    )
    three = templates.message_template_save(
        template=MessageTemplate(**{**_EMAIL_ES, "language": "de"}), changed_by=admin
    )

    single = admin_client.post(f"{TEMPLATES}{one.pk}/delete/", {"post": "yes"})
    bulk = admin_client.post(
        TEMPLATES,
        {
            "action": "delete_selected",
            "_selected_action": [str(two.pk), str(three.pk)],
            "post": "yes",
        },
    )

    assert single.status_code == bulk.status_code == 302
    assert not MessageTemplate.objects.exists()
    deleted = AuditEvent.objects.filter(action="notifications.template_deleted").order_by("id")
    assert [(row.actor_id, row.details) for row in deleted] == [
        (admin.pk, {"kind": "appointment.booked", "channel": "email", "language": language})
        for language in ("es", "de", "fr")  # the bulk action goes in the list's order
    ]


# --- A saved template is used for the next message ------------------------------------------------


def _patient_speaking(language: str) -> User:
    user = PatientProfileFactory.create(user__full_name="Ana Torres").user
    user.patient_profile.preferred_language = language
    user.patient_profile.save(update_fields=["preferred_language"])
    return user


def _booked_email(
    patient: User, practitioner: Any, consultation: Any, capture: Any
) -> mail.EmailMessage:
    with time_machine.travel(NOW, tick=False), capture(execute=True):
        book(patient, practitioner, consultation, at(MONDAY, 9))
    (message,) = [m for m in mail.outbox if m.to == [patient.email]]
    return message


def test_a_template_saved_in_the_admin_is_used_for_the_next_message_in_its_language(
    admin_client: Client,
    practitioner: Any,
    consultation: Any,
    django_capture_on_commit_callbacks: Any,
):
    patient = _patient_speaking("es")
    admin_client.post(
        f"{TEMPLATES}add/", {**_template_form(admin_client, f"{TEMPLATES}add/"), **_EMAIL_ES}
    )

    message = _booked_email(patient, practitioner, consultation, django_capture_on_commit_callbacks)

    # Monday 2 March 2026, 09:00 UTC: 09:00 in London (winter time), in Spanish.
    assert message.subject == "[St. Example Hospital] Cita: 2 marzo"
    assert message.body == "Hola Ana Torres, Consultation el lunes 2 marzo a las 09:00."


_ADMIN_ES = {**_EMAIL_ES, "subject": "ADMIN-ES {{ type_name }}", "body": "Plantilla del hospital."}
_ADMIN_EN = {
    **_EMAIL_ES,
    "language": "en",
    "subject": "ADMIN-EN {{ type_name }}",
    "body": "The hospital's own words.",
}


@pytest.mark.parametrize(
    ("language", "saved", "subject"),
    [
        # 1. An administrator's template in the patient's language.
        ("es", [_ADMIN_ES, _ADMIN_EN], "ADMIN-ES Consultation"),
        # 2. Else the administrator's one in the default language (over shipped Spanish).
        ("es", [_ADMIN_EN], "ADMIN-EN Consultation"),
        # 3. Else the shipped wording in the language (another language's template is no use).
        ("fr", [_ADMIN_ES], "Votre rendez-vous est réservé : lun 2 Mar 09:00"),
        ("es", [], "Su cita está reservada: lun 2 Mar 09:00"),
        # 4. Else the shipped English.
        ("de", [_ADMIN_ES], "Your appointment is booked: Mo 2 Mär 09:00"),
    ],
    ids=["admin-es", "admin-default-language", "shipped-fr", "shipped-es", "shipped-english"],
)
def test_the_wording_falls_back_from_the_patients_language_to_the_default_to_the_shipped(
    language: str,
    saved: list[dict[str, str]],
    subject: str,
    admin: User,
    practitioner: Any,
    consultation: Any,
    django_capture_on_commit_callbacks: Any,
):
    for values in saved:
        templates.message_template_save(template=MessageTemplate(**values), changed_by=admin)
    patient = _patient_speaking(language)

    message = _booked_email(patient, practitioner, consultation, django_capture_on_commit_callbacks)

    assert message.subject == f"[St. Example Hospital] {subject}"


# --- Bugs found while writing these tests (fixed) ------------------------------------------------------------

_SPANISH_SMS = (
    "{{ site_name }}: su cita está reservada, "
    + "llegue diez minutos antes y traiga su tarjeta sanitaria, por favor. " * 2
    + "Más información: {{ link }}"
)


def test_a_spanish_sms_that_is_sent_in_two_segments_may_be_saved(
    admin_client: Client,
    admin: User,
    practitioner: Any,
    consultation: Any,
    sms_outbox: list[Any],
    django_capture_on_commit_callbacks: Any,
):
    from notifications.services.rendering import gsm7_folded, render_text, sms_segments
    from tests.notifications.conftest import verified_phone_for

    sample = {**catalog.message_kind("appointment.booked").sample}
    sent_text = gsm7_folded(
        " ".join(render_text(_SPANISH_SMS, sample, zone="Europe/London", language="es").split())
    )
    data = {
        **_template_form(admin_client, f"{TEMPLATES}add/"),
        **_EMAIL_ES,
        "channel": "sms",
        "subject": "",
        "body": _SPANISH_SMS,
    }

    response = admin_client.post(f"{TEMPLATES}add/", data)

    assert sms_segments(sent_text) == 2  # what the patient's phone receives
    assert response.status_code == 302, response.context["adminform"].form.errors
    patient = _patient_speaking("es")
    verified_phone_for(patient)
    patient.notification_preferences.create(category="appointments", channel="sms", enabled=True)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        book(patient, practitioner, consultation, at(MONDAY, 9))
    assert sms_outbox[0].body.startswith("St. Example Hospital: su cita esta reservada, llegue")
