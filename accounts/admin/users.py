"""Accounts in the admin: privileges, email address and name change through the services;
fields the person at the keyboard may not change are read-only for them; nobody sets another
person's password here (the owner gets a reset link)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.admin_forms import (
    MAIN_FORM,
    PatientSearchAudited,
    SavesThroughServices,
    ServiceRefusal,
    UserAddForm,
    UserChangeForm,
    adopt,
)
from accounts.authentication import signed_in_user
from accounts.models import User
from accounts.permissions import account_administration_refusal
from accounts.roles import Role
from accounts.services.emails import user_email_change_by_staff
from accounts.services.password_resets import password_set_refused, user_password_reset_send
from accounts.services.privileges import PRIVILEGE_FIELDS, user_privileges_change
from accounts.services.users import user_create, user_details_change
from core.errors import DomainError

_ALWAYS_READ_ONLY = ("public_id", "password_status", "last_login", "date_joined", "groups")


@admin.register(User)
class UserAdmin(PatientSearchAudited, SavesThroughServices):
    form = UserChangeForm

    def patient_of(self, obj: User) -> int | None:
        return obj.pk if obj.role == Role.PATIENT else None

    ordering = ("email",)
    list_display = ("email", "full_name", "role", "is_active", "date_joined")
    list_filter = ("role", "is_active", "is_superuser")
    search_fields = ("email", "full_name")
    actions = ("send_password_reset",)
    fieldsets = (
        (None, {"fields": ("email", "password_status", "public_id")}),
        (_("Personal info"), {"fields": ("full_name",)}),
        (_("Role and access"), {"fields": ("role", "is_active", "is_superuser", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "fields": ("email", "full_name", "role"),
                "description": _(
                    "The new member chooses a password from the link we email them. Nobody "
                    "else ever sets it."
                ),
            },
        ),
    )

    @admin.display(description=_("Password"))
    def password_status(self, user: User) -> str:
        if not user.has_usable_password():
            return gettext("Not set yet. Its owner sets it from a password reset link.")
        return gettext("Set by its owner. To replace it, send them a password reset.")

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        if obj is None:
            return ()
        actor = signed_in_user(request)
        read_only = list(_ALWAYS_READ_ONLY)
        if account_administration_refusal(actor=actor, user=obj) is not None:
            # Oneself (changed on one's own pages) or, for a non-superuser, a privileged account.
            read_only += ["email", *PRIVILEGE_FIELDS]
            if actor.pk != obj.pk:
                read_only.append("full_name")
        elif not actor.is_superuser:
            read_only.append("is_superuser")
        return read_only

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = UserAddForm
        form_class = super().get_form(request, obj, change=change, **kwargs)
        # The privilege rule is asked while validating: it needs who is at the keyboard.
        return type(
            form_class.__name__,
            (form_class,),
            {"actor": signed_in_user(request), "request": request},
        )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        actor = signed_in_user(request)
        data = form.cleaned_data
        try:
            if not change:
                created = user_create(
                    email=data["email"],
                    password=None,  # its owner chooses it from the reset link
                    full_name=data.get("full_name", ""),
                    role=data["role"],
                    created_by=actor,
                    request=request,
                    source="admin",
                )
                adopt(obj, created)
                user_password_reset_send(
                    user=created, sent_by=actor, request=request, new_account=True
                )
                return
            stored = User.objects.get(pk=obj.pk)  # ``obj`` already carries the form's values
            if "full_name" in form.changed_data:
                user_details_change(
                    user=stored, changed_by=actor, full_name=data["full_name"], request=request
                )
            if "email" in form.changed_data:
                user_email_change_by_staff(
                    user=stored, email=data["email"], changed_by=actor, request=request
                )
            privileges = {f: data[f] for f in PRIVILEGE_FIELDS if f in form.changed_data}
            if privileges:
                user_privileges_change(user=stored, changed_by=actor, request=request, **privileges)
            adopt(obj, stored)
        except (ValidationError, DomainError) as error:
            raise ServiceRefusal.of(MAIN_FORM, error) from None

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False  # deactivate instead: audit history points at accounts

    # --- passwords: never set here, only reset by their owner --------------------------------

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:user_id>/password/",
                self.admin_site.admin_view(self.password_set_refused_view),
                name="accounts_user_password_change",
            ),
            path(
                "<int:user_id>/send-password-reset/",
                self.admin_site.admin_view(require_POST(self.send_password_reset_view)),
                name="accounts_user_send_password_reset",
            ),
        ]
        return own + super().get_urls()

    def password_set_refused_view(self, request: HttpRequest, user_id: int) -> HttpResponse:
        """Django's "change password" page of a user: refused to everyone (ASVS 6.4.6)."""
        user = get_object_or_404(User, pk=user_id)
        password_set_refused(user=user, attempted_by=signed_in_user(request), request=request)
        return HttpResponse(
            gettext("Nobody sets another person's password. Send them a password reset instead."),
            status=403,
            content_type="text/plain; charset=utf-8",
        )

    def send_password_reset_view(self, request: HttpRequest, user_id: int) -> HttpResponse:
        user = get_object_or_404(User, pk=user_id)
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        self._send_resets(request, [user])
        return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))

    @admin.action(description=_("Send a password reset link"), permissions=["change"])
    def send_password_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._send_resets(request, list(queryset))

    def _send_resets(self, request: HttpRequest, users: list[User]) -> None:
        actor = signed_in_user(request)
        sent = 0
        for user in users:
            try:
                user_password_reset_send(user=user, sent_by=actor, request=request)
            except DomainError as refused:
                self.message_user(request, f"{user.email}: {refused.message}", messages.ERROR)
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "Password reset link sent to %(count)d account(s).",
                    "Password reset link sent to %(count)d account(s).",
                    sent,
                )
                % {"count": sent},
                messages.SUCCESS,
            )
