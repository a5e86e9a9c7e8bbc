"""Found by a review: a catalog change whose counter move is lost (Redis unreachable at commit)
must not be hidden for ever by a process's remembered catalog."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from appointments.selectors import slot_cache
from tests.appointments.conftest import api_as
from tests.appointments.test_slot_cache import _names, _search, _warm_search
from tests.conftest import UNREACHABLE_REDIS_CACHE

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_a_lost_catalog_bump_is_forgotten_at_the_latest_when_its_entry_expires(
    settings, patient, department, consultation, practitioner
):
    real_caches = django_settings.CACHES
    api = api_as(patient)
    _warm_search(api, consultation, department)  # remembered by this process

    # Redis unreachable while the change commits.
    settings.CACHES = {"default": UNREACHABLE_REDIS_CACHE}
    practitioner.user.full_name = "Ada Renamed"
    practitioner.user.save(update_fields=["full_name"])  # its bump is lost
    settings.CACHES = real_caches  # Redis is back
    # Every catalog entry in Redis has expired since (SLOT_CACHE_SECONDS later).
    cache.delete(slot_cache._catalog_key(f"{consultation.public_id}:{department.public_id}:"))

    later, _reads = _search(api, consultation, department)

    assert "Ada Renamed" in " ".join(_names(later.json()["results"]))


def test_a_remembered_catalog_is_read_again_after_its_time(
    monkeypatch, patient, department, consultation, practitioner
):
    api = api_as(patient)
    _warm_search(api, consultation, department)
    cache.delete(slot_cache._catalog_key(f"{consultation.public_id}:{department.public_id}:"))
    _same, reads_while_remembered = _search(api, consultation, department)
    monkeypatch.setattr(slot_cache, "CATALOG_MEMO_SECONDS", 0.0)
    _again, reads_after_its_time = _search(api, consultation, department)

    assert reads_while_remembered == []
    assert reads_after_its_time  # read again (and rebuilt: its entry was deleted)
