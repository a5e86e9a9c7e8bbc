"""factory_boy factories for the models the tests build on."""

from __future__ import annotations

import datetime

import factory
from allauth.account.models import EmailAddress

from accounts.models import Department, PatientProfile, StaffProfile, User
from accounts.roles import ADMIN_SITE_ROLES, Role
from accounts.services.users import _sync_groups
from accounts.validators import new_medical_record_number

TEST_PASSWORD = "a-long-test-passphrase-for-everyone"


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A user with a verified email address and the groups of its role (default: patient)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@hospital.test")
    full_name = factory.Faker("name")
    role = Role.PATIENT
    is_staff = factory.LazyAttribute(lambda o: o.role in ADMIN_SITE_ROLES or o.is_superuser)
    is_superuser = False
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _finish(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save(update_fields=["password"])
            _sync_groups(obj)
            EmailAddress.objects.create(
                user=obj, email=obj.email.lower(), primary=True, verified=True
            )


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"Department {n}")


class PatientProfileFactory(factory.django.DjangoModelFactory[PatientProfile]):
    class Meta:
        model = PatientProfile

    user = factory.SubFactory(UserFactory, role=Role.PATIENT)
    legal_name = factory.LazyAttribute(lambda o: o.user.full_name)
    date_of_birth = datetime.date(1980, 1, 31)
    medical_record_number = factory.LazyFunction(new_medical_record_number)


class StaffProfileFactory(factory.django.DjangoModelFactory[StaffProfile]):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory, role=Role.DOCTOR)
    department = factory.SubFactory(DepartmentFactory)
    title = "Dr"
