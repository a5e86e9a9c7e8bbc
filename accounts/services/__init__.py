"""Writes of the accounts app, by topic: users and roles, profiles, the directory,
registration, passwords, sign-in (web and API), second factors, sessions and tokens."""
