from typing import Any

from django import forms
from django.contrib.auth.models import _User

class EmailField(forms.EmailField):
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    # Lower-cased.
    def clean(self, value: Any) -> str: ...

class PasswordField(forms.CharField):
    # Extra keyword arguments: render_value, autocomplete, show_reset_help.
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...

class SetPasswordField(PasswordField):
    # Validated against this user's attributes by the adapter's clean_password.
    user: _User | None
    def clean(self, value: Any) -> str: ...
