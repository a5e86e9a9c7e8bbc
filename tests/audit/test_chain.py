"""The tamper-evident chain (audit/chain.py): a sealer links the rows after they are written;
`audit_verify` names the first link that does not hold after an edit, a deletion, an
insertion, a reordering or a truncation made directly in SQL, 100 cases of each.

The attacker is the owner of the tables (what a superuser can do too): a connection of its
own, which switches the triggers off inside its transaction and rolls everything back after
`audit_verify` has looked at the result through it. The application's role, which the tests
otherwise run as, can do none of it (tests/audit/test_database_role.py)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connections, transaction

from audit.access import viewed
from audit.chain import (
    GENESIS,
    canonical,
    checkpoint_signature,
    link_hash,
    seal_pending,
    verify,
)
from audit.models import AppendOnlyError, AuditCheckpoint, AuditEvent, AuditSeal
from audit.services import AuditTarget, Outcome, record
from tests.database_roles import owner_connection

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services("DATABASE_URL")]

ROWS = 60
CASES = 100
ATTACKER = "attacker"
TABLES = ("audit_auditevent", "audit_auditseal", "audit_auditcheckpoint")


@pytest.fixture
def chain(settings) -> list[AuditEvent]:
    settings.AUDIT_CHECKPOINT_EVERY = 25
    for n in range(ROWS):
        if n % 5 == 4:
            # A list's read: one row naming several patients (audit/access.py).
            viewed(patients=[n, n + 1000, n + 2000], target=AuditTarget("appointments.list"))
        else:
            record(
                action="records.chart_viewed",
                outcome=Outcome.SUCCESS if n % 7 else Outcome.DENIED,
                target=AuditTarget("accounts.user", f"patient-{n}"),
                details={"n": n, "fields": ["allergies"]},
            )
    events = list(AuditEvent.objects.order_by("id"))
    assert sum(1 for event in events if event.patients) == ROWS // 5
    run = seal_pending(batch=16)
    assert (run.linked, run.last_position) == (ROWS, ROWS)
    return events


@pytest.fixture
def attacker() -> Iterator[None]:
    with owner_connection(ATTACKER):
        yield


class Tampering:
    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def __call__(self, statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        self.cursor.execute(statement, params)
        return list(self.cursor.fetchall()) if self.cursor.description else []


@contextmanager
def tampered() -> Iterator[Tampering]:
    """One attack in the owner's transaction, triggers off (as the owner or a superuser can
    do); what runs inside sees it, and it is rolled back afterwards."""
    with transaction.atomic(using=ATTACKER), connections[ATTACKER].cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield Tampering(cursor)
        transaction.set_rollback(True, using=ATTACKER)


def broken_at(expected_position: int) -> str:
    """audit_verify, reading through the attacker's transaction, fails naming that link."""
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", "--quiet", "--database", ATTACKER)
    message = str(failure.value)
    assert f"broken at link {expected_position}" in message, message
    return message


def test_the_sealer_links_every_row_in_sequence_order_with_signed_checkpoints(chain):
    seals = list(AuditSeal.objects.order_by("position"))
    assert [seal.event_id for seal in seals] == [event.id for event in chain]
    assert seals[0].prev_hash == GENESIS
    for previous, seal in itertools.pairwise(seals):
        assert seal.prev_hash == previous.hash
    assert seals[5].hash == link_hash(seals[4].hash, chain[5], seals[5].key_id)
    # Every 25 links, and where each batch of the run ended past the last one.
    positions = set(AuditCheckpoint.objects.values_list("position", flat=True))
    assert {25, 50, ROWS} <= positions
    result = verify()
    assert (result.ok, result.checked, result.unsealed) == (True, ROWS, 0)


def test_a_second_run_links_only_the_new_rows_and_continues_the_chain(chain):
    later = record(action="records.chart_viewed", target=AuditTarget("accounts.user", "late"))
    run = seal_pending()
    assert (run.linked, run.last_position) == (1, ROWS + 1)
    newest = AuditSeal.objects.get(position=ROWS + 1)
    assert newest.event_id == later.id
    assert newest.prev_hash == AuditSeal.objects.get(position=ROWS).hash
    assert seal_pending().linked == 0


def test_the_canonical_form_does_not_depend_on_how_the_row_was_read(chain):
    written = record(action="records.chart_viewed", target=AuditTarget("accounts.user", "x"))
    assert canonical(AuditEvent.objects.get(pk=written.pk)) == canonical(written)
    listed = chain[4]
    assert canonical(AuditEvent.objects.get(pk=listed.pk)) == canonical(listed)


def test_a_lists_patients_are_hashed_and_rows_without_them_hash_as_before_the_column(chain):
    """The patients column came after rows were chained: it is part of the canonical form only
    when it names someone, so the earlier rows' links still hold."""
    single, listed = chain[3], chain[4]
    assert b'"patients"' not in canonical(single)
    assert b'"patients":[4,1004,2004]' in canonical(listed)


def test_verify_command_says_the_chain_holds(chain, capsys):
    call_command("audit_verify", "--quiet")
    out = capsys.readouterr().out
    assert f"{ROWS} links verified" in out
    assert f"witnessed outside the database (link {ROWS})" in out


