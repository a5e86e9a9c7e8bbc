"""English (any region not listed on its own) with the 24-hour clock: as en_GB."""

from hospital.formats.en_GB.formats import *  # noqa: F403 - the same formats
