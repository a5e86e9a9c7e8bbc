from django.contrib.admin import AdminSite
from django.http import HttpRequest

class OTPAdminSite(AdminSite):
    def __init__(self, name: str = "otpadmin") -> None: ...
    # AdminSite.has_permission and request.user.is_verified() (set by OTPMiddleware).
    def has_permission(self, request: HttpRequest) -> bool: ...
