from typing import Any

from django.http import HttpRequest, HttpResponse

class SignupView:
    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any: ...
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse: ...
