"""The tamper-evident chain (audit/chain.py): a sealer links the rows after they are written;
`audit_verify` names the first link that does not hold after an edit, a deletion, an
insertion, a reordering or a truncation made directly in SQL, as a superuser would, around
the append-only trigger."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.chain import GENESIS, canonical, link_hash, seal_pending, verify
from audit.models import AppendOnlyError, AuditCheckpoint, AuditEvent, AuditSeal
from audit.services import AuditTarget, Outcome, record

pytestmark = [pytest.mark.django_db, pytest.mark.services("DATABASE_URL")]

ROWS = 60


@pytest.fixture
def chain(settings) -> list[AuditEvent]:
    settings.AUDIT_CHECKPOINT_EVERY = 25
    events = [
        record(
            action="records.chart_viewed",
            outcome=Outcome.SUCCESS if n % 7 else Outcome.DENIED,
            target=AuditTarget("accounts.user", f"patient-{n}"),
            details={"n": n, "fields": ["allergies"]},
        )
        for n in range(ROWS)
    ]
    run = seal_pending(batch=16)
    assert (run.linked, run.last_position) == (ROWS, ROWS)
    return events


@contextmanager
def as_superuser_around_the_trigger() -> Iterator[None]:
    """What the owner or a superuser can do today: switch the triggers off for the session."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def sql(statement: str, params: list[int | str] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


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
    event = chain[3]
    assert canonical(AuditEvent.objects.get(pk=event.pk)) == canonical(event)


def test_verify_command_says_the_chain_holds(chain, capsys):
    call_command("audit_verify", "--quiet")
    assert f"{ROWS} links verified" in capsys.readouterr().out


def _broken_at(expected_position: int) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", "--quiet")
    message = str(failure.value)
    assert f"broken at link {expected_position}" in message, message
    return message


@pytest.mark.parametrize("seed", range(5))
def test_an_edited_row_is_named(chain, seed):
    victim = random.Random(seed).randrange(ROWS)
    with as_superuser_around_the_trigger():
        sql(
            "UPDATE audit_auditevent SET outcome = 'success', action = 'records.nothing' "
            "WHERE id = %s",
            [chain[victim].id],
        )
    assert f"event #{chain[victim].id} differs" in _broken_at(victim + 1)


@pytest.mark.parametrize("seed", range(5))
def test_a_deleted_row_is_named(chain, seed):
    victim = random.Random(seed).randrange(ROWS)
    with as_superuser_around_the_trigger():
        sql("DELETE FROM audit_auditevent WHERE id = %s", [chain[victim].id])
    assert "is gone" in _broken_at(victim + 1)


@pytest.mark.parametrize("seed", range(5))
def test_a_deleted_row_and_its_link_are_found(chain, seed):
    victim = random.Random(seed).randrange(ROWS - 1)
    with as_superuser_around_the_trigger():
        sql("DELETE FROM audit_auditseal WHERE event_id = %s", [chain[victim].id])
        sql("DELETE FROM audit_auditevent WHERE id = %s", [chain[victim].id])
    assert f"link {victim + 1} is missing" in _broken_at(victim + 1)


