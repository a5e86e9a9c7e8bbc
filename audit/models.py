"""The audit row: append-only, written in the same transaction as the action it records."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.fields import PatientIdsField


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit row."""


_Row = TypeVar("_Row", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_Row]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit rows cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit rows cannot be deleted.")


class AuditEventQuerySet(AppendOnlyQuerySet["AuditEvent"]):
    def concerning(self, patient_id: int) -> AuditEventQuerySet:
        """The rows about this patient: naming them alone (``patient``) or among the patients
        a list showed (``patients``)."""
        return self.filter(models.Q(patient_id=patient_id) | models.Q(patients__names=patient_id))


class AuditSealQuerySet(AppendOnlyQuerySet["AuditSeal"]):
    pass


class AuditCheckpointQuerySet(AppendOnlyQuerySet["AuditCheckpoint"]):
    pass


class AuditEvent(models.Model):
    """One security-relevant event. Never updated or deleted by the code (and, on
    PostgreSQL, a trigger refuses UPDATE and DELETE too)."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")
        DENIED = "denied", _("Denied")

    # The primary key is the sequence number: it only grows.
    id = models.BigAutoField(primary_key=True, verbose_name=_("sequence"))
    occurred_at = models.DateTimeField(
        default=timezone.now, db_index=True, verbose_name=_("occurred at")
    )
    # actor and patient are indexed with occurred_at in Meta. Without a constraint in the
    # database: PostgreSQL checked both for every row at commit, 1.4 of the 2.4 ms that a list
    # page's fifty read rows took to write (measured); the ids come from the users the code
    # has in hand, Django still refuses to delete a user with audit rows (PROTECT), and the
    # trail keeps its references whatever happens to the rows they name.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        help_text=_("Who acted; empty for anonymous callers and the system."),
        verbose_name=_("actor"),
    )
    actor_role = models.CharField(
        max_length=32, blank=True, help_text=_("Role at the time."), verbose_name=_("actor role")
    )
    action = models.CharField(max_length=80, db_index=True, verbose_name=_("action"))
    target_type = models.CharField(max_length=64, blank=True, verbose_name=_("target type"))
    target_id = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("Public id of the target."),
        verbose_name=_("target ID"),
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        help_text=_("The patient whose data was concerned, if any."),
        verbose_name=_("patient"),
    )
    # A list that showed several patients is one row naming them all (audit/fields.py).
    patients = PatientIdsField(
        help_text=_("The patients a list showed, when it showed more than one."),
        verbose_name=_("patients"),
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, verbose_name=_("outcome"))
    request_id = models.CharField(max_length=128, blank=True, verbose_name=_("request ID"))
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("IP address"))
    user_agent = models.CharField(max_length=512, blank=True, verbose_name=_("user agent"))
    details = models.JSONField(default=dict, blank=True, verbose_name=_("details"))
    # The tamper-evident chain is kept beside the rows (AuditSeal): rows are appended freely,
    # by concurrent requests, and a single sealer links them afterwards (audit/chain.py).

    objects = AuditEventQuerySet.as_manager()
    # The application's database role may only read and insert here (core/db/roles.py).
    append_only: ClassVar[bool] = True

    class Meta:
        ordering: ClassVar = ["id"]
        indexes: ClassVar = [
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time_idx"),
            models.Index(fields=["patient", "occurred_at"], name="audit_patient_time_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise AppendOnlyError("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events cannot be deleted.")

    @property
    def patient_ids(self) -> list[int]:
        """Every patient the row is about, whichever column names them."""
        named = set(self.patients or ())
        if self.patient_id is not None:
            named.add(self.patient_id)
        return sorted(named)


class AuditSeal(models.Model):
    """One link of the chain: the event at ``position`` and the keyed hash over the previous
    link's hash and the event's canonical form (audit/chain.py). Written only by the sealer,
    one at a time in position order; insert-only like the events."""

    position = models.BigIntegerField(primary_key=True, verbose_name=_("position"))
    # A plain column, not a foreign key: a row removed from the events (by hand, or by the
    # retention job) must leave its link behind, so that the gap is seen.
    event_id = models.BigIntegerField(unique=True, verbose_name=_("event"))
    prev_hash = models.CharField(max_length=64, verbose_name=_("previous hash"))
    hash = models.CharField(max_length=64, verbose_name=_("hash"))
    key_id = models.CharField(max_length=32, verbose_name=_("key"))
    sealed_at = models.DateTimeField(default=timezone.now, verbose_name=_("sealed at"))

    objects = AuditSealQuerySet.as_manager()
    # The application's database role may only read and insert here (core/db/roles.py).
    append_only: ClassVar[bool] = True

    class Meta:
        ordering: ClassVar = ["position"]
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")

    def __str__(self) -> str:
        return f"link {self.position} (event #{self.event_id})"


class AuditCheckpoint(models.Model):
    """A signed statement "the chain's link ``position`` has hash ``hash``": an HMAC with a key
    kept outside the database, so verification can start from the newest good checkpoint,
    and a chain cut short (truncated) falls below the newest checkpoint."""

    position = models.BigIntegerField(primary_key=True, verbose_name=_("position"))
    hash = models.CharField(max_length=64, verbose_name=_("hash"))
    key_id = models.CharField(max_length=32, verbose_name=_("key"))
    signature = models.CharField(max_length=64, verbose_name=_("signature"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    objects = AuditCheckpointQuerySet.as_manager()
    # The application's database role may only read and insert here (core/db/roles.py).
    append_only: ClassVar[bool] = True

    class Meta:
        ordering: ClassVar = ["position"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"checkpoint at link {self.position}"
