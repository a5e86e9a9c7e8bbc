"""Passwords: Argon2id for new hashes, imported bcrypt hashes upgraded at login, and the
NIST SP 800-63B policy (length, breached lists, context words; no composition rules)."""

from __future__ import annotations

import bcrypt
import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.services.users import user_import_legacy
from tests.factories import UserFactory

LEGACY_EMAIL = "legacy.patient@hospital.test"
LEGACY_PASSWORD = "old system passphrase from 2016"


def _legacy_bcrypt_hash(password: bytes) -> str:
    return bcrypt.hashpw(password, bcrypt.gensalt(rounds=4)).decode()


def _error_codes(error: ValidationError) -> set[str | None]:
    return {item.code for item in error.error_list}


@pytest.fixture
def ada():
    return UserFactory.build(email="ada@hospital.example", full_name="Ada Lovelace")


# --- Hashing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_passwords_are_hashed_with_argon2id():
    user = UserFactory.create()

    user.set_password("a fresh passphrase for the new system")

    assert user.password.startswith("argon2$argon2id$")


@pytest.mark.django_db
def test_an_imported_bcrypt_hash_verifies_and_is_upgraded_to_argon2id_at_login():
    user_import_legacy(
        email=LEGACY_EMAIL, bcrypt_hash=_legacy_bcrypt_hash(LEGACY_PASSWORD.encode())
    )

    signed_in = authenticate(username=LEGACY_EMAIL, password=LEGACY_PASSWORD)

    assert signed_in is not None
    assert signed_in.email == LEGACY_EMAIL
    stored = User.objects.get(email=LEGACY_EMAIL)
    assert stored.password.startswith("argon2$argon2id$")
    assert stored.check_password(LEGACY_PASSWORD)


@pytest.mark.django_db
def test_a_wrong_password_against_an_imported_hash_fails_and_keeps_the_bcrypt_hash():
    legacy_hash = _legacy_bcrypt_hash(LEGACY_PASSWORD.encode())
    user_import_legacy(email=LEGACY_EMAIL, bcrypt_hash=legacy_hash)

    signed_in = authenticate(username=LEGACY_EMAIL, password="not the old passphrase at all")

    assert signed_in is None
    assert User.objects.get(email=LEGACY_EMAIL).password == f"bcrypt${legacy_hash}"


@pytest.mark.django_db
def test_a_legacy_password_longer_than_72_bytes_verifies_without_an_error():
    long_password = "zażółć gęślą jaźń " * 6  # 150 bytes in UTF-8, cut mid-character at 72
    assert len(long_password.encode()) > 72
    # The old system's bcrypt only ever saw the first 72 bytes.
    legacy_hash = _legacy_bcrypt_hash(long_password.encode()[:72])
    user_import_legacy(email=LEGACY_EMAIL, bcrypt_hash=legacy_hash)

    signed_in = authenticate(username=LEGACY_EMAIL, password=long_password)

    assert signed_in is not None
    stored = User.objects.get(email=LEGACY_EMAIL)
    assert stored.password.startswith("argon2$argon2id$")
    assert stored.check_password(long_password)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "malformed_hash",
    [
        "",
        "not a bcrypt hash",
        "$2b$12$tooshort",
        "pbkdf2_sha256$870000$salt$hash",
        "$1$" + "a" * 57,  # an MD5-crypt prefix, right length
    ],
)
def test_import_refuses_a_malformed_bcrypt_hash(malformed_hash):
    with pytest.raises(ValidationError) as refused:
        user_import_legacy(email=LEGACY_EMAIL, bcrypt_hash=malformed_hash)

    assert "password" in refused.value.message_dict
    assert not User.objects.filter(email=LEGACY_EMAIL).exists()


@pytest.mark.django_db
def test_import_refuses_a_60_character_hash_that_bcrypt_cannot_read():
    # Right prefix and length, but "!" is outside bcrypt's alphabet. Accepted today, such a
    # hash makes every login attempt for the account raise ValueError ("Invalid salt"): a 500.
    unreadable_hash = "$2b$12$" + "!" * 53
    assert len(unreadable_hash) == 60

    with pytest.raises(ValidationError) as refused:
        user_import_legacy(email=LEGACY_EMAIL, bcrypt_hash=unreadable_hash)

    assert "password" in refused.value.message_dict
    assert not User.objects.filter(email=LEGACY_EMAIL).exists()


# --- Policy --------------------------------------------------------------------------------


def test_a_14_character_password_is_refused_as_too_short(ada):
    with pytest.raises(ValidationError) as refused:
        validate_password("vq7-rmx2-tk9wz", ada)

    assert _error_codes(refused.value) == {"password_too_short"}


def test_a_15_character_password_is_accepted(ada):
    validate_password("vq7-rmx2-tk9wzb", ada)


def test_a_long_unicode_passphrase_with_spaces_is_accepted(ada):
    passphrase = "Kwiaty na łące pachną wiosną, a żółw śpi pod dębem 🐢 od rana do wieczora"
    assert len(passphrase) >= 64

    validate_password(passphrase, ada)


def test_no_composition_rule_all_lower_case_letters_and_spaces_are_accepted(ada):
    validate_password("lanterns drift slowly over the quiet harbour", ada)


@pytest.mark.parametrize(
    "breached",
    [
        "correct horse battery staple",
        "passwordpassword",
        "qwertyuiopasdfgh",
        "aaaaaaaaaaaaaaaa",
    ],
)
def test_breached_and_trivial_passwords_are_refused(ada, breached):
    with pytest.raises(ValidationError) as refused:
        validate_password(breached, ada)

    assert "password_breached" in _error_codes(refused.value)


def test_a_password_built_from_the_site_name_and_email_is_refused(ada):
    with pytest.raises(ValidationError) as refused:
        validate_password("hospitalhospital1", ada)

    assert "password_context" in _error_codes(refused.value)


def test_a_password_of_256_characters_is_accepted(ada):
    passphrase = ("amber fjord kestrel 42 " * 12)[:256]
    assert len(passphrase) == 256

    validate_password(passphrase, ada)


def test_a_password_longer_than_256_characters_is_refused(ada):
    passphrase = ("amber fjord kestrel 42 " * 12)[:257]

    with pytest.raises(ValidationError) as refused:
        validate_password(passphrase, ada)

    assert _error_codes(refused.value) == {"password_too_long"}
