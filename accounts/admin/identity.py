"""Identity change requests in the admin: approved or rejected through the identity services,
never edited."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.authentication import signed_in_user
from accounts.models import IdentityChangeRequest
from accounts.permissions import can_decide_identity_changes
from accounts.services.identity import identity_change_approve, identity_change_reject
from audit.admin_reads import ReadsAudited
from core.errors import DomainError


@admin.register(IdentityChangeRequest)
class IdentityChangeRequestAdmin(ReadsAudited):
    """Patients' requests to change their legal name, date of birth or sex: decided here (or
    on the reception's page) through the identity services, which audit each decision."""

    list_display = ("patient", "field", "old_value", "new_value", "status", "requested_at")
    list_filter = ("status", "field")
    search_fields = ("patient__email", "patient__patient_profile__medical_record_number")
    list_select_related = ("patient",)
    actions = ("approve_requests", "reject_requests")
    readonly_fields = [field.name for field in IdentityChangeRequest._meta.fields]

    def has_view_permission(
        self, request: HttpRequest, obj: IdentityChangeRequest | None = None
    ) -> bool:
        return can_decide_identity_changes(user=signed_in_user(request))

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return can_decide_identity_changes(user=signed_in_user(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: IdentityChangeRequest | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: IdentityChangeRequest | None = None
    ) -> bool:
        return False

    @admin.action(description=_("Approve the selected changes"), permissions=["decide"])
    def approve_requests(
        self, request: HttpRequest, queryset: QuerySet[IdentityChangeRequest]
    ) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(
        description=_("Reject the selected changes (the patient is asked for proof)"),
        permissions=["decide"],
    )
    def reject_requests(
        self, request: HttpRequest, queryset: QuerySet[IdentityChangeRequest]
    ) -> None:
        self._decide(request, queryset, approve=False)

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[IdentityChangeRequest], *, approve: bool
    ) -> None:
        actor = signed_in_user(request)
        decided = 0
        for change_request in queryset.select_related("patient"):
            try:
                if approve:
                    identity_change_approve(
                        change_request=change_request, decided_by=actor, request=request
                    )
                else:
                    identity_change_reject(
                        change_request=change_request,
                        decided_by=actor,
                        note=gettext("Please bring proof of the change to the reception."),
                        request=request,
                    )
            except (ValidationError, DomainError) as refused:
                message = refused.message if isinstance(refused, DomainError) else refused
                self.message_user(request, f"{change_request}: {message}", messages.ERROR)
            else:
                decided += 1
        if decided:
            self.message_user(
                request,
                ngettext("%(count)d request(s) decided.", "%(count)d request(s) decided.", decided)
                % {"count": decided},
                messages.SUCCESS,
            )
