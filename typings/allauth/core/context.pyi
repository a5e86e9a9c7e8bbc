from contextlib import AbstractContextManager

from django.http import HttpRequest

# A module __getattr__ at runtime: the request of the current context (set by
# allauth.account.middleware.AccountMiddleware), None outside of one.
request: HttpRequest | None

def request_context(request: HttpRequest) -> AbstractContextManager[None]: ...
