"""Administrators' wording of messages: checked against sample data before it is saved,
audited when it changes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from audit.services import record
from notifications import catalog
from notifications.models import Channel, MessageTemplate
from notifications.services.rendering import (
    Rendered,
    TemplateInvalid,
    gsm7_folded,
    html_from_text,
    render_html,
    render_text,
    sms_segments,
)


def template_preview(
    *, kind: str, channel: str, language: str, subject: str, body: str, body_html: str = ""
) -> Rendered:
    """The wording rendered with the kind's sample data; raises ValidationError naming the
    field that does not render, or an SMS beyond two segments."""
    message_kind = catalog.KINDS.get(kind)
    if message_kind is None or kind == catalog.MAIL_KIND:
        raise ValidationError({"kind": _("There is no such kind of message.")})
    if channel not in message_kind.channels:
        raise ValidationError(
            {
                # Translators: kind is a kind of message ("Appointment booked"); channel is a
                # code: email, sms or in_app.
                "channel": _("%(kind)s is not sent by %(channel)s.")
                % {"kind": message_kind.label, "channel": channel}
            }
        )
    sample = {
        key: (value.isoformat() if hasattr(value, "isoformat") else value)
        for key, value in message_kind.sample.items()
    }
    zone = str(sample.get("time_zone") or "UTC")
    try:
        text = render_text(body, sample, zone=zone, language=language).strip()
    except TemplateInvalid as error:
        raise ValidationError(
            {"body": _("This does not render: %(error)s") % {"error": error}}
        ) from None
    try:
        title = " ".join(render_text(subject, sample, zone=zone, language=language).split())
    except TemplateInvalid as error:
        raise ValidationError(
            {"subject": _("This does not render: %(error)s") % {"error": error}}
        ) from None
    try:
        html = render_html(body_html, sample, zone=zone, language=language) if body_html else ""
    except TemplateInvalid as error:
        raise ValidationError(
            {"body_html": _("This does not render: %(error)s") % {"error": error}}
        ) from None
    if channel == Channel.SMS:
        # Counted as it will be sent: accents folded into the GSM alphabet where they can be.
        text = gsm7_folded(" ".join(text.split()))
        segments = sms_segments(text)
        if segments > 2:
            raise ValidationError(
                {
                    "body": ngettext(
                        "With the sample data this SMS takes %(count)d segment; keep it within "
                        "two (about 300 plain characters, 130 with other alphabets).",
                        "With the sample data this SMS takes %(count)d segments; keep it within "
                        "two (about 300 plain characters, 130 with other alphabets).",
                        segments,
                    )
                    % {"count": segments}
                }
            )
    elif channel == Channel.EMAIL and not title:
        raise ValidationError({"subject": _("An email needs a subject.")})
    return Rendered(
        subject=title,
        text=text,
        html=html or (html_from_text(text) if channel == Channel.EMAIL else ""),
    )


def message_template_save(
    *, template: MessageTemplate, changed_by: User, request: HttpRequest | None = None
) -> MessageTemplate:
    """Create or change an administrator's template after it rendered with sample data.
    Audited with the names of the fields that changed (never the text)."""
    template_preview(
        kind=template.kind,
        channel=template.channel,
        language=template.language,
        subject=template.subject,
        body=template.body,
        body_html=template.body_html,
    )
    before: dict[str, object] | None = (
        dict(MessageTemplate.objects.filter(pk=template.pk).values().first() or {})
        if template.pk
        else None
    )
    with transaction.atomic():
        template.updated_by = changed_by
        template.updated_at = timezone.now()
        template.full_clean()
        template.save()
        fields = [
            name
            for name in ("kind", "channel", "language", "subject", "body", "body_html")
            if before is None or before[name] != getattr(template, name)
        ]
        record(
            action="notifications.template_created"
            if before is None
            else "notifications.template_changed",
            actor=changed_by,
            target=template,
            request=request,
            details={
                "kind": template.kind,
                "channel": template.channel,
                "language": template.language,
                "fields": fields,
            },
        )
    return template


def message_template_delete(
    *, template: MessageTemplate, deleted_by: User, request: HttpRequest | None = None
) -> None:
    """Remove an administrator's template: the next fallback applies again. Audited."""
    with transaction.atomic():
        record(
            action="notifications.template_deleted",
            actor=deleted_by,
            target=template,
            request=request,
            details={
                "kind": template.kind,
                "channel": template.channel,
                "language": template.language,
            },
        )
        template.delete()
