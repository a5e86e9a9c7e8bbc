"""Every kind of message the hospital sends: its category, channels, sample data and the shipped
wording: English, Spanish and Arabic for every kind and channel (and French for the booking).

Wording is Django template syntax. Times arrive as aware datetimes and are rendered inside
the recipient's time zone and language (notifications.services.rendering), so
``{{ start|date:"l j F" }}`` is "Sunday 29 March" in London, "domingo 29 marzo" in Spanish
and "الأحد 29 مارس" in Arabic. Nothing clinical is in any context: no reason for the visit,
no notes; only the appointment's type, clinician, department and times.

Spanish addresses the reader as "usted". Arabic is Modern Standard Arabic, and asks with
"يُرجى" and a noun rather than an imperative (imperatives are masculine or feminine). An
Arabic SMS is UCS-2, 70 characters a segment (67 when split), and a link takes more than one
segment: it says what happened and when first, then the site's name and the link, and leaves
the names to the page the link opens. Within two segments it is sent whole; beyond, the
renderer cuts the end of the text before the link (the site's name, not the time).

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
# Spanish: "lunes 30 de marzo de 2026, 09:30" (the backslashes keep "de" out of the format).
_WHEN_ES = '{{ start|date:"l j \\d\\e F \\d\\e Y" }}, {{ start|time:"H:i" }} ({{ time_zone }})'
_WITH_ES = "{{ type_name }} con {{ clinician_name }}"
# Arabic: "الاثنين 30 مارس 2026، الساعة 09:30 (Europe/London)".
_WHEN_AR = '{{ start|date:"l j F Y" }}، الساعة {{ start|time:"H:i" }} ({{ time_zone }})'
_WITH_AR = "{{ type_name }} مع {{ clinician_name }}"


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
# What the cancellation and the missed appointment offer instead (notifications.subscribers).
_BOOKING_LINK = "https://hospital.example/appointments/book/"

_APPOINTMENT_FOOTER_EN = (
    "\n\nSee or change it: {{ link }}\n\n"
    "You receive this because you have an account with {{ site_name }}. "
    "Choose which messages you get in your notification settings."
)
_APPOINTMENT_FOOTER_ES = (
    "\n\nVer o cambiar la cita: {{ link }}\n\n"
    "Recibe este mensaje porque tiene una cuenta en {{ site_name }}. "
    "Puede elegir qué mensajes recibe en la configuración de notificaciones."
)
_APPOINTMENT_FOOTER_AR = (
    "\n\nلعرض الموعد أو تغييره: {{ link }}\n\n"
    "تصلك هذه الرسالة لأن لديك حسابًا لدى {{ site_name }}. "
    "يمكنك اختيار الرسائل التي تصلك من إعدادات الإشعارات."
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
                    + _WITH_ES
                    + " ({{ department_name }})\n"
                    + _WHEN_ES
                    + _APPOINTMENT_FOOTER_ES,
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: cita reservada, "
                    + _WITH_ES
                    + ", "
                    + _WHEN_SHORT
                    + ". {{ link }}",
                ),
                Channel.IN_APP: ("Cita reservada", _WITH_ES + ", " + _WHEN_ES + "."),
            },
            "ar": {
                Channel.EMAIL: (
                    "تم حجز موعدك: " + _WHEN_SHORT,
                    "مرحبًا {{ recipient_name }}،\n\nتم حجز موعدك:\n"
                    + _WITH_AR
                    + " ({{ department_name }})\n"
                    + _WHEN_AR
                    + _APPOINTMENT_FOOTER_AR,
                ),
                Channel.SMS: (
                    "",
                    "حُجز موعدك " + _WHEN_SHORT + " في {{ site_name }} {{ link }}",
                ),
                Channel.IN_APP: ("تم حجز الموعد", _WITH_AR + "، " + _WHEN_AR + "."),
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
                    "Su cita ha cambiado al " + _WHEN_SHORT,
                    "Hola {{ recipient_name }}:\n\nSu cita ("
                    + _WITH_ES
                    + ") ha cambiado de fecha u hora.\n\nNueva fecha: "
                    + _WHEN_ES
                    + '\nAntes: {{ previous_start|date:"l j \\d\\e F \\d\\e Y" }}, {{ previous_start|time:"H:i" }}'
                    + _APPOINTMENT_FOOTER_ES,
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: su cita de "
                    + _WITH_ES
                    + " ha cambiado al "
                    + _WHEN_SHORT
                    + ". {{ link }}",
                ),
                Channel.IN_APP: ("Cita cambiada", _WITH_ES + ", ahora el " + _WHEN_ES + "."),
            },
            "ar": {
                Channel.EMAIL: (
                    "تم تغيير موعدك إلى " + _WHEN_SHORT,
                    "مرحبًا {{ recipient_name }}،\n\nتم تغيير موعدك ("
                    + _WITH_AR
                    + ").\n\n"
                    + "الموعد الجديد: "
                    + _WHEN_AR
                    + "\n"
                    + 'الموعد السابق: {{ previous_start|date:"l j F Y" }}، '
                    'الساعة {{ previous_start|time:"H:i" }}' + _APPOINTMENT_FOOTER_AR,
                ),
                Channel.SMS: (
                    "",
                    "موعدك الآن " + _WHEN_SHORT + " في {{ site_name }} {{ link }}",
                ),
                Channel.IN_APP: (
                    "تم تغيير الموعد",
                    _WITH_AR + "، الموعد الجديد: " + _WHEN_AR + ".",
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
        sample={
            **_APPOINTMENT_SAMPLE,
            "by_staff": True,
            "reason": "The clinic is closed.",
            "booking_link": _BOOKING_LINK,
        },
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
                    "Su cita se ha cancelado, tal como solicitó{% endif %}:\n"
                    + _WITH_ES
                    + "\n"
                    + _WHEN_ES
                    + "{% if reason %}\n\nMotivo: {{ reason }}{% endif %}"
                    "\n\nPara reservar otra cita: {{ booking_link }}",
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: su cita del " + _WHEN_SHORT + " con {{ clinician_name }} "
                    "está cancelada.{% if by_staff %} Puede reservar otra: {{ booking_link }}"
                    "{% endif %}",
                ),
                Channel.IN_APP: (
                    "Cita cancelada",
                    _WITH_ES + ", " + _WHEN_ES + ".{% if reason %} Motivo: {{ reason }}{% endif %}",
                ),
            },
            "ar": {
                Channel.EMAIL: (
                    "تم إلغاء موعدك: " + _WHEN_SHORT,
                    "مرحبًا {{ recipient_name }}،\n\n"
                    "{% if by_staff %}قام المستشفى بإلغاء موعدك{% else %}"
                    "تم إلغاء موعدك بناءً على طلبك{% endif %}:\n"
                    + _WITH_AR
                    + "\n"
                    + _WHEN_AR
                    + "{% if reason %}\n\n"
                    + "السبب: {{ reason }}{% endif %}\n\n"
                    + "لحجز موعد آخر: {{ booking_link }}",
                ),
                Channel.SMS: (
                    "",
                    "تم إلغاء موعدك " + _WHEN_SHORT + " في {{ site_name }}."
                    "{% if by_staff %} لحجز موعد آخر: {{ booking_link }}{% endif %}",
                ),
                Channel.IN_APP: (
                    "تم إلغاء الموعد",
                    _WITH_AR + "، " + _WHEN_AR + ".{% if reason %} السبب: {{ reason }}{% endif %}",
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
            "es": {
                Channel.IN_APP: (
                    "Se ha registrado su llegada",
                    "{{ clinician_name }} le llamará en breve (" + _WHEN_ES + ").",
                ),
            },
            "ar": {
                Channel.IN_APP: (
                    "تم تسجيل وصولك",
                    "سيدعوك {{ clinician_name }} للدخول قريبًا (" + _WHEN_AR + ").",
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
        sample={**_APPOINTMENT_SAMPLE, "booking_link": _BOOKING_LINK},
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
            "es": {
                Channel.EMAIL: (
                    "Le esperábamos el " + _WHEN_SHORT,
                    "Hola {{ recipient_name }}:\n\nLe esperábamos para su cita ("
                    + _WITH_ES
                    + ") el "
                    + _WHEN_ES
                    + ".\n\nSi todavía la necesita, puede reservar otra: {{ booking_link }}",
                ),
                Channel.IN_APP: ("No acudió a su cita", _WITH_ES + ", " + _WHEN_ES + "."),
            },
            "ar": {
                Channel.EMAIL: (
                    "لم نرك في موعدك: " + _WHEN_SHORT,
                    "مرحبًا {{ recipient_name }}،\n\n"
                    + "كنا ننتظرك في موعدك ("
                    + _WITH_AR
                    + ") يوم "
                    + _WHEN_AR
                    + ".\n\n"
                    + "إذا كنت لا تزال بحاجة إليه، يُرجى حجز موعد آخر: {{ booking_link }}",
                ),
                Channel.IN_APP: ("موعد فائت", _WITH_AR + "، " + _WHEN_AR + "."),
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
                    "Recordatorio: su cita del " + _WHEN_SHORT,
                    "Hola {{ recipient_name }}:\n\nLe recordamos su cita:\n"
                    + _WITH_ES
                    + " ({{ department_name }})\n"
                    + _WHEN_ES
                    + _APPOINTMENT_FOOTER_ES,
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: le recordamos su cita, "
                    + _WITH_ES
                    + ", "
                    + _WHEN_SHORT
                    + ". {{ link }}",
                ),
                Channel.IN_APP: ("Recordatorio de cita", _WITH_ES + ", " + _WHEN_ES + "."),
            },
            "ar": {
                Channel.EMAIL: (
                    "تذكير بموعدك: " + _WHEN_SHORT,
                    "مرحبًا {{ recipient_name }}،\n\nنذكّرك بموعدك:\n"
                    + _WITH_AR
                    + " ({{ department_name }})\n"
                    + _WHEN_AR
                    + _APPOINTMENT_FOOTER_AR,
                ),
                Channel.SMS: (
                    "",
                    "تذكير بموعد " + _WHEN_SHORT + " في {{ site_name }} {{ link }}",
                ),
                Channel.IN_APP: ("تذكير بالموعد", _WITH_AR + "، " + _WHEN_AR + "."),
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
                    "Hay una cita disponible: " + _WHEN_SHORT,
                    "Hola {{ recipient_name }}:\n\nSe ha liberado una cita que estaba esperando y "
                    "la hemos reservado para usted:\n"
                    + _WITH_ES
                    + "\n"
                    + _WHEN_ES
                    + '\n\nAcéptela antes de las {{ hold_expires_at|time:"H:i" }} del '
                    '{{ hold_expires_at|date:"l j \\d\\e F" }}: {{ accept_link }}\n\n'
                    "Si no la desea, no tiene que hacer nada: se ofrecerá a la siguiente persona.",
                ),
                Channel.SMS: (
                    "",
                    "{{ site_name }}: le reservamos "
                    + _WITH_ES
                    + " "
                    + _WHEN_SHORT
                    + ' hasta las {{ hold_expires_at|time:"H:i" }}. Aceptar: {{ accept_link }}',
                ),
                Channel.IN_APP: (
                    "Le reservamos una cita",
                    _WITH_ES
                    + ", "
                    + _WHEN_ES
                    + '. Acéptela antes de las {{ hold_expires_at|time:"H:i" }}.',
                ),
            },
            "ar": {
                Channel.EMAIL: (
                    "أصبح موعد متاحًا لك: " + _WHEN_SHORT,
                    "مرحبًا {{ recipient_name }}،\n\nأصبح متاحًا موعد كنت تنتظره، وقد حجزناه لك:\n"
                    + _WITH_AR
                    + "\n"
                    + _WHEN_AR
                    + '\n\nيُرجى قبوله قبل الساعة {{ hold_expires_at|time:"H:i" }} يوم '
                    '{{ hold_expires_at|date:"l j F" }}: {{ accept_link }}\n\n'
                    "إذا كنت لا ترغب فيه، فلا حاجة إلى أي إجراء: سيُعرض على الشخص التالي.",
                ),
                Channel.SMS: (
                    "",
                    # No site name: the link alone takes 90 of the 134 characters.
                    'محجوز لك حتى {{ hold_expires_at|time:"H:i" }}: '
                    + _WHEN_SHORT
                    + " {{ accept_link }}",
                ),
                Channel.IN_APP: (
                    "موعد محجوز لك",
                    _WITH_AR
                    + "، "
                    + _WHEN_AR
                    + '. يُرجى قبوله قبل الساعة {{ hold_expires_at|time:"H:i" }}.',
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
_SECURITY_FOOTER_ES = (
    "\n\nSi ha sido usted, no tiene que hacer nada. Si no, cambie su contraseña ahora y "
    "revise la seguridad de su cuenta: {{ link }}"
)
_SECURITY_FOOTER_AR = "\n\n" + (
    "إذا كنت أنت من قام بذلك، فلا حاجة إلى أي إجراء. وإن لم تكن أنت، فيُرجى تغيير كلمة "
    "المرور الآن ومراجعة أمان حسابك: {{ link }}"
)
_AT = '{{ at|date:"l j F Y" }}, {{ at|time:"H:i" }} ({{ time_zone }})'
_AT_AR = '{{ at|date:"l j F Y" }}، الساعة {{ at|time:"H:i" }} ({{ time_zone }})'
_HELLO = {
    "en": "Hello {{ recipient_name }},\n\n",
    "es": "Hola {{ recipient_name }}:\n\n",
    "ar": "مرحبًا {{ recipient_name }}،\n\n",
}
_SECURITY_FOOTER = {"en": _SECURITY_FOOTER_EN, "es": _SECURITY_FOOTER_ES, "ar": _SECURITY_FOOTER_AR}

# ``factor`` arrives as an English phrase (notifications.subscribers._FACTOR_NAMES): named in
# the reader's language here, any other phrase as it came.
_FACTOR_NAMES = {
    "es": {
        "an authenticator app": "Una aplicación de autenticación",
        "a phone for text-message sign-in": "Un teléfono para iniciar sesión por SMS",
        "a passkey": "Una llave de acceso",
        "a set of recovery codes": "Un conjunto de códigos de recuperación",
        "a sign-in method": "Un método de inicio de sesión",
    },
    "ar": {
        "an authenticator app": "تطبيق مصادقة",
        "a phone for text-message sign-in": "هاتف لتسجيل الدخول عبر الرسائل النصية",
        "a passkey": "مفتاح مرور",
        "a set of recovery codes": "مجموعة من رموز الاسترداد",
        "a sign-in method": "وسيلة لتسجيل الدخول",
    },
}


def _factor(language: str) -> str:
    """``{{ factor|capfirst }}`` in ``language``: the phrase's translation when it is known."""
    branches = "".join(
        ("{% if" if index == 0 else "{% elif") + f' factor == "{english}" %}}{translated}'
        for index, (english, translated) in enumerate(_FACTOR_NAMES[language].items())
    )
    return branches + "{% else %}{{ factor|capfirst }}{% endif %}"


