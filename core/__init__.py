"""The bottom layer: primitives every app may use and that know no app of ours.

Errors (the problem-details contract), request ids, facts about the caller, domain events,
rate limiting, the proof-of-work challenge, SMS transports, shared form widgets and the
demo-data plumbing. Nothing here imports audit, accounts, appointments or hospital; the
layer contract in pyproject.toml (import-linter) enforces it.
"""
