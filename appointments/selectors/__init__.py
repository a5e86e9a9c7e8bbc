"""Reads of the appointments app, by topic. Every read with a rule lives here: who may see
which appointments, schedules, free slots, the waitlist and calendar feeds."""
