"""Writes of the accounts app, by topic: users and profiles, auth, MFA, sessions."""
