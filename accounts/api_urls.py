from django.urls import path

from accounts.apis import account, auth, directory, identity, mfa, registration

urlpatterns = [
    path("auth/login", auth.LoginApi.as_view(), name="auth-login"),
    path("auth/mfa", auth.LoginMfaApi.as_view(), name="auth-mfa"),
    path("auth/mfa/sms", auth.LoginMfaSmsApi.as_view(), name="auth-mfa-sms"),
    path(
        "auth/mfa/passkey/begin",
        auth.LoginMfaPasskeyBeginApi.as_view(),
        name="auth-mfa-passkey-begin",
    ),
    path("auth/unlock", auth.UnlockApi.as_view(), name="auth-unlock"),
    path("auth/refresh", auth.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout", auth.LogoutApi.as_view(), name="auth-logout"),
    path("auth/signup", registration.SignupApi.as_view(), name="auth-signup"),
    path("auth/email/verify", registration.EmailVerifyApi.as_view(), name="auth-email-verify"),
    path(
        "auth/email/verify/resend",
        registration.EmailVerifyResendApi.as_view(),
        name="auth-email-resend",
    ),
    path(
        "auth/password/reset", registration.PasswordResetApi.as_view(), name="auth-password-reset"
    ),
    path(
        "auth/password/reset/confirm",
        registration.PasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("account/me", account.MeApi.as_view(), name="account-me"),
    path("account/profile", account.PatientProfileApi.as_view(), name="account-profile"),
    path(
        "account/profile/identity-requests",
        identity.IdentityChangeRequestListApi.as_view(),
        name="account-identity-requests",
    ),
    path("account/staff-profile", account.StaffProfileApi.as_view(), name="account-staff-profile"),
    path("account/password", account.PasswordChangeApi.as_view(), name="account-password"),
    path("account/email", account.EmailChangeApi.as_view(), name="account-email"),
    path("account/deactivate", account.DeactivateApi.as_view(), name="account-deactivate"),
    path("account/sessions", account.SessionListApi.as_view(), name="account-sessions"),
    path(
        "account/sessions/end-others",
        account.SessionsEndOthersApi.as_view(),
        name="account-sessions-end-others",
    ),
    path(
        "account/sessions/<uuid:session_id>",
        account.SessionRevokeApi.as_view(),
        name="account-session",
    ),
    path("account/mfa", mfa.DeviceListApi.as_view(), name="account-mfa"),
    path("account/mfa/totp", mfa.TotpSetupApi.as_view(), name="account-mfa-totp"),
    path("account/mfa/totp/confirm", mfa.TotpConfirmApi.as_view(), name="account-mfa-totp-confirm"),
    path("account/mfa/sms", mfa.SmsSetupApi.as_view(), name="account-mfa-sms"),
    path("account/mfa/sms/confirm", mfa.SmsConfirmApi.as_view(), name="account-mfa-sms-confirm"),
    path(
        "account/mfa/recovery-codes",
        mfa.RecoveryCodesApi.as_view(),
        name="account-mfa-recovery-codes",
    ),
    path("account/mfa/remove", mfa.DeviceRemoveApi.as_view(), name="account-mfa-remove"),
    path("departments", directory.DepartmentListApi.as_view(), name="departments"),
]
