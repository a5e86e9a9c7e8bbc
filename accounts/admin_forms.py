"""Forms of the Django admin, and how an admin page saves through the services.

The admin is a front door like the API and the pages: it parses and renders, the services
decide. Two pieces make that work with Django's admin views:

- the user forms ask the privilege rule (``services.privileges.privileges_change_check``)
  while validating, so a refused change is an ordinary form error (and its audit row
  commits with the page, which writes nothing else);
- ``SavesThroughServices`` lets ``save_model``/``save_formset`` call services that may still
  refuse (an overlap found only against the database, say): the refusal aborts the admin's
  transaction, so nothing is written, and the page is shown again with the service's message
  on the form or inline row it concerns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse

from accounts.errors import PrivilegeChangeRefused
from accounts.models import User
from accounts.roles import ADMIN_SITE_ROLES, Role
from accounts.services.privileges import PRIVILEGE_FIELDS, privileges_change_check
from audit.admin_reads import ReadsAudited
from core.errors import DomainError

# --- Saving through the services ---------------------------------------------------------------

MAIN_FORM = ""  # the key of the page's own form among the refusals (inline rows: their prefix)


class ServiceRefusal(Exception):
    """A service refused what an admin page was saving; raised to roll the page's
    transaction back. ``errors`` maps a form prefix (``MAIN_FORM`` or an inline row's) to the
    service's error."""

    def __init__(self, errors: Mapping[str, ValidationError]) -> None:
        super().__init__("A service refused the admin's save.")
        self.errors = dict(errors)

    @classmethod
    def of(cls, prefix: str, error: ValidationError | DomainError) -> ServiceRefusal:
        if isinstance(error, DomainError):
            error = ValidationError(error.message, code=error.code)
        return cls({prefix: error})


_refusals: WeakKeyDictionary[HttpRequest, dict[str, ValidationError]] = WeakKeyDictionary()


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's error on the form: on the fields it names where the form has them,
    above the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        known = field in form.fields and field != NON_FIELD_ERRORS
        form.add_error(field if known else None, messages)


class ServiceInlineFormSet(BaseInlineFormSet[Any, Any, Any]):
    """An inline formset that shows the refusals of the previous attempt on their rows."""

    def __init__(
        self, *args: Any, refusals: Mapping[str, ValidationError] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.refusals = dict(refusals or {})

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if form.prefix in self.refusals:
                add_service_error(form, self.refusals[form.prefix])


class SavesThroughServices(admin.ModelAdmin[Any]):
    """Mixin for admins whose ``save_model``/``save_formset`` call services that may refuse
    (raise ``ServiceRefusal``): the page is validated again with the refusal shown."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefusal as refusal:
            # The admin's transaction rolled back: nothing of this save was written.
            _refusals[request] = refusal.errors
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = _refusals.get(request, {}).get(MAIN_FORM)
        if refusal is None:
            return form_class

        def clean(form: forms.ModelForm[Any]) -> dict[str, Any]:
            cleaned = form_class.clean(form)
            add_service_error(form, refusal)
            return cleaned if cleaned is not None else form.cleaned_data

        return type(form_class.__name__, (form_class,), {"clean": clean})

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Any, inline: Any, prefix: str
    ) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        refusals = _refusals.get(request)
        if refusals and issubclass(inline.formset, ServiceInlineFormSet):
            kwargs["refusals"] = refusals
        return kwargs


def adopt(form_object: Any, created: Any) -> None:
    """Make the admin's unsaved instance the row a service created (the admin goes on with
    its own instance: related rows, the log entry, the redirect)."""
    for field in created._meta.concrete_fields:
        setattr(form_object, field.attname, getattr(created, field.attname))
    form_object._state.adding = False
    form_object._state.db = created._state.db


# --- Users ------------------------------------------------------------------------------------


class _UserAdminForm(forms.ModelForm[User]):
    """Knows who is at the keyboard (set by ``UserAdmin.get_form``) so that the privilege
    rule is asked while validating and the roles they may not grant are not offered."""

    actor: ClassVar[User | None] = None
    request: ClassVar[HttpRequest | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields.get("role")
        actor = self.actor
        if isinstance(role, forms.ChoiceField) and actor is not None and not actor.is_superuser:
            # Not offered; still accepted as input so that the rule refuses it (and audits it).
            role.widget.choices = [
                (value, label) for value, label in Role.choices if value not in ADMIN_SITE_ROLES
            ]

    def _check_privileges(self, *, user: User | None, changes: Mapping[str, Any]) -> None:
        if not changes:
            return
        try:
            privileges_change_check(
                user=user,
                changed_by=self.actor,
                changes=changes,
                request=self.request,
                surface="admin",
            )
        except PrivilegeChangeRefused as refused:
            for field, reason in refused.refusals.items():
                self.add_error(field if field in self.fields else None, reason)


class UserAddForm(_UserAdminForm):
    """A new account: no password here. Its owner chooses one from the link we email."""

    class Meta:
        model = User
        fields: ClassVar = ("email", "full_name", "role")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "role" in cleaned:
            self._check_privileges(user=None, changes={"role": cleaned["role"]})
        return cleaned


class UserChangeForm(_UserAdminForm):
    """Fields the person at the keyboard may not change are read-only on the page (not in
    the form); a post that carries them anyway is an attempt to exceed one's privileges:
    refused and audited like a change of an editable field."""

    class Meta:
        model = User
        fields: ClassVar = ("email", "full_name", "role", "is_active", "is_superuser")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self._check_privileges(user=self.instance, changes=self._privilege_changes(cleaned))
        return cleaned

    def _privilege_changes(self, cleaned: Mapping[str, Any]) -> dict[str, Any]:
        user = self.instance
        changes: dict[str, Any] = {}
        for field in PRIVILEGE_FIELDS:
            current = getattr(user, field)
            if field in self.fields:
                if field in cleaned and cleaned[field] != current:
                    changes[field] = cleaned[field]
            elif field in self.data:  # posted although read-only for them
                posted = self.data[field]
                wanted = posted if field == "role" else posted not in ("", "off", "false", "0")
                if wanted != current:
                    changes[field] = wanted
        return changes


# --- Searches that find patients ----------------------------------------------------------


class PatientSearchAudited(ReadsAudited):
    """A search on an admin list that finds patients (by record number, name or email) is a
    lookup: audited like the reception's (``accounts.services.lookup``), with the list it was
    made on and how many rows matched, never with what was searched for."""

    def get_search_results(
        self, request: HttpRequest, queryset: Any, search_term: str
    ) -> tuple[Any, bool]:
        from accounts.authentication import signed_in_user
        from accounts.services.lookup import LOOKED_UP
        from audit.services import record

        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            record(
                action=LOOKED_UP,
                actor=signed_in_user(request),
                request=request,
                details={
                    "surface": "admin",
                    "list": self.model._meta.label_lower,
                    "matches": results.count(),
                },
            )
        return results, may_have_duplicates
