from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/login", apis.LoginApi.as_view(), name="auth-login"),
    path("auth/mfa", apis.LoginMfaApi.as_view(), name="auth-mfa"),
    path("auth/mfa/sms", apis.LoginMfaSmsApi.as_view(), name="auth-mfa-sms"),
    path("auth/refresh", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout", apis.LogoutApi.as_view(), name="auth-logout"),
    path("auth/signup", apis.SignupApi.as_view(), name="auth-signup"),
    path("auth/email/verify", apis.EmailVerifyApi.as_view(), name="auth-email-verify"),
    path("auth/email/verify/resend", apis.EmailVerifyResendApi.as_view(), name="auth-email-resend"),
    path("auth/password/reset", apis.PasswordResetApi.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm",
        apis.PasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("account/me", apis.MeApi.as_view(), name="account-me"),
    path("account/profile", apis.PatientProfileApi.as_view(), name="account-profile"),
    path("account/staff-profile", apis.StaffProfileApi.as_view(), name="account-staff-profile"),
    path("account/password", apis.PasswordChangeApi.as_view(), name="account-password"),
    path("account/email", apis.EmailChangeApi.as_view(), name="account-email"),
    path("account/deactivate", apis.DeactivateApi.as_view(), name="account-deactivate"),
    path("account/sessions", apis.SessionListApi.as_view(), name="account-sessions"),
    path(
        "account/sessions/end-others",
        apis.SessionsEndOthersApi.as_view(),
        name="account-sessions-end-others",
    ),
    path(
        "account/sessions/<uuid:session_id>",
        apis.SessionRevokeApi.as_view(),
        name="account-session",
    ),
    path("account/mfa", apis.DeviceListApi.as_view(), name="account-mfa"),
    path("account/mfa/totp", apis.TotpSetupApi.as_view(), name="account-mfa-totp"),
    path(
        "account/mfa/totp/confirm", apis.TotpConfirmApi.as_view(), name="account-mfa-totp-confirm"
    ),
    path("account/mfa/sms", apis.SmsSetupApi.as_view(), name="account-mfa-sms"),
    path("account/mfa/sms/confirm", apis.SmsConfirmApi.as_view(), name="account-mfa-sms-confirm"),
    path(
        "account/mfa/recovery-codes",
        apis.RecoveryCodesApi.as_view(),
        name="account-mfa-recovery-codes",
    ),
    path("account/mfa/remove", apis.DeviceRemoveApi.as_view(), name="account-mfa-remove"),
    path("departments", apis.DepartmentListApi.as_view(), name="departments"),
]
