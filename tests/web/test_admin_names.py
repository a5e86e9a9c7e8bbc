"""The admin index names things as people say them: one section per app, no raw labels."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


def test_the_admin_index_has_readable_unique_section_and_model_names(client, admin_user) -> None:
    login_verified(client, admin_user)

    html = client.get("/admin/").content.decode()

    sections = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', html)
    assert sections, "the index lists the apps"
    assert len(sections) == len(set(sections)), sections
    assert "Authenticator apps" in sections
    assert "Sign-in email addresses" in sections
    assert not [name for name in sections if "_" in name or name.isupper()], sections
    assert "Waitlist entries" in html
    assert "entrys" not in html
