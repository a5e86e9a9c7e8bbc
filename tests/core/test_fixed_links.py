"""The layout's links and fragments worked out once per process (core/templatetags/
fixed_links.py): the same HTML as rendering them every time, keyed by every value they read,
never holding a form token or a block."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template, TemplateSyntaxError, engines
from django.template.base import Origin
from django.urls import reverse

from tests.conftest import login_verified, web_login

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _template(source: str, name: str) -> Template:
    engine = engines["django"].engine  # type: ignore[attr-defined]
    return Template("{% load fixed_links %}" + source, origin=Origin(name), engine=engine)


def test_fixed_url_and_static_are_what_url_and_static_give():
    html = _template(
        "{% fixed_url 'accounts:security' %} {% fixed_static 'css/site.css' %}",
        "tests/links.html",
    ).render(Context())

    assert html == f"{reverse('accounts:security')} /static/css/site.css"


def test_a_fragment_is_kept_for_the_values_it_names_and_only_those():
    template = _template(
        "{% fixed_fragment 'part' section %}{{ section }}:{{ unnamed }}{% endfixed_fragment %}",
        "tests/fragment-values.html",
    )

    first = template.render(Context({"section": "home", "unnamed": "first"}))
    again = template.render(Context({"section": "home", "unnamed": "second"}))
    other = template.render(Context({"section": "schedule", "unnamed": "second"}))

    assert first == again == "home:first"  # kept: what it does not name is not read again
    assert other == "schedule:second"


def test_a_fragment_with_values_that_are_not_plain_is_rendered_every_time():
    template = _template(
        "{% fixed_fragment 'part' thing %}{{ thing.n }}{% endfixed_fragment %}",
        "tests/fragment-objects.html",
    )

    class Thing:
        def __init__(self, n: int) -> None:
            self.n = n

    assert template.render(Context({"thing": Thing(1)})) == "1"
    assert template.render(Context({"thing": Thing(2)})) == "2"


def test_a_fragment_from_a_string_is_rendered_every_time():
    template = engines["django"].from_string(
        "{% load fixed_links %}{% fixed_fragment 'part' %}{{ n }}{% endfixed_fragment %}"
    )

    assert [template.render({"n": n}) for n in (1, 2)] == ["1", "2"]


@pytest.mark.parametrize(
    "content", ["{% csrf_token %}", "{% block inner %}{% endblock %}"], ids=["token", "block"]
)
def test_a_fragment_refuses_a_form_token_or_a_block(content):
    with pytest.raises(TemplateSyntaxError):
        _template(
            f"{{% fixed_fragment 'part' %}}{content}{{% endfixed_fragment %}}", "tests/bad.html"
        )


def test_the_sign_out_form_carries_a_token_of_this_response_that_works(client, patient):
    web_login(client, patient.email)

    pages = [client.get("/").content.decode() for _ in range(2)]
    tokens = [TOKEN.search(page).group(1) for page in pages]

    assert tokens[0] != tokens[1]  # masked anew on every response
    signed_out = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": tokens[0]})
    assert signed_out.status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 302  # to the login page


def test_the_navigation_follows_the_reader_and_the_page(client, patient, doctor):
    web_login(client, patient.email)
    home = client.get("/").content.decode()
    mine = client.get(reverse("appointments:mine")).content.decode()
    client.logout()
    login_verified(client, doctor)
    schedule = client.get(reverse("appointments:schedule")).content.decode()
    client.logout()
    signed_out = client.get("/").content.decode()

    assert f'href="{reverse("home")}" aria-current="page">Home' in home
    assert f'href="{reverse("appointments:mine")}" aria-current="page">Appointments' in mine
    assert f'href="{reverse("appointments:schedule")}" aria-current="page">Schedule' in schedule
    assert "Appointments</a>" not in schedule and "Schedule</a>" not in home
    assert "Sign out" in home and "Sign out" not in signed_out
    assert "Sign in</a>" in signed_out and TOKEN.search(signed_out) is None
