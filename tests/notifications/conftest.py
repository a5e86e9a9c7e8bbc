"""The scheduling fixtures of the appointments tests, for messages about appointments."""

from tests.appointments.conftest import consultation, department, practitioner  # noqa: F401