EDITABLE = {
    "action": "'records.nothing'",
    "outcome": "CASE outcome WHEN 'success' THEN 'denied' ELSE 'success' END",
    "actor_role": "'admin'",
    "target_id": "'someone-else'",
    "details": """'{"n": -1}'::jsonb""",
    "occurred_at": "occurred_at - interval '1 second'",
    "ip_address": "'203.0.113.9'",
    "user_agent": "'curl'",
    "request_id": "'forged'",
    # A patient taken off a list's row (or one added), and the row's patient changed.
    "patients": (
        "CASE WHEN cardinality(patients) > 1 THEN patients[2:] ELSE patients || 9999::bigint END"
    ),
    "patient_id": "COALESCE(patient_id, 0) + 1",
}


def test_every_edit_of_a_row_is_named(chain, attacker):
    """100 edits, each of a random row and column: the link of that row is named."""
    for case in range(CASES):
        rng = random.Random(case)
        victim = rng.randrange(ROWS)
        column = rng.choice(sorted(EDITABLE))
        with tampered() as sql:
            sql(
                f"UPDATE audit_auditevent SET {column} = {EDITABLE[column]} WHERE id = %s",  # noqa: S608 - constants
                [chain[victim].id],
            )
            message = broken_at(victim + 1)
        assert f"event #{chain[victim].id} differs" in message, (case, column)


def test_every_deletion_is_named(chain, attacker):
    """100 deletions of a random row, half of them with its link: the row's link is named."""
    for case in range(CASES):
        rng = random.Random(case)
        victim = rng.randrange(ROWS)
        with_link = case % 2 == 1
        with tampered() as sql:
            if with_link:
                sql("DELETE FROM audit_auditseal WHERE event_id = %s", [chain[victim].id])
            sql("DELETE FROM audit_auditevent WHERE id = %s", [chain[victim].id])
            message = broken_at(victim + 1)
        if not with_link:
            assert f"event #{chain[victim].id} is gone" in message
        elif victim < ROWS - 1:
            assert f"link {victim + 1} is missing" in message
        else:  # the newest row and its link: below the checkpoints
            assert "before the signed checkpoint" in message


def test_every_insertion_is_named(chain, attacker):
    """100 rows inserted, each with a link computed without the key: in the middle of the
    chain (the links after it moved up by one) or at its end."""
    for case in range(CASES):
        rng = random.Random(case)
        at = rng.randrange(2, ROWS + 2)  # the new row's position (ROWS + 1: at the end)
        with tampered() as sql:
            if at <= ROWS:
                sql("UPDATE audit_auditseal SET position = -position WHERE position >= %s", [at])
                sql("UPDATE audit_auditseal SET position = -position + 1 WHERE position < 0")
            (forged_id,) = sql(
                "INSERT INTO audit_auditevent (occurred_at, actor_role, action, target_type, "
                "target_id, outcome, request_id, user_agent, details) VALUES (now(), '', "
                "'records.chart_viewed', '', '', 'success', '-', '', '{}') RETURNING id"
            )[0]
            (previous,) = sql("SELECT hash FROM audit_auditseal WHERE position = %s", [at - 1])
            sql(
                "INSERT INTO audit_auditseal (position, event_id, prev_hash, hash, key_id, "
                "sealed_at) VALUES (%s, %s, %s, %s, %s, now())",
                [at, forged_id, previous[0], f"{case:064x}", chain_key_id()],
            )
            message = broken_at(at)
        assert f"event #{forged_id} differs" in message, case


def test_every_reordering_is_named(chain, attacker):
    """100 reorderings: two rows' places in the chain swapped (the links point at each
    other's row), or two links' positions swapped; the earlier place is named."""
    for case in range(CASES):
        rng = random.Random(case)
        first, second = sorted(rng.sample(range(1, ROWS + 1), 2))
        with tampered() as sql:
            if case % 2 == 0:
                a, b = chain[first - 1].id, chain[second - 1].id
                sql("UPDATE audit_auditseal SET event_id = -1 WHERE event_id = %s", [a])
                sql("UPDATE audit_auditseal SET event_id = %s WHERE event_id = %s", [a, b])
                sql("UPDATE audit_auditseal SET event_id = %s WHERE event_id = -1", [b])
            else:
                sql("UPDATE audit_auditseal SET position = 0 WHERE position = %s", [first])
                sql(
                    "UPDATE audit_auditseal SET position = %s WHERE position = %s",
                    [first, second],
                )
                sql("UPDATE audit_auditseal SET position = %s WHERE position = 0", [second])
            broken_at(first)


