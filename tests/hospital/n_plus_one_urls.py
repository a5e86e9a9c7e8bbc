"""A view with a deliberate N+1, for tests/hospital/test_n_plus_one.py only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from accounts.models import StaffProfile


@login_not_required
def names_one_query_per_row(request: HttpRequest) -> HttpResponse:
    return HttpResponse(", ".join(p.user.email for p in StaffProfile.objects.all()))


@login_not_required
def names_in_one_query(request: HttpRequest) -> HttpResponse:
    profiles = StaffProfile.objects.select_related("user")
    return HttpResponse(", ".join(p.user.email for p in profiles))


urlpatterns = [
    path("n-plus-one", names_one_query_per_row),
    path("joined", names_in_one_query),
]
