"""Libraries' models in our admin, read-only: their writes would skip our services.

- Email addresses (allauth): changed through the user's page (``emails.user_email_change_by_
  staff``: audited, confirmed, the old address told) or by their owner; never marked verified
  by hand.
- Authenticator apps (django-otp): their secret and QR code never show (anyone who saw them
  could pass the account's second factor); devices are set up and removed by their owner.
- Groups: each role's permissions are declared in code (``<app>/roles.py``) and synced on
  every migrate, so an edit here would be an unaudited privilege change that the next deploy
  silently reverts.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role
from audit.admin_reads import ReadsAudited


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PersonReadsAudited(ReadsAudited):
    """A row naming a patient (their address, their authenticator) is a read of their record."""

    def patient_of(self, obj: Any) -> int | None:
        user = obj.user
        return user.pk if user is not None and user.role == Role.PATIENT else None


class EmailAddressAdmin(PersonReadsAudited, ReadOnlyAdmin):
    list_display = ("email", "user", "primary", "verified")
    list_filter = ("primary", "verified")
    search_fields = ("email", "user__email")
    list_select_related = ("user",)


class TOTPDeviceAdmin(PersonReadsAudited, ReadOnlyAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__email", "name")
    list_select_related = ("user",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")


class RoleGroupAdmin(ReadOnlyAdmin):
    list_display = ("name",)
    search_fields = ("name",)
    fields = ("name", "permission_list")

    @admin.display(description=gettext_lazy("permissions"))
    def permission_list(self, group: Group) -> SafeString:
        # One query (the read-only field's own rendering read each permission's model apart).
        permissions = group.permissions.select_related("content_type").order_by(
            "content_type__app_label", "codename"
        )
        return format_html_join("", "<div>{}</div>", ((str(p),) for p in permissions))


for model, model_admin in (
    (EmailAddress, EmailAddressAdmin),
    (TOTPDevice, TOTPDeviceAdmin),
    (Group, RoleGroupAdmin),
):
    if admin.site.is_registered(model):  # by the library's own admin module
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
