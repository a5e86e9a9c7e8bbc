"""Writes of the appointments app: booking, availability, waitlist, calendar feeds."""
