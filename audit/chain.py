"""The tamper-evident chain over the audit trail.

Requests append audit rows freely (no lock: they never wait on one another). A single
sealer, afterwards, links the rows it finds unsealed, in sequence order, one AuditSeal each:

    link(n).hash = HMAC-SHA256(key, link(n-1).hash || canonical(event))

and every ``AUDIT_CHECKPOINT_EVERY`` links (and at the end of a run) writes a checkpoint
signed with the same key ring. The keys live outside the database, so someone who can write
the tables can neither forge a link nor re-chain after an edit; an edit, a deletion, an
insertion, a reordering or a truncation shows as the first link whose hash does not follow
(see :func:`verify`).

A row whose transaction commits after the sealer passed its sequence number is linked by the
next run, further along the chain: the chain's order is the order of sealing, not the ids'.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone

from audit import witness
from audit.models import AuditCheckpoint, AuditEvent, AuditSeal

GENESIS = "0" * 64
# Sealers of different processes take turns on this PostgreSQL advisory lock.
_SEALER_LOCK = 0x_A0D1_7C4A
_CANONICAL_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "patient_id",
    "outcome",
    "request_id",
    "ip_address",
    "user_agent",
    "details",
)


def canonical(event: AuditEvent) -> bytes:
    """The event as bytes that do not depend on the driver, the time zone or key order."""
    values: dict[str, Any] = {name: getattr(event, name) for name in _CANONICAL_FIELDS}
    occurred_at: datetime.datetime = values["occurred_at"]
    values["occurred_at"] = occurred_at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    # Added after rows were chained: named only when it names someone, so those rows' links
    # (and every row about one patient) hash as they did.
    if event.patients:
        values["patients"] = sorted(event.patients)
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _key(key_id: str) -> bytes:
    try:
        return settings.AUDIT_CHAIN_KEYS[key_id].encode()
    except KeyError:
        raise UnknownKey(key_id) from None


def _current_key_id() -> str:
    return next(iter(settings.AUDIT_CHAIN_KEYS))


def link_hash(prev_hash: str, event: AuditEvent, key_id: str) -> str:
    return hmac.new(_key(key_id), prev_hash.encode() + canonical(event), hashlib.sha256).hexdigest()


def checkpoint_signature(position: int, link: str, key_id: str) -> str:
    message = f"audit-checkpoint:{position}:{link}".encode()
    return hmac.new(_key(key_id), message, hashlib.sha256).hexdigest()


class UnknownKey(Exception):
    """A link or checkpoint names a key the ring does not hold."""


@dataclass(frozen=True)
class SealRun:
    linked: int
    checkpoints: int
    last_position: int


def seal_pending(*, batch: int = 1000, limit: int | None = None) -> SealRun:
    """Link the unsealed rows in sequence order, ``batch`` per transaction, until none is left
    (or ``limit`` rows are linked). One sealer at a time: on PostgreSQL the others wait for
    this one's advisory lock per batch, elsewhere the database serialises writers."""
    linked = checkpoints = 0
    last_position = 0
    while limit is None or linked < limit:
        size = batch if limit is None else min(batch, limit - linked)
        done, made, last_position = _seal_batch(size)
        linked += done
        checkpoints += made
        if done < size:
            break
    return SealRun(linked=linked, checkpoints=checkpoints, last_position=last_position)


def _seal_batch(size: int) -> tuple[int, int, int]:
    key_id = _current_key_id()
    every = settings.AUDIT_CHECKPOINT_EVERY
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEALER_LOCK])
        last = AuditSeal.objects.order_by("-position").first()
        position, prev = (last.position, last.hash) if last is not None else (0, GENESIS)
        pending = unsealed_events().order_by("id")[:size]
        seals: list[AuditSeal] = []
        checkpoints: list[AuditCheckpoint] = []
        for event in pending:
            position += 1
            link = link_hash(prev, event, key_id)
            seals.append(
                AuditSeal(
                    position=position, event_id=event.id, prev_hash=prev, hash=link, key_id=key_id
                )
            )
            prev = link
            if position % every == 0:
                checkpoints.append(_checkpoint(position, link, key_id))
        if seals and seals[-1].position % every != 0:
            checkpoints.append(_checkpoint(position, prev, key_id))
        AuditSeal.objects.bulk_create(seals)
        AuditCheckpoint.objects.bulk_create(checkpoints)
        if checkpoints:
            newest = checkpoints[-1]
            seen = witness.Witnessed(newest.position, newest.hash, newest.key_id, newest.signature)
            transaction.on_commit(lambda: witness.publish(seen))
    return len(seals), len(checkpoints), position


