"""The admin's reads of patients' data, audited (audit/access.py): a change page showing one
patient's data is a read of their record, a list page a read of each patient on it. Every
admin of a model that shows patients' data takes :class:`ReadsAudited` and says which patients
a row shows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from audit.access import viewed
from audit.services import AuditTarget


class ReadsAudited(admin.ModelAdmin[Any]):
    """``patient_of`` names the patient a row shows (default: its ``patient_id``);
    ``patients_of`` the patients, when a row shows several."""

    def patient_of(self, obj: Any) -> int | None:
        patient_id: int | None = getattr(obj, "patient_id", None)
        return patient_id

    def patients_of(self, obj: Any) -> Iterable[int | None]:
        return [self.patient_of(obj)]

    def _audited(self, request: HttpRequest, objects: Iterable[Any], target: Any) -> None:
        shown = [patient for obj in objects for patient in self.patients_of(obj)]
        viewed(patients=shown, target=target, request=request)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            list_of = AuditTarget(f"admin.{self.model._meta.label_lower}_list")
            self._audited(request, changelist.result_list, list_of)
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = getattr(response, "context_data", {}).get("original")
        if shown is not None:
            self._audited(request, [shown], shown)
        return response
