"""British English formats with the 24-hour clock everywhere (Django's en_GB writes "P",
"7:35 p.m."): one clock on every page, the admin included. Dates stay as Django's en_GB
writes them; pages that show appointment times use core.local_time (24-hour already)."""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