def late_floor(using: str = DEFAULT_DB_ALIAS) -> int:
    """Below this event id every row is linked or stranded: a row commits late (after the
    sealer passed newer ones) only while its transaction is open, and the sealer looks back
    ``AUDIT_LATE_WINDOW`` ids behind the newest linked one for such rows. Keeps each run a
    range read on the newest ids however long the trail grows."""
    newest = AuditSeal.objects.using(using).aggregate(newest=Max("event_id"))["newest"] or 0
    return max(0, newest - settings.AUDIT_LATE_WINDOW)


def unsealed_events(
    *, floor: int | None = None, using: str = DEFAULT_DB_ALIAS
) -> QuerySet[AuditEvent]:
    """Events above ``floor`` (default :func:`late_floor`) that are not in the chain."""
    bottom = late_floor(using) if floor is None else floor
    return AuditEvent.objects.using(using).filter(id__gt=bottom).filter(~_linked(above=bottom))


def _linked(*, above: int = 0, up_to: int | None = None) -> Exists:
    # NOT EXISTS, not NOT IN: PostgreSQL plans an anti-join on the links' unique index (a
    # NOT IN over more ids than work_mem holds is rescanned for every row); the bounds, the
    # same as the outer query's, keep that index read to the range.
    links = AuditSeal.objects.filter(event_id=OuterRef("id"), event_id__gt=above)
    if up_to is not None:
        links = links.filter(event_id__lte=up_to)
    return Exists(links)


def _checkpoint(position: int, link: str, key_id: str) -> AuditCheckpoint:
    return AuditCheckpoint(
        position=position,
        hash=link,
        key_id=key_id,
        signature=checkpoint_signature(position, link, key_id),
        created_at=timezone.now(),
    )


# --- Verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold."""

    position: int
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class Verification:
    checked: int
    started_at: int  # the position verification started from (0: the genesis)
    last_position: int
    broken: Break | None
    unsealed: int  # events not (yet) in the chain
    witnessed: int | None = None  # the link witnessed outside the database, if any

    @property
    def ok(self) -> bool:
        return self.broken is None


def _links_from(
    position: int, chunk: int, using: str
) -> Iterator[tuple[AuditSeal, AuditEvent | None]]:
    """The links after ``position`` in order, each with its event (None where it is gone)."""
    while True:
        seals = list(
            AuditSeal.objects.using(using)
            .filter(position__gt=position)
            .order_by("position")[:chunk]
        )
        if not seals:
            return
        events = AuditEvent.objects.using(using).in_bulk([seal.event_id for seal in seals])
        for seal in seals:
            yield seal, events.get(seal.event_id)
        position = seals[-1].position


