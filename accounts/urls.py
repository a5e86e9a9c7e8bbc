from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("profile/", views.profile_edit, name="profile_edit"),
    path("security/", views.security, name="security"),
    path("security/totp/", views.totp_setup, name="totp_setup"),
    path("security/sms/", views.sms_setup, name="sms_setup"),
    path("security/recovery-codes/", views.recovery_codes_regenerate, name="recovery_codes"),
    path("security/remove/", views.device_remove, name="device_remove"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/revoke/", views.session_revoke, name="session_revoke"),
    path("deactivate/", views.deactivate, name="deactivate"),
    path("2fa/verify/", views.otp_verify, name="otp_verify"),
]
