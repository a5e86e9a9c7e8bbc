from collections.abc import Callable
from typing import Any, TypeVar, overload

from django.http import HttpRequest

_F = TypeVar("_F", bound=Callable[..., Any])

# The wrapper (functools.wraps) takes the view's arguments and raises
# allauth.core.exceptions.ReauthenticationRequired when a fresh login is needed.
@overload
def reauthentication_required(
    function: _F,
    redirect_field_name: str = "next",
    allow_get: bool = False,
    enabled: bool | Callable[[HttpRequest], bool] | None = None,
    *,
    app: str = "",
) -> _F: ...
@overload
def reauthentication_required(
    function: None = None,
    redirect_field_name: str = "next",
    allow_get: bool = False,
    enabled: bool | Callable[[HttpRequest], bool] | None = None,
    *,
    app: str = "",
) -> Callable[[_F], _F]: ...
