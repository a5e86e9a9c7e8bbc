"""The real routes plus a slow page and a slow API call, for the overload test only (never in
production URLs): each holds its pooled database connection for ``SLEEP_SECONDS``, and tells
in ``QUEUE_HEADER`` how long core.queue_time measured it waited before reaching Django."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from hospital.urls import (  # noqa: F401 - Django reads the handlers from the root URLconf
    handler400,
    handler403,
    handler404,
    handler500,
)
from hospital.urls import urlpatterns as real_urlpatterns

SLEEP_SECONDS = 0.3
QUEUE_HEADER = "X-Test-Queue-Seconds"


@login_not_required
def slow(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [SLEEP_SECONDS])
    response = HttpResponse("slept", content_type="text/plain")
    waited = getattr(request, "queue_seconds", None)
    response[QUEUE_HEADER] = "none" if waited is None else repr(waited)
    return response


urlpatterns = [
    path("test-overload/slow/", slow),
    path("api/v1/test-overload/slow", slow),
    *real_urlpatterns,
]
