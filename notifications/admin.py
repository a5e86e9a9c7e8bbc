"""Operators' view of messages: every delivery with filters, the dead-letter list with a
retry action, and the message templates with a preview on sample data. The admin is a front
door like the API: template saves and retries go through the services (checked, audited);
deliveries themselves are read-only, and their bodies (which may hold one-time links) are
never shown."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.authentication import signed_in_user
from notifications import catalog
from notifications.models import Delivery, FailedDelivery, MessageTemplate
from notifications.services import retries, templates


def _masked(address: str) -> str:
    """Enough of an address to recognise it in a list, not to copy it."""
    if "@" in address:
        name, _at, domain = address.partition("@")
        return f"{name[:2]}…@{domain}"
    return f"…{address[-4:]}" if address else ""


@admin.action(
    description=gettext_lazy("Send the selected failed deliveries again"), permissions=["change"]
)
def retry_deliveries(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Delivery]
) -> None:
    count = retries.deliveries_retry(
        delivery_ids=queryset.values_list("pk", flat=True),
        retried_by=signed_in_user(request),
        request=request,
    )
    skipped = queryset.count() - count
    message = ngettext("%(count)d queued again.", "%(count)d queued again.", count) % {
        "count": count
    }
    if skipped:
        message += " " + ngettext(
            "%(count)d left as they were (not failed, bounced or undelivered).",
            "%(count)d left as they were (not failed, bounced or undelivered).",
            skipped,
        ) % {"count": skipped}
    modeladmin.message_user(request, message, messages.SUCCESS if count else messages.WARNING)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = (
        "created_at",
        "kind",
        "channel",
        "status",
        "attempts",
        "to",
        "next_attempt_at",
        "last_error",
    )
    list_filter = (
        "status",
        "channel",
        "category",
        "kind",
        ("created_at", admin.DateFieldListFilter),
    )
    date_hierarchy = "created_at"
    search_fields = ("=public_id", "=provider_message_id", "=topic")
    ordering = ("-created_at", "-id")
    actions = (retry_deliveries,)
    list_per_page = 50
    show_full_result_count = False
    fields = (
        "public_id",
        "kind",
        "category",
        "channel",
        "topic",
        "recipient_public_id",
        "to",
        "language",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "queued_at",
        "sent_at",
        "status_changed_at",
        "provider_message_id",
        "last_error",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("to"))
    def to(self, delivery: Delivery) -> str:
        return _masked(delivery.address) or _("in-app")

    @admin.display(description=gettext_lazy("recipient"))
    def recipient_public_id(self, delivery: Delivery) -> str:
        return str(delivery.recipient.public_id) if delivery.recipient else "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).select_related("recipient")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # "change" is the retry action's permission; the change page itself is read-only.
        return obj is None and super().has_change_permission(request, obj)


@admin.register(FailedDelivery)
class FailedDeliveryAdmin(DeliveryAdmin):
    list_filter = (
        "status",
        "channel",
        "category",
        "kind",
        ("created_at", admin.DateFieldListFilter),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).filter(status__in=retries.RETRYABLE)


class MessageTemplateForm(forms.ModelForm[MessageTemplate]):
    kind = forms.ChoiceField(
        choices=[
            (kind.kind, kind.label)
            for kind in catalog.KINDS.values()
            if kind.kind != catalog.MAIL_KIND
        ]
    )

    class Meta:
        model = MessageTemplate
        fields = ("kind", "channel", "language", "subject", "body", "body_html")
        widgets = {
            "body": forms.Textarea(attrs={"rows": 8}),
            "body_html": forms.Textarea(attrs={"rows": 8}),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            templates.template_preview(
                kind=cleaned["kind"],
                channel=cleaned["channel"],
                language=cleaned["language"],
                subject=cleaned.get("subject", ""),
                body=cleaned.get("body", ""),
                body_html=cleaned.get("body_html", ""),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin[MessageTemplate]):
    form = MessageTemplateForm
    list_display = ("kind", "channel", "language", "updated_at", "updated_by")
    list_filter = ("channel", "language", "kind")
    search_fields = ("kind", "subject")
    readonly_fields = ("names_you_can_use", "preview", "updated_at", "updated_by")

    def get_fields(self, request: HttpRequest, obj: MessageTemplate | None = None) -> Any:
        fields = [
            "kind",
            "channel",
            "language",
            "subject",
            "body",
            "body_html",
            "names_you_can_use",
        ]
        return [*fields, "preview", "updated_at", "updated_by"] if obj is not None else fields

    @admin.display(description=gettext_lazy("names you can use"))
    def names_you_can_use(self, template: MessageTemplate | None) -> SafeString:
        rows = [
            (kind.label, ", ".join(f"{{{{ {name} }}}}" for name in kind.sample))
            for kind in catalog.KINDS.values()
            if kind.kind != catalog.MAIL_KIND
        ]
        dates = format_html(
            _(
                # Translators: example is a template expression such as {{ start|date:"l j F" }}.
                "Times take Django's date filters, e.g. {example}; they are shown in the "
                "reader's time zone and language."
            ),
            example=SafeString('<code>{{ start|date:"l j F" }}</code>'),
        )
        return format_html(
            "<dl>{}</dl><p>{}</p>",
            format_html_join("", "<dt>{}</dt><dd><code>{}</code></dd>", rows),
            dates,
        )

    @admin.display(description=gettext_lazy("preview with sample data"))
    def preview(self, template: MessageTemplate) -> SafeString:
        try:
            rendered = templates.template_preview(
                kind=template.kind,
                channel=template.channel,
                language=template.language,
                subject=template.subject,
                body=template.body,
                body_html=template.body_html,
            )
        except ValidationError as error:
            return format_html("<p class='errornote'>{}</p>", "; ".join(error.messages))
        return format_html(
            "<p><strong>{}</strong></p><pre style='white-space:pre-wrap'>{}</pre>{}",
            rendered.subject,
            rendered.text,
            format_html(
                "<iframe sandbox title='{}' srcdoc='{}' style='width:100%;height:16rem;"
                "border:1px solid #ccc'></iframe>",
                _("HTML part"),
                rendered.html,
            )
            if rendered.html
            else "",
        )

    def save_model(
        self, request: HttpRequest, obj: MessageTemplate, form: Any, change: bool
    ) -> None:
        templates.message_template_save(
            template=obj, changed_by=signed_in_user(request), request=request
        )

    def delete_model(self, request: HttpRequest, obj: MessageTemplate) -> None:
        templates.message_template_delete(
            template=obj, deleted_by=signed_in_user(request), request=request
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[MessageTemplate]) -> None:
        for template in queryset:
            self.delete_model(request, template)
