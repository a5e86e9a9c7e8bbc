"""Forms of the accounts pages. allauth's forms are subclassed so that the web and the
API (which reuses these forms) apply the same rules through the same services."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar, cast

from allauth.account.forms import (
    ChangePasswordForm,
    LoginForm,
    ReauthenticateForm,
    ResetPasswordForm,
    ResetPasswordKeyForm,
    SignupForm,
)
from allauth.account.models import Login
from allauth.core import context
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, QueryDict
from django.http.response import HttpResponseBase
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import ratelimits
from accounts.errors import (
    AccountLocked,
    ChallengeRequired,
    InvalidCredentials,
    ReauthenticationRequired,
)
from accounts.models import AuthSession, PatientProfile, User
from accounts.selectors.sessions import web_session_of
from accounts.selectors.users import user_get_by_email
from accounts.services.auth import login_check_password
from accounts.services.passwords import password_changed, password_reset_completed
from accounts.services.profiles import PATIENT_EDITABLE_FIELDS, date_of_birth_in_future
from accounts.services.reauthentication import reauthenticate
from accounts.services.registration import signup_with_taken_address
from accounts.services.users import patient_signup_complete
from accounts.validators import normalize_phone
from core.caller import client_ip
from core.countries import country_choices, validate_country_code
from core.local_time import time_zone_names
from core.widgets import DateInput, TelInput

# --- allauth flows -----------------------------------------------------------------------


class HospitalLoginForm(LoginForm):
    """allauth's login, with our checks: rate limits, challenge after failures, audit."""

    challenge_token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=512)
    challenge_nonce = forms.CharField(required=False, widget=forms.HiddenInput, max_length=32)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.challenge: dict[str, Any] | None = None
        # allauth puts a "Forgot your password?" link in the password's help text, between
        # the label and its input in the Tab order; the page has that link after the button.
        self.fields["password"].help_text = ""
        # What password managers and phones fill in (WHATWG autocomplete tokens).
        self.fields["login"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def _clean_with_password(self, credentials: dict[str, Any]) -> dict[str, Any]:
        request = self.request
        assert request is not None  # noqa: S101 - allauth's login view passes the request
        try:
            user = login_check_password(
                request=request,
                email=credentials.get("email", ""),
                password=credentials.get("password", ""),
                challenge_token=self.cleaned_data.get("challenge_token", ""),
                challenge_nonce=self.cleaned_data.get("challenge_nonce", ""),
            )
        except ChallengeRequired as error:
            self.challenge = error.challenge
            # Re-rendered with the new challenge; static/js/challenge.js solves it.
            data = cast("QueryDict", self.data).copy()  # the posted form
            data["challenge_token"] = str(error.challenge["token"])
            data["challenge_nonce"] = ""
            self.data = data
            self.fields["challenge_token"].widget.attrs["data-difficulty-bits"] = error.challenge[
                "difficulty_bits"
            ]
            raise ValidationError(error.message, code=error.code) from None
        except (InvalidCredentials, AccountLocked) as error:
            raise ValidationError(error.message, code=error.code) from None
        self._login = Login(user=user, email=credentials.get("email"))
        self.user = user
        return self.cleaned_data


class PatientSignupForm(SignupForm):
    """Self-service sign-up creates a patient account and profile; the email must be verified."""

    legal_name = forms.CharField(
        max_length=150,
        label=_("Full legal name"),
        help_text=_("As on your ID or insurance card."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    date_of_birth = forms.DateField(
        widget=DateInput(attrs={"autocomplete": "bday"}), label=_("Date of birth")
    )

    field_order = ["email", "legal_name", "date_of_birth", "password1"]

    def clean_date_of_birth(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["date_of_birth"]
        if date_of_birth_in_future(date_of_birth=value):
            raise ValidationError(gettext("The date of birth cannot be in the future."))
        if value.year < 1900:
            raise ValidationError(gettext("Enter a date of birth after 1900."))
        return value

    def clean(self) -> dict[str, Any]:
        request = context.request
        ratelimits.signup_attempt(ip=client_ip(request) if request else None)
        return super().clean()

    def try_save(self, request: HttpRequest) -> tuple[User | None, HttpResponseBase | None]:
        if self.account_already_exists:  # the same work as a new account (no timing tell)
            signup_with_taken_address(password=self.cleaned_data["password1"])
        try:
            with transaction.atomic():
                user, response = super().try_save(request)
        except IntegrityError:
            # Another sign-up with this address committed between the form's check and this
            # insert (a double tap, a retried request): the address is taken now, so the
            # answer is the one a taken address gets (its owner is told), not a 500.
            taken = user_get_by_email(email=self.cleaned_data["email"]) is not None
            if self.account_already_exists or not taken:
                raise
            self.account_already_exists = True
            user, response = super().try_save(request)
        assert user is None or isinstance(user, User)  # noqa: S101 - AUTH_USER_MODEL
        return user, response

    def save(self, request: HttpRequest) -> User:
        # allauth's try_save calls this only for a new address (a taken one gets an email
        # to its owner instead, and no account).
        user = super().save(request)
        patient_signup_complete(
            user=user,
            legal_name=self.cleaned_data["legal_name"],
            date_of_birth=self.cleaned_data["date_of_birth"],
            request=request,
        )
        return user


class HospitalChangePasswordForm(ChangePasswordForm):
    """Changing the password ends every other session and API token of the account. The
    current password is checked like any other re-authentication (limit, audit)."""

    def clean_oldpassword(self) -> str:
        password: str = self.cleaned_data.get("oldpassword", "")
        _reauthenticated(self.user, password)
        return password

    def save(self) -> None:
        request = context.request  # allauth's middleware keeps the current request here
        self.save_keeping(
            session=web_session_of(request=request) if request else None, request=request
        )

    def save_keeping(self, *, session: AuthSession | None, request: HttpRequest | None) -> None:
        """Change the password; every session but ``session`` ends (the API keeps its own)."""
        super().save()
        user = self.user
        assert isinstance(user, User)  # noqa: S101 - allauth's form for a signed-in user
        password_changed(user=user, keep_session=session, request=request)


class HospitalResetPasswordForm(ResetPasswordForm):
    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        request = context.request
        ratelimits.password_reset_attempt(ip=client_ip(request) if request else None, email=email)
        return super().clean_email()


class HospitalResetPasswordKeyForm(ResetPasswordKeyForm):
    """Setting a new password from a reset link ends every session of the account."""

    def save(self) -> None:
        super().save()
        user = self.user
        assert isinstance(user, User)  # noqa: S101 - the user of the reset link
        password_reset_completed(user=user, request=context.request)


# --- Profiles and MFA ------------------------------------------------------------------


def _time_zone_choices() -> list[tuple[str, str]]:
    return [
        # Translators: the hospital's time zone, e.g. "The hospital's (Europe/London)".
        ("", gettext("The hospital's (%(zone)s)") % {"zone": settings.TIME_ZONE}),
        *((name, name.replace("_", " ")) for name in sorted(time_zone_names())),
    ]


class PatientProfileForm(forms.ModelForm[PatientProfile]):
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        required=False,
        label=_("Your time zone"),
        help_text=_(
            "Appointment times are shown in the clinic's zone and, if different, in yours."
        ),
    )

    country = forms.ChoiceField(choices=country_choices, required=False, label=_("Country"))

    class Meta:
        model = PatientProfile
        fields = PATIENT_EDITABLE_FIELDS
        # The model's field names in the reader's language (address lines and the time zone
        # come translated from the model).
        labels: ClassVar = {
            "phone": _("Phone"),
            "city": _("City"),
            "postal_code": _("Postal code"),
            "emergency_contact_name": _("Emergency contact name"),
            "emergency_contact_phone": _("Emergency contact phone"),
            "insurance_member_id": _("Insurance member id"),
            "preferred_language": _("Preferred language"),
        }
        # What browsers and password managers fill in (WHATWG autocomplete tokens).
        widgets: ClassVar = {
            "date_of_birth": DateInput(attrs={"autocomplete": "bday"}),
            "phone": TelInput(attrs={"autocomplete": "tel"}),
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "emergency_contact_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "emergency_contact_phone": TelInput(attrs={"autocomplete": "off"}),
        }

    def _clean_phone(self, name: str) -> str:
        value: str = self.cleaned_data.get(name, "")
        return normalize_phone(value) if value else ""

    def clean_phone(self) -> str:
        return self._clean_phone("phone")

    def clean_emergency_contact_phone(self) -> str:
        return self._clean_phone("emergency_contact_phone")

    def clean_country(self) -> str:
        value = str(self.cleaned_data.get("country", "")).upper()
        validate_country_code(value)
        return value


class OtpVerifyForm(forms.Form):
    method = forms.ChoiceField(choices=(), widget=forms.HiddenInput)
    challenge_token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=512)
    challenge_nonce = forms.CharField(required=False, widget=forms.HiddenInput, max_length=32)
    code = forms.CharField(
        max_length=32,
        label=_("Code"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def __init__(self, *args: Any, methods: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        method_field = self.fields["method"]
        assert isinstance(method_field, forms.ChoiceField)  # noqa: S101
        method_field.choices = [(m, m) for m in methods]
        self.challenge: dict[str, Any] | None = None

    def ask_for_challenge(self, error: ChallengeRequired) -> None:
        """Show the form again with a new challenge for static/js/challenge.js to solve."""
        self.challenge = error.challenge
        data = cast("QueryDict", self.data).copy()
        data["challenge_token"] = str(error.challenge["token"])
        data["challenge_nonce"] = ""
        self.data = data
        self.fields["challenge_token"].widget.attrs["data-difficulty-bits"] = error.challenge[
            "difficulty_bits"
        ]
        self.add_error("code", error.message)


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        max_length=8,
        min_length=6,
        label=_("6-digit code from the app"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class SmsStartForm(forms.Form):
    phone = forms.CharField(
        max_length=32,
        label=_("Mobile number"),
        help_text=_("With country code, e.g. +44 7911 123456."),
        widget=TelInput(attrs={"autocomplete": "tel"}),
    )


class SmsConfirmForm(forms.Form):
    code = forms.CharField(
        max_length=8,
        label=_("Code from the SMS"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=256,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        _reauthenticated(self.user, password)
        return password


def _reauthenticated(user: Any, password: str) -> None:
    """The password asked again, through the one service (limit and audit); a wrong one is
    a field error, too many failures a 429 page (RateLimitMiddleware)."""
    assert isinstance(user, User)  # noqa: S101 - forms for a signed-in user
    try:
        reauthenticate(user=user, password=password, request=context.request)
    except ReauthenticationRequired as error:
        raise ValidationError(error.message, code="incorrect_password") from None


class HospitalReauthenticateForm(ReauthenticateForm):
    """allauth's "confirm your password" page (before email changes, passkeys, factor set-up)."""

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        _reauthenticated(self.user, password)
        return password


class AppearanceForm(forms.Form):
    theme = forms.ChoiceField(
        label=_("Appearance"),
        choices=User.Theme.choices,
        widget=forms.RadioSelect,
        help_text=_("Dark is easier on the eyes at night; your device's setting changes with it."),
    )
