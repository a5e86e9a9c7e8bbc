"""Every kind of message the hospital sends: its category, channels, sample data and the shipped
wording (English, and Spanish and French for the patient's appointment messages).

Wording is Django template syntax. Times arrive as aware datetimes and are rendered inside
the recipient's time zone and language (notifications.services.rendering), so
``{{ start|date:"l j F" }}`` is "Sunday 29 March" in London and "domingo 29 de marzo" in
Spanish. Nothing clinical is in any context: no reason for the visit, no notes; only the
appointment's type, clinician, department and times.

An administrator's ``MessageTemplate`` for (kind, channel, language) wins; then theirs for the
default language; then the shipped wording in the language; then the shipped English.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from notifications.models import Category, Channel

DEFAULT_LANGUAGE = "en"

# (subject, body) per channel; SMS has no subject. Email HTML is made from the text unless an
# administrator writes their own.
Wording = dict[str, tuple[str, str]]

_WHEN = '{{ start|date:"l j F Y" }}, {{ start|time:"H:i" }} ({{ time_zone }})'
_WHEN_SHORT = '{{ start|date:"D j M" }} {{ start|time:"H:i" }}'
_WITH = "{{ type_name }} with {{ clinician_name }}"


@dataclass(frozen=True)
class MessageKind:
    kind: str
    category: str
    channels: tuple[str, ...]
    label: str
    # What the templates may use, with the values the admin's preview renders.
    sample: dict[str, object]
    wording: dict[str, Wording] = field(default_factory=dict)
    # Sent even when the person switched the category off (security messages).
    mandatory: bool = False


_SAMPLE_START = datetime.datetime(2026, 3, 30, 8, 30, tzinfo=datetime.UTC)
_APPOINTMENT_SAMPLE: dict[str, object] = {
    "site_name": "St. Example Hospital",
    "recipient_name": "Alex Morgan",
    "type_name": "Cardiology follow-up",
    "clinician_name": "Dr Jane Smith",
    "department_name": "Cardiology",
    "start": _SAMPLE_START,
    "end": _SAMPLE_START + datetime.timedelta(minutes=20),
    "time_zone": "Europe/London",
    "link": "https://hospital.example/appointments/00000000-0000-0000-0000-000000000000/",
}

_APPOINTMENT_FOOTER_EN = (
    "\n\nSee or change it: {{ link }}\n\n"
    "You receive this because you have an account with {{ site_name }}. "
    "Choose which messages you get in your notification settings."
)

KINDS: dict[str, MessageKind] = {}


def _register(kind: MessageKind) -> MessageKind:
    KINDS[kind.kind] = kind
    return kind


_register(
    MessageKind(
        kind="appointment.booked",
        category=Category.APPOINTMENTS,
        channels=(Channel.EMAIL, Channel.SMS, Channel.IN_APP),
        label="Appointment booked",
        sample=_APPOINTMENT_SAMPLE,
        wording={
            "en": {
                Channel.EMAIL: (
                    "Your appointment is booked: " + _WHEN_SHORT,
                    "Hello {{ recipient_name }},\n\nYour appointment is booked:\n"
                    + _WITH
                    + " ({{ department_name }})\n"
                    + _WHEN
                    + _APPOINTMENT_FOOTER_EN,
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: booked " + _WITH + ", " + _WHEN_SHORT + ". {{ link }}",
                ),
                Channel.IN_APP: ("Appointment booked", _WITH + ", " + _WHEN + "."),
            },
            "es": {
                Channel.EMAIL: (
                    "Su cita está reservada: " + _WHEN_SHORT,
                    "Hola {{ recipient_name }}:\n\nSu cita está reservada:\n"
                    "{{ type_name }} con {{ clinician_name }} ({{ department_name }})\n"
                    + _WHEN
                    + "\n\nVer o cambiar la cita: {{ link }}",
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: cita reservada, {{ type_name }} con {{ clinician_name }}, "
                    + _WHEN_SHORT
                    + ". {{ link }}",
                ),
                Channel.IN_APP: (
                    "Cita reservada",
                    "{{ type_name }} con {{ clinician_name }}, " + _WHEN + ".",
                ),
            },
            "fr": {
                Channel.EMAIL: (
                    "Votre rendez-vous est réservé : " + _WHEN_SHORT,
                    "Bonjour {{ recipient_name }},\n\nVotre rendez-vous est réservé :\n"
                    "{{ type_name }} avec {{ clinician_name }} ({{ department_name }})\n"
                    + _WHEN
                    + "\n\nVoir ou modifier : {{ link }}",
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }} : RDV réservé, {{ type_name }} avec {{ clinician_name }}, "
                    + _WHEN_SHORT
                    + ". {{ link }}",
                ),
                Channel.IN_APP: (
                    "Rendez-vous réservé",
                    "{{ type_name }} avec {{ clinician_name }}, " + _WHEN + ".",
                ),
            },
        },
    )
)

_register(
    MessageKind(
        kind="appointment.moved",
        category=Category.APPOINTMENTS,
        channels=(Channel.EMAIL, Channel.SMS, Channel.IN_APP),
        label="Appointment moved",
        sample={
            **_APPOINTMENT_SAMPLE,
            "previous_start": _SAMPLE_START - datetime.timedelta(days=1),
        },
        wording={
            "en": {
                Channel.EMAIL: (
                    "Your appointment has moved to " + _WHEN_SHORT,
                    "Hello {{ recipient_name }},\n\nYour appointment ("
                    + _WITH
                    + ") has moved.\n\nNew time: "
                    + _WHEN
                    + '\nWas: {{ previous_start|date:"l j F Y" }}, {{ previous_start|time:"H:i" }}'
                    + _APPOINTMENT_FOOTER_EN,
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: your appointment "
                    + _WITH
                    + " moved to "
                    + _WHEN_SHORT
                    + ". {{ link }}",
                ),
                Channel.IN_APP: ("Appointment moved", _WITH + ", now " + _WHEN + "."),
            },
            "es": {
                Channel.EMAIL: (
                    "Su cita ha cambiado a " + _WHEN_SHORT,
                    "Hola {{ recipient_name }}:\n\nSu cita ({{ type_name }} con {{ clinician_name }}) "
                    "ha cambiado.\n\nNueva hora: "
                    + _WHEN
                    + '\nAntes: {{ previous_start|date:"l j F Y" }}, {{ previous_start|time:"H:i" }}'
                    + "\n\nVer o cambiar la cita: {{ link }}",
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: su cita con {{ clinician_name }} cambia a "
                    + _WHEN_SHORT
                    + ". {{ link }}",
                ),
                Channel.IN_APP: (
                    "Cita cambiada",
                    "{{ type_name }} con {{ clinician_name }}, ahora " + _WHEN + ".",
                ),
            },
        },
    )
)

_register(
    MessageKind(
        kind="appointment.cancelled",
        category=Category.APPOINTMENTS,
        channels=(Channel.EMAIL, Channel.SMS, Channel.IN_APP),
        label="Appointment cancelled",
        sample={**_APPOINTMENT_SAMPLE, "by_staff": True, "reason": "The clinic is closed."},
        wording={
            "en": {
                Channel.EMAIL: (
                    "Your appointment on " + _WHEN_SHORT + " is cancelled",
                    "Hello {{ recipient_name }},\n\n"
                    "{% if by_staff %}The hospital has cancelled your appointment{% else %}"
                    "Your appointment is cancelled, as you asked{% endif %}:\n"
                    + _WITH
                    + "\n"
                    + _WHEN
                    + "{% if reason %}\n\nReason: {{ reason }}{% endif %}"
                    "\n\nBook another time: {{ booking_link }}",
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: your appointment "
                    + _WHEN_SHORT
                    + " with {{ clinician_name }} "
                    "is cancelled.{% if by_staff %} Please book again: {{ booking_link }}{% endif %}",
                ),
                Channel.IN_APP: (
                    "Appointment cancelled",
                    _WITH + ", " + _WHEN + ".{% if reason %} Reason: {{ reason }}{% endif %}",
                ),
            },
            "es": {
                Channel.EMAIL: (
                    "Su cita del " + _WHEN_SHORT + " está cancelada",
                    "Hola {{ recipient_name }}:\n\n"
                    "{% if by_staff %}El hospital ha cancelado su cita{% else %}"
                    "Su cita está cancelada, como pidió{% endif %}:\n"
                    "{{ type_name }} con {{ clinician_name }}\n"
                    + _WHEN
                    + "{% if reason %}\n\nMotivo: {{ reason }}{% endif %}"
                    "\n\nReservar otra hora: {{ booking_link }}",
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: su cita " + _WHEN_SHORT + " con {{ clinician_name }} "
                    "está cancelada.{% if by_staff %} Reserve otra: {{ booking_link }}{% endif %}",
                ),
                Channel.IN_APP: (
                    "Cita cancelada",
                    "{{ type_name }} con {{ clinician_name }}, " + _WHEN + ".",
                ),
            },
        },
    )
)

_register(
    MessageKind(
        kind="appointment.checked_in",
        category=Category.APPOINTMENTS,
        channels=(Channel.IN_APP,),
        label="Checked in",
        sample=_APPOINTMENT_SAMPLE,
        wording={
            "en": {
                Channel.IN_APP: (
                    "You are checked in",
                    "{{ clinician_name }} will call you soon (" + _WHEN + ").",
                ),
            },
        },
    )
)

_register(
    MessageKind(
        kind="appointment.no_show",
        category=Category.APPOINTMENTS,
        channels=(Channel.EMAIL, Channel.IN_APP),
        label="Missed appointment",
        sample=_APPOINTMENT_SAMPLE,
        wording={
            "en": {
                Channel.EMAIL: (
                    "We missed you on " + _WHEN_SHORT,
                    "Hello {{ recipient_name }},\n\nYou were expected for your appointment ("
                    + _WITH
                    + ") on "
                    + _WHEN
                    + ".\n\nIf you still need it, book another time: {{ booking_link }}",
                ),
                Channel.IN_APP: ("Missed appointment", _WITH + ", " + _WHEN + "."),
            },
        },
    )
)

_register(
    MessageKind(
        kind="appointment.reminder",
        category=Category.REMINDERS,
        channels=(Channel.EMAIL, Channel.SMS, Channel.IN_APP),
        label="Appointment reminder",
        sample={**_APPOINTMENT_SAMPLE, "hours_before": 24},
        wording={
            "en": {
                Channel.EMAIL: (
                    "Reminder: your appointment " + _WHEN_SHORT,
                    "Hello {{ recipient_name }},\n\nA reminder of your appointment:\n"
                    + _WITH
                    + " ({{ department_name }})\n"
                    + _WHEN
                    + _APPOINTMENT_FOOTER_EN,
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }} reminder: " + _WITH + ", " + _WHEN_SHORT + ". {{ link }}",
                ),
                Channel.IN_APP: ("Appointment reminder", _WITH + ", " + _WHEN + "."),
            },
            "es": {
                Channel.EMAIL: (
                    "Recordatorio: su cita " + _WHEN_SHORT,
                    "Hola {{ recipient_name }}:\n\nLe recordamos su cita:\n"
                    "{{ type_name }} con {{ clinician_name }} ({{ department_name }})\n"
                    + _WHEN
                    + "\n\nVer o cambiar la cita: {{ link }}",
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }} recordatorio: {{ type_name }} con {{ clinician_name }}, "
                    + _WHEN_SHORT
                    + ". {{ link }}",
                ),
                Channel.IN_APP: (
                    "Recordatorio de cita",
                    "{{ type_name }} con {{ clinician_name }}, " + _WHEN + ".",
                ),
            },
        },
    )
)

_register(
    MessageKind(
        kind="waitlist.offer",
        category=Category.WAITLIST,
        channels=(Channel.EMAIL, Channel.SMS, Channel.IN_APP),
        label="Waitlist offer",
        sample={
            **_APPOINTMENT_SAMPLE,
            "hold_expires_at": _SAMPLE_START - datetime.timedelta(days=2),
            "accept_link": "https://hospital.example/appointments/waitlist/#offer-0",
        },
        wording={
            "en": {
                Channel.EMAIL: (
                    "A time has come free: " + _WHEN_SHORT,
                    "Hello {{ recipient_name }},\n\nA time you were waiting for is free and held "
                    "for you:\n"
                    + _WITH
                    + "\n"
                    + _WHEN
                    + '\n\nAccept it before {{ hold_expires_at|time:"H:i" }} on '
                    '{{ hold_expires_at|date:"l j F" }}: {{ accept_link }}\n\n'
                    "If you do not want it, do nothing: it goes to the next person.",
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: " + _WITH + " " + _WHEN_SHORT + " is held for you until "
                    '{{ hold_expires_at|time:"H:i" }}. Accept: {{ accept_link }}',
                ),
                Channel.IN_APP: (
                    "A time is held for you",
                    _WITH + ", " + _WHEN + '. Accept before {{ hold_expires_at|time:"H:i" }}.',
                ),
            },
            "es": {
                Channel.EMAIL: (
                    "Hay una hora libre: " + _WHEN_SHORT,
                    "Hola {{ recipient_name }}:\n\nSe ha liberado una hora que esperaba y la "
                    "reservamos para usted:\n{{ type_name }} con {{ clinician_name }}\n"
                    + _WHEN
                    + '\n\nAcéptela antes de las {{ hold_expires_at|time:"H:i" }} del '
                    '{{ hold_expires_at|date:"l j F" }}: {{ accept_link }}',
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: {{ clinician_name }} " + _WHEN_SHORT + " reservada hasta "
                    '{{ hold_expires_at|time:"H:i" }}. Aceptar: {{ accept_link }}',
                ),
                Channel.IN_APP: (
                    "Hora reservada para usted",
                    "{{ type_name }} con {{ clinician_name }}, " + _WHEN + ".",
                ),
            },
        },
    )
)

_SECURITY_SAMPLE: dict[str, object] = {
    "site_name": "St. Example Hospital",
    "recipient_name": "Alex Morgan",
    "at": _SAMPLE_START,
    "time_zone": "Europe/London",
    "device": "Firefox on Linux",
    "factor": "an authenticator app",
    "link": "https://hospital.example/accounts/security/",
}
_SECURITY_FOOTER_EN = (
    "\n\nIf this was you, there is nothing to do. If it was not, change your password now and "
    "review your account's security: {{ link }}"
)
_AT = '{{ at|date:"l j F Y" }}, {{ at|time:"H:i" }} ({{ time_zone }})'


def _security(kind: str, label: str, subject: str, sentence: str) -> None:
    _register(
        MessageKind(
            kind=kind,
            category=Category.SECURITY,
            channels=(Channel.EMAIL, Channel.IN_APP),
            label=label,
            sample=_SECURITY_SAMPLE,
            mandatory=True,
            wording={
                "en": {
                    Channel.EMAIL: (
                        subject,
                        "Hello {{ recipient_name }},\n\n" + sentence + _SECURITY_FOOTER_EN,
                    ),
                    Channel.IN_APP: (subject, sentence),
                }
            },
        )
    )


_security(
    "security.new_sign_in",
    "New sign-in",
    "New sign-in to your account",
    "Your account was signed in to from a new device ({{ device }}) on " + _AT + ".",
)
_security(
    "security.password_changed",
    "Password changed",
    "Your password was changed",
    "The password of your account was changed on " + _AT + ".",
)
_security(
    "security.email_changed",
    "Email address changed",
    "Your sign-in email address was changed",
    "The email address you sign in with was changed on " + _AT + ". This address no longer "
    "signs in to the account.",
)
_security(
    "security.factor_added",
    "Sign-in factor added",
    "A sign-in method was added to your account",
    "{{ factor|capfirst }} was added to your account on " + _AT + ".",
)
_security(
    "security.factor_removed",
    "Sign-in factor removed",
    "A sign-in method was removed from your account",
    "{{ factor|capfirst }} was removed from your account on " + _AT + ".",
)
_security(
    "security.recovery_code_used",
    "Recovery code used",
    "A recovery code was used to sign in",
    "One of your recovery codes was used to sign in on " + _AT + ".",
)
_security(
    "security.account_deactivated",
    "Account deactivated",
    "Your account was deactivated",
    "Your account was deactivated on " + _AT + ". Contact the hospital if you did not expect this.",
)

_register(
    MessageKind(
        kind="schedule.changed",
        category=Category.SCHEDULE,
        channels=(Channel.EMAIL, Channel.IN_APP),
        label="Schedule changed (staff)",
        sample={**_APPOINTMENT_SAMPLE, "change": "booked", "patient_label": "A. Morgan"},
        wording={
            "en": {
                Channel.EMAIL: (
                    "Schedule change: " + _WHEN_SHORT,
                    "Hello {{ recipient_name }},\n\n{% if change == 'cancelled' %}Cancelled"
                    "{% elif change == 'moved' %}Moved{% else %}New booking{% endif %} on your "
                    "schedule: {{ type_name }}, {{ patient_label }}, "
                    + _WHEN
                    + ".\n\nYour schedule: {{ link }}",
                ),
                Channel.IN_APP: (
                    "{% if change == 'cancelled' %}Cancelled{% elif change == 'moved' %}Moved"
                    "{% else %}New booking{% endif %}: " + _WHEN_SHORT,
                    "{{ type_name }}, {{ patient_label }}, " + _WHEN + ".",
                ),
            }
        },
    )
)


# Emails written by their author (Django's and allauth's account emails, through the mail
# queue, notifications.mail): sent as they are.
MAIL_KIND = "account.email"
_register(
    MessageKind(
        kind=MAIL_KIND,
        category=Category.SECURITY,
        channels=(Channel.EMAIL,),
        label="Account email (sign-up, password reset, ...)",
        sample={},
        mandatory=True,
    )
)


def message_kind(kind: str) -> MessageKind:
    return KINDS[kind]
