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


# --- appointments --------------------------------------------------------------------------

from appointments.models import AppointmentType, Practitioner, WorkingHours  # noqa: E402


class AppointmentTypeFactory(factory.django.DjangoModelFactory[AppointmentType]):
    class Meta:
        model = AppointmentType

    name = factory.Sequence(lambda n: f"Consultation {n}")
    department = factory.SubFactory(DepartmentFactory)
    duration_minutes = 30
    buffer_after_minutes = 0
    lead_time_minutes = 60
    booking_horizon_days = 60


class PractitionerFactory(factory.django.DjangoModelFactory[Practitioner]):
    """A doctor (with a staff profile) offering the given appointment types."""

    class Meta:
        model = Practitioner
        skip_postgeneration_save = True

    user = factory.LazyAttribute(lambda o: StaffProfileFactory.create(department=o.department).user)
    department = factory.SubFactory(DepartmentFactory)
    time_zone = "Europe/London"

    @factory.post_generation
    def offers(obj: Practitioner, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted:
            obj.appointment_types.set(extracted)  # type: ignore[arg-type]


class WorkingHoursFactory(factory.django.DjangoModelFactory[WorkingHours]):
    class Meta:
        model = WorkingHours

    practitioner = factory.SubFactory(PractitionerFactory)
    weekday = 0
    start_time = datetime.time(9, 0)
    end_time = datetime.time(12, 0)
    valid_from = datetime.date(2020, 1, 1)
