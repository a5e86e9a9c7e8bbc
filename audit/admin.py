from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent


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
    list_filter = ("outcome", "action", "actor_role")
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
