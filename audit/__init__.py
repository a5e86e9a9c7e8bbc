"""Audit: the one entry point for recording security-relevant events (see audit.services.record)."""
