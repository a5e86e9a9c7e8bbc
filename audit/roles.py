"""Who may read the audit trail in the Django admin (merged by accounts.roles.role_grants).

The audit layer sits below accounts, so the role is named by its value.
"""

from __future__ import annotations

ROLE_GRANTS: dict[str, tuple[str, ...]] = {
    "compliance_officer": ("audit.view_auditevent",),
}
