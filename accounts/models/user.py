"""Users. Email is the login; a random public id stands in for the integer key outside the DB."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import ADMIN_SITE_ROLES, STAFF_ROLES, Role


class UserManager(BaseUserManager["User"]):
    """Creates users by email; looks them up case-insensitively."""

    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # Foo@X.org and foo@x.org are one account: login must find it either way.
        return self.get(email__iexact=username)

    def _create_user(self, email: str, password: str | None, **extra_fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not (extra_fields["is_staff"] and extra_fields["is_superuser"]):
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who can sign in: patient or staff (roles arrive as groups)."""

    public_id = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Random identifier used in URLs and the API instead of the database key."),
        verbose_name=_("public ID"),
    )
    # unique=True satisfies Django's auth checks; the constraint below makes it case-insensitive.
    email = models.EmailField(
        _("email address"),
        max_length=254,
        unique=True,
        error_messages={"unique": _("An account with this email address already exists.")},
    )
    full_name = models.CharField(max_length=150, blank=True, verbose_name=_("full name"))
    role = models.CharField(
        max_length=32,
        choices=Role.choices,
        default=Role.PATIENT,
        help_text=_(
            "Change it through accounts.services.user_set_role, which keeps groups in step."
        ),
        verbose_name=_("role"),
    )
    is_active = models.BooleanField(
        default=True,
        help_text=_(
            "Unselect this instead of deleting accounts: audit history keeps pointing at them."
        ),
        verbose_name=_("is active"),
    )
    is_staff = models.BooleanField(
        default=False,
        help_text=_("Designates whether the user can log into the admin site."),
        verbose_name=_("is staff"),
    )
    date_joined = models.DateTimeField(default=timezone.now, verbose_name=_("date joined"))

    class Theme(models.TextChoices):
        SYSTEM = "system", _("Follow my device")
        LIGHT = "light", _("Light")
        DARK = "dark", _("Dark")

    # How the pages look for them; "system" follows the device's light or dark setting.
    theme = models.CharField(
        _("appearance"),
        max_length=8,
        choices=Theme.choices,
        default=Theme.SYSTEM,
        db_default=Theme.SYSTEM,
    )

    # The language of their pages (settings.LANGUAGES); blank: the browser's.
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        db_default="",
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=_("An account with this email address already exists."),
            ),
        ]
        ordering: ClassVar = ["email"]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ", 1)[0] if self.full_name else self.email

    @property
    def is_staff_member(self) -> bool:
        """Hospital staff (any staff role); not the same as Django's is_staff (admin site)."""
        return self.role in STAFF_ROLES

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def may_use_admin_site(self) -> bool:
        return self.is_superuser or self.role in ADMIN_SITE_ROLES

    @property
    def audit_role(self) -> str:
        """The role recorded on audit rows."""
        return str(self.role)
