from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.roles import Role
from audit.models import AuditEvent


class ActorRoleFilter(admin.SimpleListFilter):
    """The actor's role then, by its name; rows without an actor (the system, a signed-out
    visitor) as "No one signed in" rather than an empty link."""

    title = "actor role"
    parameter_name = "actor_role"
    NOBODY = "-"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*Role.choices, (self.NOBODY, "No one signed in")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[AuditEvent]
    ) -> QuerySet[AuditEvent]:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(actor_role="" if value == self.NOBODY else value)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
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
    list_filter = ("outcome", "action", ActorRoleFilter)
    search_fields = ("action", "target_id", "request_id")
    date_hierarchy = "occurred_at"
    list_select_related = ("actor",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
