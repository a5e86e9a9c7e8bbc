"""Pages in English, Spanish or Arabic: the browser's language, the switcher's cookie, and a
signed-in person's saved choice (which follows them to another device); Arabic right to left;
the API in the client's Accept-Language."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.models import User
from tests.factories import PatientProfileFactory, StaffProfileFactory

pytestmark = pytest.mark.django_db

SKIP_LINK = "Skip to main content"


def _translated(language: str, text: str) -> str:
    with translation.override(language):
        translated = translation.gettext(text)
    assert translated != text, f"{text!r} has no {language} translation"
    return translated


@pytest.fixture
def patient(client):
    user = PatientProfileFactory.create().user
    client.force_login(user)
    return user


def test_english_by_default(client):
    response = client.get("/")
    html = response.content.decode()

    assert '<html lang="en" dir="ltr"' in html
    assert SKIP_LINK in html
    assert response["Content-Language"] == "en"
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize(("language", "direction"), [("es", "ltr"), ("ar", "rtl")])
def test_the_browsers_language(client, language, direction):
    html = client.get("/", headers={"accept-language": f"{language},en;q=0.5"}).content.decode()

    assert f'<html lang="{language}" dir="{direction}"' in html
    assert _translated(language, SKIP_LINK) in html
    assert SKIP_LINK not in html


def test_a_language_we_do_not_write_falls_back_to_english(client):
    html = client.get("/", headers={"accept-language": "de-DE,de;q=0.9"}).content.decode()

    assert '<html lang="en" dir="ltr"' in html


def test_the_switcher_is_on_every_page_and_names_each_language_in_itself(client, patient):
    html = client.get("/accounts/").content.decode()

    assert 'action="/accounts/language/"' in html
    assert '<option value="es" lang="es">Espa\u00f1ol</option>' in html
    assert (
        '<option value="ar" lang="ar">\u0627\u0644\u0639\u0631\u0628\u064a\u0629</option>' in html
    )
    assert '<option value="en" lang="en" selected>English</option>' in html


def test_anyone_can_switch_and_returns_to_the_page_they_were_on(client):
    response = client.post("/accounts/language/", {"language": "es", "next": "/accounts/login/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="es" dir="ltr"' in html


def test_a_signed_in_persons_choice_is_saved_and_follows_them(client, patient):
    client.post("/accounts/language/", {"language": "ar", "next": "/accounts/"})

    assert User.objects.get(pk=patient.pk).language == "ar"
    # Another device, whose browser asks for English and has no cookie.
    other_device = client.__class__()
    other_device.force_login(User.objects.get(pk=patient.pk))
    html = other_device.get("/accounts/", headers={"accept-language": "en"}).content.decode()
    assert '<html lang="ar" dir="rtl"' in html
    assert _translated("ar", "My account") in html


def test_an_unknown_language_changes_nothing(client, patient):
    response = client.post("/accounts/language/", {"language": "xx", "next": "/accounts/"})

    assert response.status_code == 302
    assert User.objects.get(pk=patient.pk).language == ""
    assert '<html lang="en"' in client.get("/accounts/").content.decode()


def test_the_switcher_never_sends_anyone_to_another_site(client):
    response = client.post(
        "/accounts/language/", {"language": "es", "next": "https://evil.example/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_switcher_takes_only_a_post(client):
    assert client.get("/accounts/language/?language=es").status_code == 405


def test_staff_still_setting_up_two_factor_can_switch_language(client):
    staff = StaffProfileFactory.create().user
    client.force_login(staff)

    response = client.post("/accounts/language/", {"language": "es", "next": "/"})

    assert response.status_code == 302
    assert User.objects.get(pk=staff.pk).language == "es"


def test_the_api_answers_in_the_clients_language(client):
    answer = client.get("/api/v1/appointments", headers={"accept-language": "es"})

    assert answer.status_code == 401
    assert answer["Content-Language"] == "es"
    body = answer.json()
    assert body["code"] == "NOT_AUTHENTICATED"
    with translation.override("en"):
        english = client.get("/api/v1/appointments").json()
    assert body["title"] != english["title"]


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "null"},
    ],
)
def test_another_site_cannot_change_anyones_language(client, patient, headers):
    response = client.post(
        "/accounts/language/", {"language": "ar", "next": "/accounts/"}, headers=headers
    )

    assert response.status_code == 403
    assert User.objects.get(pk=patient.pk).language == ""
    assert "django_language" not in response.cookies


def test_a_post_from_our_own_page_is_taken(client, patient):
    response = client.post(
        "/accounts/language/",
        {"language": "es", "next": "/accounts/"},
        headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"},
    )

    assert response.status_code == 302
    assert User.objects.get(pk=patient.pk).language == "es"
    assert response.cookies["django_language"].value == "es"


def test_the_signed_out_pages_carry_no_form_token(client):
    html = client.get("/").content.decode()

    assert 'action="/accounts/language/"' in html
    assert "csrfmiddlewaretoken" not in html


def test_messages_go_out_in_the_patients_language_and_to_staff_in_the_language_of_their_pages():
    from accounts.selectors.profiles import messaging_facts_of

    patient = PatientProfileFactory.create(preferred_language="ar").user
    patient.language = "es"
    staff = StaffProfileFactory.create().user
    staff.language = "es"
    undecided = StaffProfileFactory.create().user

    assert messaging_facts_of(user=patient).language == "ar"
    assert messaging_facts_of(user=staff).language == "es"
    assert messaging_facts_of(user=undecided).language == "en"


def test_someone_who_signs_up_in_spanish_gets_spanish_pages_and_a_spanish_confirmation(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.models import PatientProfile
    from tests.accounts.test_web_auth import _signup

    client.cookies["django_language"] = "es"
    with django_capture_on_commit_callbacks(execute=True):  # the worker mails after commit
        response = _signup(client)

    assert response.status_code == 302
    user = User.objects.get(email="mary.seacole@example.org")
    assert user.language == "es"
    assert PatientProfile.objects.get(user=user).preferred_language == "es"
    (confirmation,) = mailoutbox
    assert _translated("es", "Confirm your email address") in confirmation.subject


def test_mail_sent_by_a_worker_is_in_the_language_chosen_else_the_preferred_one():
    """What the unlock link, the sign-up confirmation and the staff-changed-email notice are
    written in (accounts.selectors.languages.language_of; no request to say it)."""
    from accounts.selectors.languages import language_of

    chose_spanish = PatientProfileFactory.create(preferred_language="ar").user
    chose_spanish.language = "es"
    prefers_arabic = PatientProfileFactory.create(preferred_language="ar").user
    prefers_welsh = PatientProfileFactory.create(preferred_language="cy").user
    staff = StaffProfileFactory.create().user

    assert language_of(chose_spanish) == "es"
    assert language_of(prefers_arabic) == "ar"
    assert language_of(prefers_welsh) == "en"  # the pages are not written in Welsh
    assert language_of(staff) == "en"


def test_a_patient_choosing_arabic_as_their_language_gets_arabic_pages(client, patient):
    from accounts.selectors.profiles import patient_profile_of
    from accounts.services.profiles import patient_profile_update

    profile = patient_profile_of(user=patient)
    assert profile is not None
    patient_profile_update(profile=profile, changed_by=patient, preferred_language="ar")

    assert User.objects.get(pk=patient.pk).language == "ar"
    assert '<html lang="ar" dir="rtl"' in client.get("/accounts/").content.decode()


def test_staff_recording_a_patients_language_leave_the_patients_pages_alone(patient):
    from accounts.selectors.profiles import patient_profile_of
    from accounts.services.profiles import patient_profile_update

    admin = StaffProfileFactory.create(user__role="admin").user
    profile = patient_profile_of(user=patient)
    assert profile is not None
    patient_profile_update(profile=profile, changed_by=admin, preferred_language="es")

    assert User.objects.get(pk=patient.pk).language == ""


def test_welsh_as_the_preferred_language_leaves_the_pages_as_they_are(client, patient):
    from accounts.selectors.profiles import patient_profile_of
    from accounts.services.profiles import patient_profile_update

    profile = patient_profile_of(user=patient)
    assert profile is not None
    patient_profile_update(profile=profile, changed_by=patient, preferred_language="cy")

    assert User.objects.get(pk=patient.pk).language == ""
