"""Scheduling rules that operators may tune."""

from celery.schedules import crontab

from hospital.settings.base import env

# Patients may cancel or move a booking online up to this many hours before it starts.
APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS = env.get_int("APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS", 24)
# A booked appointment not checked in this long after its start becomes a no-show.
APPOINTMENT_NO_SHOW_GRACE_MINUTES = env.get_int("APPOINTMENT_NO_SHOW_GRACE_MINUTES", 30, minimum=1)
# Reception may check a patient in from this many minutes before the start; the visit cannot
# be started or completed before then either (nor before the check-in).
APPOINTMENT_CHECK_IN_OPENS_MINUTES = env.get_int("APPOINTMENT_CHECK_IN_OPENS_MINUTES", 60)
# How long a patient offered a freed time from the waitlist has to accept it.
WAITLIST_HOLD_MINUTES = env.get_int("WAITLIST_HOLD_MINUTES", 120, minimum=5)
# A doctor or nurse cares for a patient, and so sees the patient's appointments with
# colleagues, from booking an appointment with them until this many days after its end
# (the usual follow-up: results, letters, a next visit). Cancelled appointments do not count.
APPOINTMENT_CARE_RELATIONSHIP_DAYS = env.get_int("APPOINTMENT_CARE_RELATIONSHIP_DAYS", 30)
# Free slots are cached per practitioner, visit length and day, with each whole search and
# its catalog (the type, department and practitioners it shows) beside them (appointments/
# selectors/slot_cache.py), invalidated after commit when availability or the catalog
# changes; the lifetime only bounds what an invalidation lost to a cache outage could leave
# behind. 0 turns the cache off.
SLOT_CACHE_SECONDS = env.get_int("SLOT_CACHE_SECONDS", 600)
# Slot searches per account ("120/m": per minute; "/5m", "/h" also read), answered 429 beyond.
SLOT_SEARCH_RATE_LIMIT = env.get_str("SLOT_SEARCH_RATE_LIMIT", "120/m")

CELERY_BEAT_SCHEDULE = {
    "appointments-mark-no-shows": {
        "task": "appointments.tasks.mark_no_shows",
        "schedule": crontab(minute="*/5"),
    },
    "appointments-expire-waitlist-holds": {
        "task": "appointments.tasks.expire_waitlist_holds",
        "schedule": crontab(minute="*/5"),
    },
    "core-purge-idempotency-records": {
        "task": "core.tasks.purge_idempotency_records",
        "schedule": crontab(minute=17),
    },
    "accounts-expire-sessions": {
        "task": "accounts.tasks.expire_sessions",
        "schedule": crontab(minute="*/10"),
    },
}