def _security(kind: str, label: str, wording: dict[str, tuple[str, str]]) -> None:
    """``wording``: (subject, sentence) per language; the email greets and adds the footer."""
    _register(
        MessageKind(
            kind=kind,
            category=Category.SECURITY,
            channels=(Channel.EMAIL, Channel.IN_APP),
            label=label,
            sample=_SECURITY_SAMPLE,
            mandatory=True,
            wording={
                language: {
                    Channel.EMAIL: (
                        subject,
                        _HELLO[language] + sentence + _SECURITY_FOOTER[language],
                    ),
                    Channel.IN_APP: (subject, sentence),
                }
                for language, (subject, sentence) in wording.items()
            },
        )
    )


_security(
    "security.new_sign_in",
    "New sign-in",
    {
        "en": (
            "New sign-in to your account",
            "Your account was signed in to from a new device ({{ device }}) on " + _AT + ".",
        ),
        "es": (
            "Nuevo inicio de sesión en su cuenta",
            "Se inició sesión en su cuenta desde un dispositivo nuevo ({{ device }}) el "
            + _AT
            + ".",
        ),
        "ar": (
            "تسجيل دخول جديد إلى حسابك",
            "تم تسجيل الدخول إلى حسابك من جهاز جديد ({{ device }}) يوم " + _AT_AR + ".",
        ),
    },
)
_security(
    "security.password_changed",
    "Password changed",
    {
        "en": (
            "Your password was changed",
            "The password of your account was changed on " + _AT + ".",
        ),
        "es": (
            "Se ha cambiado su contraseña",
            "La contraseña de su cuenta se cambió el " + _AT + ".",
        ),
        "ar": (
            "تم تغيير كلمة المرور",
            "تم تغيير كلمة المرور الخاصة بحسابك يوم " + _AT_AR + ".",
        ),
    },
)
_security(
    "security.email_changed",
    "Email address changed",
    {
        "en": (
            "Your sign-in email address was changed",
            "The email address you sign in with was changed on " + _AT + ". This address no "
            "longer signs in to the account.",
        ),
        "es": (
            "Se ha cambiado su correo electrónico de acceso",
            "El correo electrónico con el que inicia sesión se cambió el " + _AT + ". Esta "
            "dirección ya no permite iniciar sesión en la cuenta.",
        ),
        "ar": (
            "تم تغيير البريد الإلكتروني لتسجيل الدخول",
            "تم تغيير عنوان البريد الإلكتروني الذي تسجّل الدخول به يوم " + _AT_AR + ". "
            "لم يعد هذا العنوان يتيح تسجيل الدخول إلى الحساب.",
        ),
    },
)
_security(
    "security.factor_added",
    "Sign-in factor added",
    {
        "en": (
            "A sign-in method was added to your account",
            "{{ factor|capfirst }} was added to your account on " + _AT + ".",
        ),
        "es": (
            "Se ha añadido un método de inicio de sesión a su cuenta",
            _factor("es") + " se añadió a su cuenta el " + _AT + ".",
        ),
        "ar": (
            "تمت إضافة وسيلة لتسجيل الدخول إلى حسابك",
            "تمت إضافة " + _factor("ar") + " إلى حسابك يوم " + _AT_AR + ".",
        ),
    },
)
_security(
    "security.factor_removed",
    "Sign-in factor removed",
    {
        "en": (
            "A sign-in method was removed from your account",
            "{{ factor|capfirst }} was removed from your account on " + _AT + ".",
        ),
        "es": (
            "Se ha eliminado un método de inicio de sesión de su cuenta",
            _factor("es") + " se eliminó de su cuenta el " + _AT + ".",
        ),
        "ar": (
            "تمت إزالة وسيلة لتسجيل الدخول من حسابك",
            "تمت إزالة " + _factor("ar") + " من حسابك يوم " + _AT_AR + ".",
        ),
    },
)
_security(
    "security.recovery_code_used",
    "Recovery code used",
    {
        "en": (
            "A recovery code was used to sign in",
            "One of your recovery codes was used to sign in on " + _AT + ".",
        ),
        "es": (
            "Se ha usado un código de recuperación para iniciar sesión",
            "Se usó uno de sus códigos de recuperación para iniciar sesión el " + _AT + ".",
        ),
        "ar": (
            "تم استخدام رمز استرداد لتسجيل الدخول",
            "تم استخدام أحد رموز الاسترداد الخاصة بك لتسجيل الدخول يوم " + _AT_AR + ".",
        ),
    },
)
_security(
    "security.account_deactivated",
    "Account deactivated",
    {
        "en": (
            "Your account was deactivated",
            "Your account was deactivated on "
            + _AT
            + ". Contact the hospital if you did not expect this.",
        ),
        "es": (
            "Se ha desactivado su cuenta",
            "Su cuenta se desactivó el "
            + _AT
            + ". Póngase en contacto con el hospital si no lo esperaba.",
        ),
        "ar": (
            "تم إلغاء تفعيل حسابك",
            "تم إلغاء تفعيل حسابك يوم "
            + _AT_AR
            + ". يُرجى التواصل مع المستشفى إذا لم تكن تتوقع ذلك.",
        ),
    },
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
            },
            "es": {
                Channel.EMAIL: (
                    "Cambio en su agenda: " + _WHEN_SHORT,
                    "Hola {{ recipient_name }}:\n\n{% if change == 'cancelled' %}Cita cancelada"
                    "{% elif change == 'moved' %}Cita cambiada{% else %}Nueva cita{% endif %} en "
                    "su agenda: {{ type_name }}, {{ patient_label }}, "
                    + _WHEN_ES
                    + ".\n\nSu agenda: {{ link }}",
                ),
                Channel.IN_APP: (
                    "{% if change == 'cancelled' %}Cita cancelada{% elif change == 'moved' %}"
                    "Cita cambiada{% else %}Nueva cita{% endif %}: " + _WHEN_SHORT,
                    "{{ type_name }}, {{ patient_label }}, " + _WHEN_ES + ".",
                ),
            },
            "ar": {
                Channel.EMAIL: (
                    "تغيير في جدول مواعيدك: " + _WHEN_SHORT,
                    "مرحبًا {{ recipient_name }}،\n\n{% if change == 'cancelled' %}تم إلغاء موعد"
                    "{% elif change == 'moved' %}تم تغيير موعد{% else %}تم حجز موعد جديد"
                    "{% endif %} في جدولك: {{ type_name }}، {{ patient_label }}، "
                    + _WHEN_AR
                    + ".\n\nجدول مواعيدك: {{ link }}",
                ),
                Channel.IN_APP: (
                    "{% if change == 'cancelled' %}موعد ملغى{% elif change == 'moved' %}"
                    "موعد معدّل{% else %}حجز جديد{% endif %}: " + _WHEN_SHORT,
                    "{{ type_name }}، {{ patient_label }}، " + _WHEN_AR + ".",
                ),
            },
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