@pytest.mark.parametrize("seed", range(5))
def test_a_row_inserted_into_the_chain_with_a_forged_link_is_found(chain, seed):
    """Whoever writes SQL lacks the key: a link they compute with another key does not hold."""
    victim = random.Random(seed).randrange(1, ROWS)
    with as_superuser_around_the_trigger():
        # Make room: shift every link from the victim's on by one, then put a new row there.
        sql(
            "UPDATE audit_auditseal SET position = -position WHERE position >= %s",
            [victim + 1],
        )
        sql("UPDATE audit_auditseal SET position = -position + 1 WHERE position < 0")
        sql(
            "INSERT INTO audit_auditevent (occurred_at, actor_role, action, target_type, "
            "target_id, outcome, request_id, user_agent, details) VALUES (now(), '', "
            "'records.chart_viewed', '', '', 'success', '-', '', '{}') RETURNING id"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT max(id) FROM audit_auditevent")
            (forged_id,) = cursor.fetchone()
        previous = AuditSeal.objects.get(position=victim)
        sql(
            "INSERT INTO audit_auditseal (position, event_id, prev_hash, hash, key_id, sealed_at)"
            " VALUES (%s, %s, %s, %s, %s, now())",
            [victim + 1, forged_id, previous.hash, "f" * 64, previous.key_id],
        )
    assert f"event #{forged_id} differs" in _broken_at(victim + 1)


@pytest.mark.parametrize("seed", range(5))
def test_two_rows_swapped_are_found(chain, seed):
    first = random.Random(seed).randrange(ROWS - 1)
    a, b = chain[first].id, chain[first + 1].id
    with as_superuser_around_the_trigger():
        sql("UPDATE audit_auditseal SET event_id = -1 WHERE event_id = %s", [a])
        sql("UPDATE audit_auditseal SET event_id = %s WHERE event_id = %s", [a, b])
        sql("UPDATE audit_auditseal SET event_id = %s WHERE event_id = -1", [b])
    _broken_at(first + 1)


def test_a_truncated_trail_is_found(chain):
    with as_superuser_around_the_trigger():
        # The test's own transaction holds the rows' deferred foreign-key checks.
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        sql("TRUNCATE audit_auditevent")
    assert "is gone" in _broken_at(1)


def test_a_trail_cut_short_with_its_links_is_found_by_the_signed_checkpoint(chain):
    """The last 20 rows and their links removed: the signed checkpoint at 50 outlives them."""
    with as_superuser_around_the_trigger():
        sql("DELETE FROM audit_auditseal WHERE position > 40")
        sql("DELETE FROM audit_auditevent WHERE id > %s", [chain[39].id])
    assert "before the signed checkpoint" in _broken_at(41)


def test_a_forged_checkpoint_is_found(chain):
    with as_superuser_around_the_trigger():
        sql("UPDATE audit_auditcheckpoint SET signature = %s WHERE position = 25", ["0" * 64])
    assert "signature does not hold" in _broken_at(25)


def test_resume_starts_from_the_newest_good_checkpoint_and_trusts_what_lies_before(chain):
    """The periodic check resumes from the newest checkpoint whose signature and link hold; a
    full run from the genesis is what proves the whole trail."""
    assert (verify(resume=True).started_at, verify(resume=True).checked) == (ROWS, 0)
    for n in range(3):
        record(action="records.chart_viewed", target=AuditTarget("accounts.user", f"new-{n}"))
    seal_pending()
    assert (verify(resume=True).started_at, verify(resume=True).checked) == (ROWS + 3, 0)
    with as_superuser_around_the_trigger():
        sql(
            "UPDATE audit_auditcheckpoint SET signature = %s WHERE position = %s",
            ["0" * 64, ROWS + 3],
        )
    resumed = verify(resume=True)
    assert (resumed.started_at, resumed.checked) == (ROWS, 3)
    assert resumed.broken is not None and "signature" in resumed.broken.reason


def test_links_and_checkpoints_are_append_only_in_the_code_and_in_the_database(chain):
    for model in (AuditSeal, AuditCheckpoint):
        with pytest.raises(AppendOnlyError):
            model.objects.filter(position=1).update(hash="0" * 64)
        with pytest.raises(AppendOnlyError):
            model.objects.filter(position=25).delete()
    for statement in (
        "UPDATE audit_auditseal SET hash = repeat('0', 64) WHERE position = 25",
        "DELETE FROM audit_auditseal WHERE position = 25",
        "UPDATE audit_auditcheckpoint SET hash = repeat('0', 64) WHERE position = 25",
        "DELETE FROM audit_auditcheckpoint WHERE position = 25",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql(statement)
    assert verify().ok
