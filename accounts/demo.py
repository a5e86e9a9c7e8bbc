"""Demo data of the accounts app, for `manage.py seed_demo`: departments, staff of every
role (each with an authenticator-app secret, printed so the demo logins work), patients."""

from __future__ import annotations

import base64
import datetime

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Department, User
from accounts.roles import Role
from accounts.selectors.users import user_get_by_email
from accounts.services.directory import department_create
from accounts.services.mfa import recovery_codes_generate
from accounts.services.profiles import patient_profile_create
from accounts.services.users import staff_create, user_create
from core.seeding import DEMO_PASSWORD, DemoLogin

# code, name, description, location, directions
DEPARTMENTS = (
    (
        "cardiology",
        "Cardiology",
        "Heart and circulation.",
        "Main building, 2nd floor, east wing",
        "From the main entrance take lift B to the 2nd floor and follow the red signs.",
    ),
    (
        "general-practice",
        "General Practice",
        "First contact for most health concerns.",
        "Outpatients, ground floor",
        "Turn left after the main entrance; the waiting room is past the pharmacy.",
    ),
    (
        "paediatrics",
        "Paediatrics",
        "Care for babies, children and young people.",
        "Children's wing, 1st floor",
        "Use the children's wing entrance on Park Road; buggies fit the lift by the door.",
    ),
    (
        "radiology",
        "Radiology",
        "Imaging: X-ray, CT, MRI and ultrasound.",
        "Main building, lower ground floor",
        "Take the stairs or lift A down one floor from the main entrance.",
    ),
)

# email, full name, role, department code, title, specialty, licence number
STAFF = (
    ("admin@hospital.example", "Alex Admin", Role.ADMIN, "", "", "", ""),
    (
        "dr.house@hospital.example",
        "Gregory House",
        Role.DOCTOR,
        "general-practice",
        "Dr",
        "Diagnostic medicine",
        "GMC-7001001",
    ),
    (
        "dr.yang@hospital.example",
        "Cristina Yang",
        Role.DOCTOR,
        "cardiology",
        "Dr",
        "Cardiothoracic surgery",
        "GMC-7001002",
    ),
    (
        "nurse.joy@hospital.example",
        "Joy Okafor",
        Role.NURSE,
        "paediatrics",
        "Charge Nurse",
        "Paediatric nursing",
        "NMC-8001001",
    ),
    ("reception@hospital.example", "Rita Reception", Role.RECEPTIONIST, "", "", "", ""),
    ("compliance@hospital.example", "Colin Compliance", Role.COMPLIANCE_OFFICER, "", "", "", ""),
)

# email, legal name, date of birth, sex, phone
PATIENTS = (
    (
        "ada.patient@hospital.example",
        "Ada Lovelace",
        datetime.date(1985, 12, 10),
        "female",
        "+442079460001",
    ),
    (
        "grace.patient@hospital.example",
        "Grace Hopper",
        datetime.date(1956, 12, 9),
        "female",
        "+442079460002",
    ),
    (
        "alan.patient@hospital.example",
        "Alan Turing",
        datetime.date(1992, 6, 23),
        "male",
        "+442079460003",
    ),
)


def _demo_totp_secret(email: str) -> bytes:
    # Deterministic per account so that repeated seeding prints the same secrets.
    import hashlib

    return hashlib.sha256(f"demo-totp:{email}".encode()).digest()[:20]


def _ensure_totp(user: User) -> str:
    key = _demo_totp_secret(user.email)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(
            user=user, name="Demo authenticator", key=key.hex(), confirmed=True, tolerance=1
        )
        recovery_codes_generate(user=user)
    return base64.b32encode(key).decode()


def seed() -> list[DemoLogin]:
    """Create what does not exist yet; never touch existing rows."""
    departments = {}
    for code, name, description, location, directions in DEPARTMENTS:
        departments[code] = Department.objects.filter(code=code).first() or department_create(
            code=code,
            name=name,
            description=description,
            location=location,
            directions=directions,
        )

    logins = []
    for email, full_name, role, department, title, specialty, licence in STAFF:
        user = user_get_by_email(email=email)
        if user is None:
            if role == Role.ADMIN:
                user = user_create(
                    email=email,
                    password=DEMO_PASSWORD,
                    full_name=full_name,
                    role=role,
                    is_superuser=True,
                    source="seed_demo",
                )
            else:
                user = staff_create(
                    email=email,
                    full_name=full_name,
                    role=role,
                    password=DEMO_PASSWORD,
                    department=departments.get(department),
                    title=title,
                    specialty=specialty,
                    licence_number=licence,
                    source="seed_demo",
                )
        secret = _ensure_totp(user)
        logins.append(
            DemoLogin(
                email=email,
                password=DEMO_PASSWORD,
                purpose=f"{Role(role).label}; TOTP secret {secret}",
            )
        )

    for email, legal_name, date_of_birth, sex, phone in PATIENTS:
        if user_get_by_email(email=email) is None:
            user = user_create(
                email=email, password=DEMO_PASSWORD, full_name=legal_name, source="seed_demo"
            )
            patient_profile_create(
                user=user, legal_name=legal_name, date_of_birth=date_of_birth, sex=sex, phone=phone
            )
        logins.append(
            DemoLogin(email=email, password=DEMO_PASSWORD, purpose="Patient (no second factor)")
        )
    return logins
