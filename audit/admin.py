from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from audit.admin_reads import ReadsAudited
from audit.models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices


class ActorRoleFilter(admin.AllValuesFieldListFilter):
    """The roles found in the trail, in words ("compliance officer"); rows without an actor
    (the system, a signed-out visitor) as "No one signed in" rather than an empty link."""

    def choices(self, changelist: Any) -> Iterator[_ListFilterChoices]:
        for choice in super().choices(changelist):
            display = str(choice["display"])
            if display == "":
                choice["display"] = _("No one signed in")
            elif "_" in display or display.islower():
                choice["display"] = display.replace("_", " ").capitalize()
            yield choice


@admin.register(AuditEvent)
class AuditEventAdmin(ReadsAudited):
    """Read-only: audit rows are written by the code and never changed by anyone."""

    list_display = (
        "id",
        "occurred_at",
        "action",
        "outcome",
        "actor",
        "actor_role",
        "target_type",
        "target_id",
    )
    list_filter = ("outcome", "action", ("actor_role", ActorRoleFilter))
    search_fields = ("action", "target_id", "request_id")
    date_hierarchy = "occurred_at"
    list_select_related = ("actor",)
    show_full_result_count = False

    # Reading the trail is reading whose records were touched and by whom: each page is a read
    # of the patients it names (the row's patients, and its actor when a patient acted).
    def patients_of(self, obj: AuditEvent) -> Iterable[int | None]:
        return [*obj.patient_ids, obj.actor_id if obj.actor_role == "patient" else None]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
