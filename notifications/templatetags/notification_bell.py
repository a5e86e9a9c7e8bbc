"""The bell in the page header: a link to the notifications with the unread count."""

from __future__ import annotations

from django import template
from django.db import DatabaseError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from notifications.selectors import unread_count_of

register = template.Library()


@register.simple_tag(takes_context=True)
def notification_bell(context: template.Context) -> SafeString | str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return ""
    try:
        unread: int | None = unread_count_of(user=user, request=request)
    except DatabaseError:
        # Error pages render without the database: the bell without its count.
        unread = None
    if unread:
        # Translators: the label of the bell in the page header that links to the notifications.
        label = ngettext(
            "Notifications, %(count)s unread", "Notifications, %(count)s unread", unread
        ) % {"count": unread}
    else:
        label = _("Notifications")
    return format_html(
        '<a class="bell" href="{}" aria-label="{}" data-bell>'
        '<svg aria-hidden="true" focusable="false" width="20" height="20" viewBox="0 0 24 24">'
        '<path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11'
        'a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"/></svg>'
        '<span class="bell-count" data-unread-count="{}"{}>{}</span></a>',
        reverse("notifications:inbox"),
        label,
        unread or 0,
        mark_safe("" if unread else " hidden"),  # noqa: S308 - a constant
        unread or "",
    )
