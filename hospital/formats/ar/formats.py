"""Arabic formats with the 24-hour clock (Django's ar writes "g:i A"): one clock on every
page, in every language. Django's ar formats fill the rest (dates, numbers)."""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F\u060c Y H:i"
SHORT_DATETIME_FORMAT = "d\u200f/m\u200f/Y H:i"