def test_every_truncation_is_found(chain, attacker):
    """100 truncations: a table emptied (the events, the links, the links and checkpoints, or
    all three) or the trail's newest rows cut off with their links (and, half the time,
    their checkpoints too). What the database keeps catches the first kinds; the checkpoint
    witnessed outside it (audit/witness.py) the others."""
    kinds = ("events", "links", "links and checkpoints", "all", "tail", "tail and checkpoints")
    for case in range(CASES):
        rng = random.Random(case)
        kind = kinds[case % len(kinds)]
        keep = rng.randrange(ROWS)  # links left after a cut
        with tampered() as sql:
            if kind == "events":
                sql("TRUNCATE audit_auditevent")
            elif kind == "links":
                sql("TRUNCATE audit_auditseal")
            elif kind == "links and checkpoints":
                sql("TRUNCATE audit_auditseal, audit_auditcheckpoint")
            elif kind == "all":
                sql("TRUNCATE audit_auditseal, audit_auditcheckpoint, audit_auditevent")
            else:
                sql("DELETE FROM audit_auditseal WHERE position > %s", [keep])
                sql("DELETE FROM audit_auditevent WHERE id > %s", [chain[keep].id - 1])
                if kind == "tail and checkpoints":
                    sql("DELETE FROM audit_auditcheckpoint WHERE position > %s", [keep])
            expected = (
                1 if kind in ("events", "links", "links and checkpoints", "all") else keep + 1
            )
            message = broken_at(expected)
        if kind == "events":
            assert f"event #{chain[0].id} is gone" in message
        elif kind in ("links", "tail"):
            assert "before the signed checkpoint" in message, (case, message)
        else:
            assert "before the checkpoint witnessed outside the database" in message, message


def test_a_forged_checkpoint_is_found(chain, attacker):
    with tampered() as sql:
        sql("UPDATE audit_auditcheckpoint SET signature = %s WHERE position = 25", ["0" * 64])
        assert "signature does not hold" in broken_at(25)


def test_a_forged_witness_is_found(chain):
    from audit import witness

    seen = witness.newest()
    assert seen is not None and seen.position == ROWS
    cache.set(witness.CACHE_KEY, {**asdict(seen), "hash": "0" * 64})
    with pytest.raises(CommandError, match="witnessed checkpoint's signature does not hold"):
        call_command("audit_verify", "--quiet")


def test_resume_starts_from_the_newest_good_checkpoint_and_trusts_what_lies_before(chain, attacker):
    """The periodic check resumes from the newest checkpoint whose signature and link hold; a
    full run from the genesis is what proves the whole trail."""
    assert (verify(resume=True).started_at, verify(resume=True).checked) == (ROWS, 0)
    for n in range(3):
        record(action="records.chart_viewed", target=AuditTarget("accounts.user", f"new-{n}"))
    seal_pending()
    assert (verify(resume=True).started_at, verify(resume=True).checked) == (ROWS + 3, 0)
    with tampered() as sql:
        sql(
            "UPDATE audit_auditcheckpoint SET signature = %s WHERE position = %s",
            ["0" * 64, ROWS + 3],
        )
        resumed = verify(resume=True, using=ATTACKER)
    assert (resumed.started_at, resumed.checked) == (ROWS, 3)
    assert resumed.broken is not None and "signature" in resumed.broken.reason


def test_links_and_checkpoints_are_append_only_in_the_code_and_for_the_owner(chain, attacker):
    """The code refuses; the owner too meets the triggers until it switches them off (the
    application's role cannot even reach them: tests/audit/test_database_role.py)."""
    for model in (AuditSeal, AuditCheckpoint):
        with pytest.raises(AppendOnlyError):
            model.objects.filter(position=1).update(hash="0" * 64)
        with pytest.raises(AppendOnlyError):
            model.objects.filter(position=25).delete()
    for statement in (
        "UPDATE audit_auditevent SET action = 'x' WHERE id = (SELECT min(id) FROM audit_auditevent)",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "UPDATE audit_auditseal SET hash = repeat('0', 64) WHERE position = 25",
        "DELETE FROM audit_auditseal WHERE position = 25",
        "TRUNCATE audit_auditseal",
        "UPDATE audit_auditcheckpoint SET hash = repeat('0', 64) WHERE position = 25",
        "DELETE FROM audit_auditcheckpoint WHERE position = 25",
        "TRUNCATE audit_auditcheckpoint",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(using=ATTACKER),
            connections[ATTACKER].cursor() as cursor,
        ):
            cursor.execute(statement)
    assert verify().ok


def chain_key_id() -> str:
    return AuditSeal.objects.values_list("key_id", flat=True).first() or ""


def test_after_a_restore_the_newest_checkpoint_is_witnessed_again_on_purpose(chain, capsys):
    """A backup restored is older than the witness: verify says so until an operator makes the
    database's newest checkpoint the witnessed one, which the audit records."""
    from audit import witness

    key_id = chain_key_id()
    later = "a" * 64
    witness.publish(
        witness.Witnessed(ROWS + 40, later, key_id, checkpoint_signature(ROWS + 40, later, key_id))
    )
    with pytest.raises(CommandError, match=f"before the checkpoint witnessed .* link {ROWS + 40}"):
        call_command("audit_verify", "--quiet")

    call_command("audit_seal", "--witness-newest")

    assert f"now link {ROWS} (it was link {ROWS + 40})" in capsys.readouterr().out
    reset = AuditEvent.objects.get(action="audit.witness_reset")
    assert reset.details == {"from_position": ROWS + 40, "to_position": ROWS}
    assert verify().ok
