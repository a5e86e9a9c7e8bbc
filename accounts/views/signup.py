"""The sign-up page: allauth's, answering at a fixed time (accounts.services.registration)."""

from __future__ import annotations

from allauth.account.views import SignupView
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse

from accounts.services import registration

_allauth_signup = SignupView.as_view()


@login_not_required
def signup(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    with registration.signup_answer_time():
        return _page(request)


def _page(request: HttpRequest) -> HttpResponse:
    response: HttpResponse = _allauth_signup(request)
    return response
