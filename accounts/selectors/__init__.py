"""Reads of the accounts app, by topic. Every read with a rule lives here; other apps read
accounts' tables only through these functions."""
