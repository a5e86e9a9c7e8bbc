"""The Django admin of the accounts app: a front door like the others. Every save goes
through the services, fields the person at the keyboard may not change are read-only for
them, and nobody sets another person's password here. See ``accounts.admin_forms`` for how
an admin page saves through the services."""

from accounts.admin import directory, identity, third_party, users

__all__ = ["directory", "identity", "third_party", "users"]
