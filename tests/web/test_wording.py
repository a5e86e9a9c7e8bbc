"""One voice on every page: sentence case for headings, buttons and labels, allauth's pages
included (its English is Title Case: locale/en overrides it, written by
locale/sentence_case.py)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.factories import PatientProfileFactory

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _generator():
    spec = importlib.util.spec_from_file_location("sentence_case", LOCALE / "sentence_case.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_english_catalogue_covers_every_title_case_heading_of_allauth():
    expected = _generator().title_case_messages()
    with (LOCALE / "en" / "LC_MESSAGES" / "django.po").open("rb") as source:
        ours = {(m.id, m.context): m.string for m in read_po(source) if m.id}
    with (LOCALE / "en" / "LC_MESSAGES" / "django.mo").open("rb") as source:
        compiled = {(m.id, m.context): m.string for m in read_mo(source) if m.id}

    assert ours == expected, "run: python locale/sentence_case.py"
    assert compiled == expected, "the .mo is out of date: run python locale/sentence_case.py"
    assert expected[("Sign Up", None)] == "Sign up"
    assert expected[("Sign-In Code", None)] == "Sign-in code"
    assert expected[("TOTP Authenticator", None)] == "TOTP authenticator"


def _visible_texts(html: str) -> list[str]:
    main = html.split("<main", 1)[-1].split("</main>", 1)[0]
    found = re.findall(r"<(h1|h2|h3|button|label|legend|th)\b[^>]*>(.*?)</\1>", main, re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", text).strip() for _, text in found]


TITLE_CASE = re.compile(r"^\S+(?: \S+)* (?!(?:TOTP|IP|API|MFA)\b)[A-Z][a-z]+")


@pytest.mark.parametrize(
    ("path", "signed_in"),
    [
        ("/accounts/login/", False),
        ("/accounts/signup/", False),
        ("/accounts/password/reset/", False),
        ("/accounts/password/reset/done/", False),
        ("/accounts/confirm-email/", False),
        ("/accounts/email/", True),
        ("/accounts/password/change/", True),
        ("/accounts/logout/", True),
        ("/accounts/reauthenticate/", True),
    ],
)
def test_allauth_pages_speak_in_sentence_case(client, path, signed_in):
    if signed_in:
        client.force_login(PatientProfileFactory.create().user)

    texts = _visible_texts(client.get(path).content.decode())

    assert texts
    assert [text for text in texts if TITLE_CASE.match(text)] == []
