"""The root URL map: the only module that imports every app's URLs."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from hospital import installable, metrics_view, views


def _admin_header() -> str:
    # Translators: the admin's heading, e.g. "St. Example Hospital administration".
    return _("%(site)s administration") % {"site": settings.SITE_NAME}


# In the language of each request (this module is imported once).
admin.site.site_header = lazy(_admin_header, str)()
admin.site.site_title = settings.SITE_NAME

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("manifest.webmanifest", installable.manifest, name="manifest"),
    path("sw.js", installable.service_worker, name="service_worker"),
    path("offline/", installable.offline, name="offline"),
    path("styleguide/", views.styleguide, name="styleguide"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics_view.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("appointments/", include("appointments.urls")),
    path("notifications/", include("notifications.urls")),
    path("webhooks/", include("notifications.webhook_urls")),
    path("api/v1/", include("accounts.api_urls")),
    path("api/v1/", include("appointments.api_urls")),
    path("api/v1/", include("notifications.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Last: any other /api/ path is a JSON 404, also with DEBUG on.
    re_path(r"^api/", views.api_not_found),
]

handler400 = "hospital.views.bad_request"
handler403 = "hospital.views.permission_denied"
handler404 = "hospital.views.page_not_found"
handler500 = "hospital.views.server_error"
