"""static/js/site.js is its parts, current (make assets writes it)."""

from __future__ import annotations

from hospital.management.commands.build_assets import JS, PARTS, bundle


def test_site_js_is_built_from_its_current_parts():
    assert (JS / "site.js").read_text() == bundle(), "static/js/site.js is stale: make assets"


def test_every_part_is_in_the_bundle():
    assert sorted(PARTS) == sorted(path.name for path in (JS / "parts").glob("*.js"))