def verify(
    *,
    resume: bool = False,
    chunk: int = 2000,
    progress: Callable[[int], None] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> Verification:
    """Walk the chain from the genesis and report the first broken link.

    ``resume``: start from the newest checkpoint whose signature holds and whose link is
    still there unchanged, trusting the links before it to an earlier full run (the periodic
    check; a full run from the genesis is what proves the whole trail).
    ``using``: the database to read (a replica, to keep the walk off the primary).
    """
    checkpoints = list(AuditCheckpoint.objects.using(using).order_by("-position"))
    signed = {checkpoint.position for checkpoint in checkpoints if _signed(checkpoint)}
    # Each checkpoint's link as it is now, in one read.
    hashes: dict[int, str] = dict(
        AuditSeal.objects.using(using)
        .filter(position__in=[c.position for c in checkpoints])
        .values_list("position", "hash")
    )
    start, prev = 0, GENESIS
    if resume:
        for checkpoint in checkpoints:
            if checkpoint.position in signed and hashes.get(checkpoint.position) == checkpoint.hash:
                start, prev = checkpoint.position, checkpoint.hash
                break
    checked = 0
    last_position = start
    broken: Break | None = None
    for seal, event in _links_from(start, chunk, using):
        broken = _check_link(seal, event, last_position + 1, prev)
        if broken is not None:
            break
        prev, last_position = seal.hash, seal.position
        checked += 1
        if progress is not None:
            progress(checked)
    newest_signed = max(signed, default=0)
    if broken is None and last_position < newest_signed:
        broken = Break(
            position=last_position + 1,
            event_id=None,
            reason=f"the chain ends at link {last_position}, before the signed checkpoint at "
            f"link {newest_signed}: links were removed",
        )
    witnessed = _witnessed()
    if broken is None and witnessed is not None:
        broken = _check_witness(witnessed, last_position, using)
    if broken is None:
        broken = _check_checkpoints(checkpoints, signed, hashes)
    if broken is None:
        broken = _stranded(late_floor(using), using)
    unsealed = unsealed_events(using=using).count()
    return Verification(
        checked=checked,
        started_at=start,
        last_position=last_position,
        broken=broken,
        unsealed=unsealed,
        witnessed=witnessed.position if witnessed is not None else None,
    )


def _witnessed() -> witness.Witnessed | None:
    try:
        return witness.newest()
    except Exception:  # the witness unreachable: verify what the database holds
        return None


def _check_witness(seen: witness.Witnessed, last_position: int, using: str) -> Break | None:
    """The chain must still reach the checkpoint witnessed outside the database, unchanged."""
    if not _signed(
        AuditCheckpoint(
            position=seen.position, hash=seen.hash, key_id=seen.key_id, signature=seen.signature
        )
    ):
        return Break(seen.position, None, "the witnessed checkpoint's signature does not hold")
    if last_position < seen.position:
        return Break(
            position=last_position + 1,
            event_id=None,
            reason=f"the chain ends at link {last_position}, before the checkpoint witnessed "
            f"outside the database at link {seen.position}: links were removed",
        )
    link = AuditSeal.objects.using(using).filter(position=seen.position).first()
    if link is None or link.hash != seen.hash:
        return Break(
            seen.position,
            link.event_id if link is not None else None,
            "the link differs from the checkpoint witnessed outside the database",
        )
    return None


def _stranded(floor: int, using: str) -> Break | None:
    """A row below the sealer's window that is not in the chain was written there after its
    neighbours were linked: inserted by hand (or missed, which must not happen either)."""
    stranded = (
        AuditEvent.objects.using(using)
        .filter(id__lte=floor)
        .filter(~_linked(up_to=floor))
        .order_by("id")
        .first()
    )
    if stranded is None:
        return None
    after = (
        AuditSeal.objects.using(using)
        .filter(event_id__lt=stranded.id)
        .order_by("-event_id")
        .first()
    )
    return Break(
        position=after.position + 1 if after is not None else 1,
        event_id=stranded.id,
        reason=f"event #{stranded.id} is not in the chain though the rows around it are: "
        "it was inserted after they were sealed",
    )


def _signed(checkpoint: AuditCheckpoint) -> bool:
    try:
        return hmac.compare_digest(
            checkpoint.signature,
            checkpoint_signature(checkpoint.position, checkpoint.hash, checkpoint.key_id),
        )
    except UnknownKey:
        return False


def _check_link(
    seal: AuditSeal, event: AuditEvent | None, expected: int, prev: str
) -> Break | None:
    if seal.position != expected:
        return Break(expected, None, f"link {expected} is missing (the next is {seal.position})")
    if event is None:
        return Break(seal.position, seal.event_id, f"event #{seal.event_id} is gone")
    if seal.prev_hash != prev:
        return Break(seal.position, event.id, "the link does not follow the previous one")
    try:
        computed = link_hash(prev, event, seal.key_id)
    except UnknownKey:
        return Break(seal.position, event.id, f"the link names an unknown key {seal.key_id!r}")
    if not hmac.compare_digest(computed, seal.hash):
        return Break(seal.position, event.id, f"event #{event.id} differs from what was sealed")
    return None


def _check_checkpoints(
    checkpoints: list[AuditCheckpoint], signed: set[int], hashes: dict[int, str]
) -> Break | None:
    """Every checkpoint signed, and naming the hash its link has."""
    for checkpoint in sorted(checkpoints, key=lambda c: c.position):
        if checkpoint.position not in signed:
            return Break(checkpoint.position, None, "a checkpoint's signature does not hold")
        if hashes.get(checkpoint.position) != checkpoint.hash:
            return Break(checkpoint.position, None, "the link differs from its checkpoint")
    return None
