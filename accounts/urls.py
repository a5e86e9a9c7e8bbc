from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from accounts import passkeys
from accounts.views import (
    account,
    identity,
    language,
    login_step,
    security,
    sessions,
    signup,
    unlock,
)

app_name = "accounts"

urlpatterns = [
    path("", account.dashboard, name="dashboard"),
    # allauth's sign-up page (its URL and name stay allauth's: this one is matched first),
    # answering at a fixed time so a taken address cannot be told by timing.
    path("signup/", signup.signup, name="signup"),
    path("profile/", account.profile_edit, name="profile_edit"),
    path("appearance/", account.appearance, name="appearance"),
    path("language/", language.language, name="language"),
    path(
        "profile/identity/",
        identity.identity_change_request_create,
        name="identity_change_request",
    ),
    path("identity-requests/", identity.identity_requests, name="identity_requests"),
    path(
        "identity-requests/<uuid:request_id>/",
        identity.identity_request_decide,
        name="identity_request_decide",
    ),
    path("security/", security.security, name="security"),
    path("security/totp/", security.totp_setup, name="totp_setup"),
    path("security/sms/", security.sms_setup, name="sms_setup"),
    path("security/recovery-codes/", security.recovery_codes_regenerate, name="recovery_codes"),
    path("security/remove/", security.device_remove, name="device_remove"),
    path("sessions/", sessions.session_list, name="sessions"),
    path("sessions/revoke/", sessions.session_revoke, name="session_revoke"),
    path("sessions/keep-alive/", sessions.session_keep_alive, name="session_keep_alive"),
    path("deactivate/", account.deactivate, name="deactivate"),
    path("2fa/verify/", login_step.otp_verify, name="otp_verify"),
    path("unlock/<str:key>/", unlock.unlock, name="unlock"),
    path(
        "2fa/passkey/begin/", passkeys.PasskeyLoginBeginView.as_view(), name="passkey_login_begin"
    ),
    path(
        "2fa/passkey/complete/",
        passkeys.PasskeyLoginCompleteView.as_view(),
        name="passkey_login_complete",
    ),
    path("security/passkey/", security.passkey_setup, name="passkey_setup"),
    path(
        "security/passkey/begin/",
        passkeys.PasskeyRegisterBeginView.as_view(),
        name="passkey_register_begin",
    ),
    path(
        "security/passkey/complete/",
        passkeys.PasskeyRegisterCompleteView.as_view(),
        name="passkey_register_complete",
    ),
    path(
        "2fa/passkey/i18n.js",
        login_not_required(JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])),
        name="passkey_i18n",
    ),
]
