"""Roles: who a user is in the hospital. Each role is a Django group with permissions.

The user's ``role`` field is the source of truth; ``accounts.services.users.user_set_role``
keeps the group membership in step with it. Permissions are declared in code, by the app
that owns them (``<app>/roles.py``: ``ROLE_GRANTS``), and synced into the groups after
every ``migrate`` (and by the data migrations that call :func:`sync_role_groups`).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    DOCTOR = "doctor", _("Doctor")
    NURSE = "nurse", _("Nurse")
    RECEPTIONIST = "receptionist", _("Receptionist")
    ADMIN = "admin", _("Administrator")
    COMPLIANCE_OFFICER = "compliance_officer", _("Compliance officer")


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

# What each role may do in Django's permission system (the admin), declared by the app that
# owns the permissions in its own ``roles.py`` as ``ROLE_GRANTS``: role -> "app_label.codename".
# Deny by default: a role has only what some app grants it. accounts grants its own here.
RoleGrants = Mapping[str, tuple[str, ...]]

ROLE_GRANTS: RoleGrants = {
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
    ),
    Role.COMPLIANCE_OFFICER: ("accounts.view_user",),
}


def role_grants() -> dict[str, frozenset[str]]:
    """Every installed app's ``roles.ROLE_GRANTS``, merged per role (all six roles present).

    An app grants only its own permissions, and only to roles that exist.
    """
    merged: dict[str, set[str]] = {role: set() for role in Role.values}
    for app_config in django_apps.get_app_configs():
        if app_config.module is None or not module_has_submodule(app_config.module, "roles"):
            continue
        grants: RoleGrants = getattr(import_module(f"{app_config.name}.roles"), "ROLE_GRANTS", {})
        for role, permissions in grants.items():
            if role not in merged:
                raise ImproperlyConfigured(
                    f"{app_config.name}.roles grants to unknown role {role!r}."
                )
            foreign = [p for p in permissions if not p.startswith(f"{app_config.label}.")]
            if foreign:
                raise ImproperlyConfigured(
                    f"{app_config.name}.roles grants permissions of another app: {foreign}."
                )
            merged[role].update(permissions)
    return {role: frozenset(permissions) for role, permissions in merged.items()}


def sync_role_groups(apps: Any, schema_editor: Any = None) -> None:
    """Data-migration entry: create the permissions known so far, then sync the groups.

    Takes a migration's app registry (historical models).
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True  # historical app configs need this for create_permissions
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    role_groups_sync(apps)


def role_groups_sync(apps: Any) -> None:
    """Give each role's group exactly the permissions the apps grant it (creating the group).

    Permissions that do not exist yet (an app migrated later) are skipped: the post_migrate
    sync at the end of every migrate adds them.
    """
    grants = role_grants()
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, group_name in GROUP_NAMES.items():
        group, _created = group_model.objects.get_or_create(name=group_name)
        wanted = []
        for dotted in sorted(grants[role]):
            app_label, codename = dotted.split(".", 1)
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
