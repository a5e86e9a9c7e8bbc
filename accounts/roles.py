"""Roles: who a user is in the hospital. Each role is a Django group with permissions.

The user's ``role`` field is the source of truth; ``accounts.services.user_set_role``
keeps the group membership in step with it. Permissions are declared here, in code,
and synced into the groups by a data migration (and again by any later migration
that calls :func:`sync_role_groups`).
"""

from __future__ import annotations

from typing import Any

from django.db import models


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    DOCTOR = "doctor", "Doctor"
    NURSE = "nurse", "Nurse"
    RECEPTIONIST = "receptionist", "Receptionist"
    ADMIN = "admin", "Administrator"
    COMPLIANCE_OFFICER = "compliance_officer", "Compliance officer"


STAFF_ROLES = frozenset(
    {Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.ADMIN, Role.COMPLIANCE_OFFICER}
)
CLINICAL_ROLES = frozenset({Role.DOCTOR, Role.NURSE})
# Roles that may open the Django admin (it requires an OTP-verified session too).
ADMIN_SITE_ROLES = frozenset({Role.ADMIN, Role.COMPLIANCE_OFFICER})

GROUP_NAMES: dict[str, str] = {
    Role.PATIENT: "Patients",
    Role.DOCTOR: "Doctors",
    Role.NURSE: "Nurses",
    Role.RECEPTIONIST: "Receptionists",
    Role.ADMIN: "Administrators",
    Role.COMPLIANCE_OFFICER: "Compliance officers",
}

# "app_label.codename" per role. Deny by default: a role has only what is listed.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.PATIENT: (),
    Role.DOCTOR: (
        "accounts.view_department",
        "accounts.view_staffprofile",
        "accounts.view_patientprofile",
    ),
    Role.NURSE: (
        "accounts.view_department",
        "accounts.view_staffprofile",
        "accounts.view_patientprofile",
    ),
    Role.RECEPTIONIST: (
        "accounts.view_department",
        "accounts.view_staffprofile",
        "accounts.view_patientprofile",
        "accounts.change_patientprofile",
    ),
    Role.ADMIN: (
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        "accounts.add_department",
        "accounts.change_department",
        "accounts.view_department",
        "accounts.add_staffprofile",
        "accounts.change_staffprofile",
        "accounts.view_staffprofile",
        "accounts.view_patientprofile",
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
    Role.COMPLIANCE_OFFICER: ("audit.view_auditevent", "accounts.view_user"),
}


def sync_role_groups(apps: Any, schema_editor: Any = None) -> None:
    """Create each role's group and give it exactly the permissions declared above.

    Takes a migration's app registry, so data migrations can call it.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True  # historical app configs need this for create_permissions
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, group_name in GROUP_NAMES.items():
        group, _ = group_model.objects.get_or_create(name=group_name)
        wanted = []
        for dotted in ROLE_PERMISSIONS[role]:
            app_label, codename = dotted.split(".", 1)
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            # An app migrated later has no permissions yet: its own migration syncs again.
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
