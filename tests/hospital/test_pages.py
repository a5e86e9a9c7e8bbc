"""The shared layout, static files and the API documentation pages."""

from __future__ import annotations

import asyncio
import re

import pytest
from channels.testing import WebsocketCommunicator

from hospital.asgi import application
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


def test_home_page_has_accessible_landmarks(client):
    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en" dir="ltr">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<a class="skip-link" href="#main">' in html
    assert '<header class="site-header">' in html
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert '<main id="main"' in html
    assert '<footer class="site-footer">' in html
    assert 'aria-current="page"' in html
    # No inline scripts or styles, so a strict Content-Security-Policy can follow: the one
    # script is a file.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/site.js" defer>']
    assert "style=" not in html


def test_signed_in_staff_see_the_administration_link(client, admin_user):
    login_verified(client, admin_user)

    html = client.get("/").content.decode()

    assert 'href="/admin/"' in html
    assert "Sign out" in html


def test_static_files_are_served_by_whitenoise(client):
    response = client.get("/static/css/site.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"skip-link" in b"".join(response.streaming_content)


def test_api_schema_and_self_hosted_docs(client):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content
    assert b"Hospital platform API" in schema.content
    assert docs.status_code == 200
    # Swagger UI comes from our static files (sidecar), not a CDN.
    assert b"drf_spectacular_sidecar/swagger-ui-dist" in docs.content
    assert b"cdn.jsdelivr.net" not in docs.content


def test_websocket_health_route_answers_on_the_asgi_application():
    async def scenario() -> tuple[bool, dict, dict]:
        communicator = WebsocketCommunicator(
            application,
            "/ws/healthz/",
            headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
        )
        connected, _ = await communicator.connect()
        greeting = await communicator.receive_json_from()
        await communicator.send_json_to({"type": "ping"})
        reply = await communicator.receive_json_from()
        await communicator.disconnect()
        return connected, greeting, reply

    connected, greeting, reply = asyncio.run(scenario())

    assert connected
    assert greeting == {"status": "ok"}
    assert reply == {"type": "pong"}


def test_websocket_from_a_foreign_origin_is_refused():
    async def scenario() -> bool:
        communicator = WebsocketCommunicator(
            application,
            "/ws/healthz/",
            headers=[(b"origin", b"https://evil.example"), (b"host", b"127.0.0.1")],
        )
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert asyncio.run(scenario()) is False
