"""What each role may do with the notifications app's models in the Django admin.

Administrators see deliveries (and retry failed ones: "change") and write message templates;
compliance officers see both. Deny by default: only what is listed.
"""

from __future__ import annotations

from accounts.roles import Role, RoleGrants

ROLE_GRANTS: RoleGrants = {
    Role.ADMIN: (
        "notifications.view_delivery",
        "notifications.change_delivery",
        "notifications.view_faileddelivery",
        "notifications.change_faileddelivery",
        "notifications.add_messagetemplate",
        "notifications.change_messagetemplate",
        "notifications.delete_messagetemplate",
        "notifications.view_messagetemplate",
    ),
    Role.COMPLIANCE_OFFICER: (
        "notifications.view_delivery",
        "notifications.view_faileddelivery",
        "notifications.view_messagetemplate",
    ),
}
