"""Write static/js/site.js: static/js/parts/*.js in ``PARTS`` order, one file (one request a
page instead of one a part). ``make assets`` runs it; tests/web/test_assets.py fails while
site.js is behind its parts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

JS = Path(settings.BASE_DIR) / "static" / "js"
PARTS = ("idle.js", "live.js", "forms.js", "page_actions.js", "swap.js", "install.js")
HEADER = (
    "// Built from static/js/parts/ by `make assets` (manage.py build_assets): edit the parts.\n"
    "// Each part starts on its own and does nothing on a page without its elements.\n"
)


def bundle() -> str:
    return HEADER + "".join(
        f"\n// --- {name} ---\n{(JS / 'parts' / name).read_text().rstrip()}\n" for name in PARTS
    )


class Command(BaseCommand):
    help = "Write static/js/site.js from static/js/parts/."

    def handle(self, *args: Any, **options: Any) -> None:
        (JS / "site.js").write_text(bundle())
        self.stdout.write(f"static/js/site.js: {len(PARTS)} parts")
