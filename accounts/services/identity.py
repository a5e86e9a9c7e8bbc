"""A patient's identity (legal name, date of birth, sex) changes only through a request that
the reception or an administrator approves. The patient asks (profile page or API), staff
decide (staff page or admin); every step is audited by field name, never by value, and the
sign-up rule for the date of birth is applied when asking and again when approving."""

from __future__ import annotations

import copy
import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import (
    IdentityChangeAlreadyDecided,
    IdentityDecisionRefused,
)
from accounts.models import IdentityChangeRequest, PatientProfile, User
from accounts.permissions import can_decide_identity_changes
from accounts.services.profiles import PATIENT_IDENTITY_FIELDS
from audit.services import Outcome, record
from core.errors import NotFoundError

Status = IdentityChangeRequest.Status


def _as_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def _from_text(field: str, text: str) -> Any:
    if field == IdentityChangeRequest.Field.DATE_OF_BIRTH:
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise ValidationError({field: _("Enter a valid date.")}) from None
    return text


def _validated(profile: PatientProfile, changes: dict[str, Any]) -> dict[str, Any]:
    """The requested values as the profile would store them, checked by the profile's own
    rules (lengths, choices, the date-of-birth rule); field errors otherwise."""
    if not changes:
        raise ValidationError(_("Ask for at least one change: legal name, date of birth or sex."))
    unknown = set(changes) - set(PATIENT_IDENTITY_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), _("This is not an identity field.")))
    if isinstance(changes.get("legal_name"), str):
        changes["legal_name"] = changes["legal_name"].strip()
    candidate = copy.copy(profile)
    for field, value in changes.items():
        setattr(candidate, field, value)
    candidate.full_clean(
        exclude=[f.name for f in PatientProfile._meta.fields if f.name not in changes]
    )
    already: dict[str, str] = {
        IdentityChangeRequest.Field.LEGAL_NAME: _("This is already your legal name."),
        IdentityChangeRequest.Field.DATE_OF_BIRTH: _("This is already your date of birth."),
        IdentityChangeRequest.Field.SEX: _("This is already your sex."),
    }
    unchanged = {
        field: already[field]
        for field in changes
        if getattr(profile, field) == getattr(candidate, field)
    }
    if unchanged:
        raise ValidationError(unchanged)
    return {
        field: getattr(candidate, field) for field in PATIENT_IDENTITY_FIELDS if field in changes
    }


@transaction.atomic
def identity_change_request(
    *, patient: User, request: HttpRequest | None = None, **changes: Any
) -> list[IdentityChangeRequest]:
    """The patient asks to change identity fields; nothing changes until staff approve.

    One request per field; a newer request for a field replaces the pending one.
    """
    profile = PatientProfile.objects.select_for_update().filter(user=patient).first()
    if profile is None:
        raise NotFoundError(_("This account has no patient profile."))
    wanted = _validated(profile, dict(changes))
    created = []
    for field, value in wanted.items():
        replaced = IdentityChangeRequest.objects.filter(
            patient=patient, field=field, status=Status.PENDING
        ).update(status=Status.WITHDRAWN, decided_at=timezone.now())
        change_request = IdentityChangeRequest.objects.create(
            patient=patient,
            field=field,
            old_value=_as_text(getattr(profile, field)),
            new_value=_as_text(value),
        )
        details: dict[str, Any] = {"field": field}
        if replaced:
            details["replaced_pending"] = True
        record(
            action="accounts.identity_change_requested",
            actor=patient,
            target=change_request,
            patient=patient,
            request=request,
            details=details,
        )
        created.append(change_request)
    return created


def _decision_check(
    *, change_request: IdentityChangeRequest, decided_by: User, request: HttpRequest | None
) -> None:
    # Outside the decision's transaction: the refusal is kept.
    if can_decide_identity_changes(user=decided_by) and decided_by.pk != change_request.patient_id:
        return
    record(
        action="accounts.identity_change_decision_refused",
        outcome=Outcome.DENIED,
        actor=decided_by,
        target=change_request,
        patient=change_request.patient,
        request=request,
        details={"field": change_request.field},
    )
    raise IdentityDecisionRefused()


def _lock_pending(change_request: IdentityChangeRequest) -> IdentityChangeRequest:
    locked = IdentityChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if not locked.is_pending:
        raise IdentityChangeAlreadyDecided()
    return locked


def identity_change_approve(
    *,
    change_request: IdentityChangeRequest,
    decided_by: User,
    request: HttpRequest | None = None,
) -> IdentityChangeRequest:
    """Staff approve: the profile takes the new value (checked again by the profile's rules,
    the sign-up rule included), the request records who decided and when."""
    _decision_check(change_request=change_request, decided_by=decided_by, request=request)
    with transaction.atomic():
        locked = _lock_pending(change_request)
        profile = PatientProfile.objects.select_for_update().get(user_id=locked.patient_id)
        field = locked.field
        setattr(profile, field, _from_text(field, locked.new_value))
        # The field's own rules (the date-of-birth rule again); not the others, which this
        # decision does not touch.
        profile.full_clean(exclude=[f.name for f in PatientProfile._meta.fields if f.name != field])
        profile.save(update_fields=[field, "updated_at"])
        patient = profile.user
        if field == IdentityChangeRequest.Field.LEGAL_NAME and patient.full_name in (
            "",
            locked.old_value,
        ):
            patient.full_name = locked.new_value  # the name the account is shown by follows
            patient.save(update_fields=["full_name"])
        _decide(locked, status=Status.APPROVED, decided_by=decided_by)
        record(
            action="accounts.identity_change_approved",
            actor=decided_by,
            target=locked,
            patient=patient,
            request=request,
            details={"field": field},
        )
    return locked


def identity_change_reject(
    *,
    change_request: IdentityChangeRequest,
    decided_by: User,
    note: str = "",
    request: HttpRequest | None = None,
) -> IdentityChangeRequest:
    """Staff reject, with a note the patient sees (e.g. which proof to bring)."""
    _decision_check(change_request=change_request, decided_by=decided_by, request=request)
    with transaction.atomic():
        locked = _lock_pending(change_request)
        locked.decision_note = note.strip()
        locked.full_clean(exclude=["patient", "decided_by"])
        _decide(locked, status=Status.REJECTED, decided_by=decided_by)
        record(
            action="accounts.identity_change_rejected",
            actor=decided_by,
            target=locked,
            patient=locked.patient,
            request=request,
            details={"field": locked.field},
        )
    return locked


def _decide(change_request: IdentityChangeRequest, *, status: str, decided_by: User) -> None:
    change_request.status = status
    change_request.decided_by = decided_by
    change_request.decided_at = timezone.now()
    change_request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
