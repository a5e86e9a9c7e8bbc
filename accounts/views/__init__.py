"""Pages of the accounts app, by topic: the account (dashboard, profile, deactivation),
security (second factors), sessions, and the second-factor step of the login.

allauth serves sign-up, login, email verification, password reset/change and email change.
"""
