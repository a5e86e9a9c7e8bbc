from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class HospitalConfig(AppConfig):
    """The project package as an app: its management commands (seed_demo) and nothing else."""

    name = "hospital"
    verbose_name = _("Hospital platform")


class HospitalAdminConfig(AdminConfig):
    """The admin, on our OTP-protected site (the class is named by string: see django-otp)."""

    default_site = "hospital.admin_site.HospitalAdminSite"
