# Form fields are listed in comments only: Django's form metaclass moves them into
# base_fields, so they are not attributes of the class or its instances.
from typing import Any

from allauth.account.models import EmailAddress, Login
from django import forms
from django.contrib.auth.models import _User
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

class PasswordVerificationMixin:
    # Adds an error on password2 when it differs from password1.
    def clean(self) -> dict[str, Any]: ...

class LoginForm(forms.Form):
    # Fields: login (added in __init__, per ACCOUNT_LOGIN_METHODS), password, remember.
    # Set by a successful clean().
    user: _User | None
    request: HttpRequest | None
    _login: Login
    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None: ...
    def user_credentials(self) -> dict[str, Any]: ...
    def clean_login(self) -> str: ...
    def clean(self) -> dict[str, Any]: ...
    # Authenticates through the adapter; sets self._login and self.user, or raises
    # ValidationError. Returns self.cleaned_data.
    def _clean_with_password(self, credentials: dict[str, Any]) -> dict[str, Any]: ...
    def login(self, request: HttpRequest, redirect_url: str | None = None) -> HttpResponse: ...

# At runtime the base class is base_signup_form_class(): ACCOUNT_SIGNUP_FORM_CLASS if
# set, else a plain forms.Form with a no-op signup(request, user).
class BaseSignupForm(forms.Form):
    # Fields: username, email (and email2, phone), kept or dropped per ACCOUNT_SIGNUP_FIELDS.
    account_already_exists: bool
    # Also accepts email_required= and username_required= (override ACCOUNT_SIGNUP_FIELDS).
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    def clean_username(self) -> str: ...
    def clean_email(self) -> str: ...
    def clean_email2(self) -> str: ...
    def validate_unique_email(self, value: str) -> str: ...
    def clean(self) -> dict[str, Any]: ...
    def custom_signup(self, request: HttpRequest, user: _User) -> None: ...
    # (new user, None), or (None, "verification sent" response) when the address
    # already has an account (enumeration prevention) or the honeypot was filled.
    def try_save(self, request: HttpRequest) -> tuple[_User | None, HttpResponseBase | None]: ...
    # Raises ValueError when the account already exists; use try_save.
    def save(self, request: HttpRequest) -> _User: ...

class SignupForm(BaseSignupForm):
    # Adds password1 (and password2) unless by_passkey, and the honeypot field.
    by_passkey: bool
    def __init__(self, *args: Any, by_passkey: bool = False, **kwargs: Any) -> None: ...

class UserForm(forms.Form):
    user: _User | None
    def __init__(self, user: _User | None = None, *args: Any, **kwargs: Any) -> None: ...

class AddEmailForm(UserForm):
    # Fields: email.
    def clean_email(self) -> str: ...
    # With ACCOUNT_CHANGE_EMAIL, the new (unverified) address that replaces the old
    # one once confirmed.
    def save(self, request: HttpRequest) -> EmailAddress: ...

class ChangePasswordForm(PasswordVerificationMixin, UserForm):
    # Fields: oldpassword, password1, password2.
    def clean_oldpassword(self) -> str: ...
    def save(self) -> None: ...

class ResetPasswordForm(forms.Form):
    # Fields: email.
    # Active users with that address; set by clean_email().
    users: list[_User]
    def clean_email(self) -> str: ...
    # Returns the address; mails a reset link (or code) to each matching user.
    def save(self, request: HttpRequest, **kwargs: Any) -> str: ...

class ResetPasswordKeyForm(PasswordVerificationMixin, forms.Form):
    # Fields: password1, password2.
    user: _User | None
    temp_key: str | None
    def __init__(
        self, *args: Any, user: _User | None = None, temp_key: str | None = None, **kwargs: Any
    ) -> None: ...
    def save(self) -> None: ...

class ReauthenticateForm(forms.Form):
    # Fields: password.
    user: _User
    # ``user`` is a required keyword (popped from kwargs).
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    def clean_password(self) -> str: ...

class UserTokenForm(forms.Form):
    # Fields: uidb36, key.
    # The user of a valid uidb36 + key; set by clean().
    reset_user: _User | None
    token_generator: PasswordResetTokenGenerator
    def _get_user(self, uidb36: str) -> _User | None: ...
    def clean(self) -> dict[str, Any]: ...
