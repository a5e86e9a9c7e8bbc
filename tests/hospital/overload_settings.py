"""Settings for the overload test's server process: the project's, with a URLconf that adds a
slow view (tests/hospital/overload_urls.py)."""

from hospital.settings import *  # noqa: F403

ROOT_URLCONF = "tests.hospital.overload_urls"
