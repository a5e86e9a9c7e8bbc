"""The project's URL map plus the ceiling: a bare Django view that runs `SELECT 1` through the
same connection pool, served through the same middleware by the same server. Every figure in
docs/benchmarks.md is a ratio to it. Only bench.settings uses this module."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hospital import urls as project

CEILING_PATH = "/bench/ceiling"


@login_not_required
@never_cache
@require_GET
def ceiling(request: HttpRequest) -> HttpResponse:
    """One query, no template, no serializer: the least a request that reads the database
    can cost here."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse(b"1", content_type="text/plain")


urlpatterns = [path(CEILING_PATH.lstrip("/"), ceiling, name="bench-ceiling"), *project.urlpatterns]

handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500
