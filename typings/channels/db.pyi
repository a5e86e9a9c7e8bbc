from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")

# A class in Channels (DatabaseSyncToAsync), used as a function or decorator.
def database_sync_to_async(func: Callable[_P, _R]) -> Callable[_P, Awaitable[_R]]: ...
async def aclose_old_connections() -> None: ...
