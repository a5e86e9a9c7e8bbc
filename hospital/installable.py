"""Installable web app: the manifest, the service worker and the offline page.

The service worker keeps the page shell (stylesheet, script, icons) and the offline page in
its cache; pages themselves always come from the network and are never stored, because they
carry medical data. Offline, a page that cannot be fetched is answered with the offline
page, which holds nothing of anyone (it is rendered for nobody: no name, no navigation).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOUR = "#0a5c8e"  # --color-brand in light mode
BACKGROUND_COLOUR = "#ffffff"
# What the service worker keeps (static paths); the offline page is added to them.
SHELL_STATIC = (
    "css/site.css",
    "js/site.js",
    "img/favicon.svg",
    "img/icon-192.png",
)


@lru_cache(maxsize=1)
def _shell() -> tuple[tuple[str, ...], str]:
    """The shell's URLs and a version that changes when one of the files does (a new
    service worker then replaces the old cache)."""
    digest = hashlib.sha256()
    for path in SHELL_STATIC:
        found = finders.find(path)
        if isinstance(found, str):
            with open(found, "rb") as shell_file:
                digest.update(shell_file.read())
        digest.update(static(path).encode())
    # The offline page in every language: the version is the same whichever language the
    # process first answered in, and changes with any of the page's translations.
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            offline_page = render_to_string("offline.html", {"site_name": settings.SITE_NAME})
        digest.update(offline_page.encode())
    urls = (*(static(path) for path in SHELL_STATIC), reverse("offline"))
    return urls, digest.hexdigest()[:16]


@login_not_required
@require_GET
@cache_control(max_age=86400, public=True)
def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "id": "/",
            "name": settings.SITE_NAME,
            "short_name": settings.SITE_NAME[:12],
            "description": _("Appointments, messages and your details at the hospital."),
            "start_url": reverse("start"),
            "scope": "/",
            "display": "standalone",
            "background_color": BACKGROUND_COLOUR,
            "theme_color": THEME_COLOUR,
            "icons": [
                {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": static("img/icon-maskable-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
                {"src": static("img/favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
            ],
        },
        content_type="application/manifest+json",
    )


@login_not_required
@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """At the site's root, so its scope is the whole site; revalidated on every check."""
    urls, version = _shell()
    script = render_to_string(
        "service_worker.js",
        {
            "version": version,
            "shell": json.dumps(list(urls)),
            "offline_url": json.dumps(reverse("offline")),
        },
    )
    return HttpResponse(script, content_type="text/javascript; charset=utf-8")


@login_not_required
@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """The page shown when the network is gone: for nobody in particular (it is cached)."""
    return render(request, "offline.html", {"site_name": settings.SITE_NAME})
