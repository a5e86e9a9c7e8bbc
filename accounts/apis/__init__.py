"""The accounts REST API (/api/v1/auth/..., /api/v1/account/..., /api/v1/departments), by
resource. Thin: parse, call one service or selector, render.

The inputs reuse allauth's forms where allauth owns the flow (sign-up, password reset and
change, email change), as allauth's own headless API does, so the rules are the same as
on the web pages.
"""
