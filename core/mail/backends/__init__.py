"""Django email backends for providers (EMAIL_BACKEND)."""
