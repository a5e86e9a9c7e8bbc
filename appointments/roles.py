"""What each role may do with the appointments app's models in the Django admin.

Merged with the other apps' grants by ``accounts.roles.role_grants`` and synced into the
role groups after every migrate. Deny by default: only what is listed.
"""

from __future__ import annotations

from accounts.roles import Role, RoleGrants

ROLE_GRANTS: RoleGrants = {
    Role.ADMIN: (
        "appointments.add_appointmenttype",
        "appointments.change_appointmenttype",
        "appointments.view_appointmenttype",
        "appointments.add_practitioner",
        "appointments.change_practitioner",
        "appointments.view_practitioner",
        "appointments.add_workinghours",
        "appointments.change_workinghours",
        "appointments.delete_workinghours",
        "appointments.view_workinghours",
        "appointments.add_availabilityexception",
        "appointments.change_availabilityexception",
        "appointments.delete_availabilityexception",
        "appointments.view_availabilityexception",
        "appointments.view_appointment",
        "appointments.view_waitlistentry",
    ),
}
