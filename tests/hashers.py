"""A cheap Argon2id for the test suite only: same algorithm and format, tiny cost, so that
hundreds of logins do not spend minutes hashing. Production parameters: accounts.passwords.HospitalArgon2PasswordHasher."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 256
    parallelism = 1
