"""Which language to speak to someone in: the pages' languages and a person's choice."""

from __future__ import annotations

from django.conf import settings

from accounts.models import PatientProfile, User


def page_languages() -> list[str]:
    """The codes of the languages the pages are written in."""
    return [code for code, _name in settings.LANGUAGES]


def default_language() -> str:
    return settings.LANGUAGE_CODE.split("-")[0]


def language_of(user: User) -> str:
    """The language to write to someone in outside a request (a Celery task's email): the
    language of their pages if they chose one, else a patient's preferred language when the
    pages are written in it, else the hospital's. At most one query."""
    if user.language in page_languages():
        return user.language
    if user.is_patient:
        preferred = (
            PatientProfile.objects.filter(user=user)
            .values_list("preferred_language", flat=True)
            .first()
        )
        if preferred in page_languages():
            return str(preferred)
    return default_language()
