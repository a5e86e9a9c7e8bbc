"""axe-core (WCAG 2 A and AA, serious and critical) on pages in their error state: a form
submitted with bad input, so that the page shows the error summary (core/templatetags/
error_summary.py), the fields' errors, aria-invalid and aria-describedby. In English and in
Arabic (right to left), in both themes at both widths.

test_accessibility.py checks every page as it first loads; a page with errors has more to
get wrong: the summary's colours and focus, the errors' colours, the references from a field
to its error. The forms are sent without the browser's own checks (``form.noValidate``), as
an old browser or some assistive technology sends them, so that the server's messages are
the ones shown; fields are found by their name, never by their (translated) label.

Each failed submission is a test of its own, but the pages are visited once per language: the first test of a language seeds the demo
site, submits every form in one browser (one context per role) and keeps what it found for
the others.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, Page

from accounts.roles import Role
from tests.e2e.conftest import UI_TIMEOUT_MS
from tests.e2e.site_pages import ANONYMOUS, DEMO_PEOPLE, SitePages, seed_site, signed_in
from tests.e2e.test_accessibility import (
    EVERY_STATE,
    axe_path,  # noqa: F401 - a fixture, requested by name
    every_state_of_this_page,
)

LANGUAGES = ["en", "ar"]
States = tuple[tuple[int, Literal["light", "dark"]], ...]


@dataclass(frozen=True)
class FailedSubmission:
    """A form of a page, sent with bad input.

    ``form``: a CSS selector of the form (by its fields' names); ``values``: what goes into
    its fields, by name (a date or time field becomes a text box first, as a browser without
    those pickers shows it, so that a malformed value reaches the server);
    ``invalid``: the fields the server must mark invalid (and the summary link to); none: the
    error is the form's own (a wrong password, a name alone), which the summary must say."""

    name: str
    role: str
    path: str  # MANAGE: the first practitioner's schedule, from the list of schedules
    form: str
    values: dict[str, str]
    invalid: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return f"{self.role}-{self.name.replace(' ', '-')}"


MANAGE = "manage"
CASES = [
    FailedSubmission(
        "sign-in with a wrong password",
        ANONYMOUS,
        "/accounts/login/",
        "#login-form",
        {"login": DEMO_PEOPLE[Role.PATIENT], "password": "not-the-password-1"},
    ),
    FailedSubmission(
        "sign-in with nothing filled in",
        ANONYMOUS,
        "/accounts/login/",
        "#login-form",
        {"login": "", "password": ""},
        invalid=("login", "password"),
    ),
    FailedSubmission(
        "sign-up with empty and malformed fields",
        ANONYMOUS,
        "/accounts/signup/",
        "main form:has([name=password1])",
        {"email": "not-an-email", "legal_name": "", "date_of_birth": "31/02/1990", "password1": ""},
        invalid=("email", "legal_name", "date_of_birth", "password1"),
    ),
    FailedSubmission(
        "password reset with a malformed email",
        ANONYMOUS,
        "/accounts/password/reset/",
        "main form:has([name=email])",
        {"email": "not-an-email"},
        invalid=("email",),
    ),
    FailedSubmission(
        "profile with malformed phone numbers",
        Role.PATIENT,
        "/accounts/profile/",
        "main form:has([name=phone])",
        {"phone": "call me maybe", "emergency_contact_phone": "12"},
        invalid=("phone", "emergency_contact_phone"),
    ),
    FailedSubmission(
        # The date of birth is asked to change on the same page (the reception checks it).
        "profile identity change with a malformed date",
        Role.PATIENT,
        "/accounts/profile/",
        "main form:has([name=legal_name])",
        {"date_of_birth": "31/02/1990"},
        invalid=("date_of_birth",),
    ),
    FailedSubmission(
        "booking search without a type or a day",
        Role.PATIENT,
        "/appointments/book/",
        "main form:has([name=appointment_type])",
        {"appointment_type": "", "date_from": ""},
        invalid=("appointment_type", "date_from"),
    ),
    FailedSubmission(
        "password change with a wrong current password",
        Role.PATIENT,
        "/accounts/password/change/",
        "main form:has([name=oldpassword])",
        {
            "oldpassword": "not-the-password-1",
            "password1": "A-new-long-passphrase-42",
            "password2": "A-new-long-passphrase-42",
        },
        invalid=("oldpassword",),
    ),
    FailedSubmission(
        "desk registration with empty and malformed fields",
        Role.RECEPTIONIST,
        "/appointments/reception/patients/new/",
        "main form:has([name=legal_name])",
        {
            "legal_name": "",
            "date_of_birth": "1990-13-45",
            "sex": "",
            "phone": "not a phone",
            "email": "not-an-email",
        },
        invalid=("legal_name", "date_of_birth", "sex", "phone", "email"),
    ),
    FailedSubmission(
        "patient finder with a name alone",
        Role.RECEPTIONIST,
        "/appointments/book/",
        "main form:has([name=find-name])",
        {"find-name": "Lovelace", "find-date_of_birth": "", "find-phone": ""},
    ),
    FailedSubmission(
        "patient finder with a malformed date and phone",
        Role.RECEPTIONIST,
        "/appointments/book/",
        "main form:has([name=find-name])",
        {"find-name": "Lovelace", "find-date_of_birth": "yesterday", "find-phone": "abc"},
        invalid=("find-date_of_birth", "find-phone"),
    ),
    FailedSubmission(
        "working hours with an impossible time",
        Role.ADMIN,
        MANAGE,
        "main form:has([name=weekday])",
        {"weekday": "", "start_time": "25:99", "end_time": "", "valid_from": ""},
        invalid=("weekday", "start_time", "end_time", "valid_from"),
    ),
    FailedSubmission(
        "leave ending before it starts",
        Role.ADMIN,
        MANAGE,
        "main form:has([name=kind])",
        {"kind": "leave", "start": "2031-03-12T10:00", "end": "2031-03-11T10:00"},
        invalid=("end",),
    ),
]

# Fills the fields in and turns the browser's own checks off.
FILL_IN = """([selector, values]) => {
    const form = document.querySelector(selector);
    form.noValidate = true;
    for (const [name, value] of Object.entries(values)) {
        const control = form.elements.namedItem(name);
        if (control === null) throw new Error(`no field named ${name} in ${selector}`);
        if (["date", "time"].includes(control.type)) control.type = "text";
        control.value = value;
    }
}"""
# The page's error state, once the autofocus has had its frame.
ERROR_STATE = """async (selector) => {
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    const text = (element) => (element?.textContent ?? "").replace(/\\s+/g, " ").trim();
    const summary = document.querySelector("[data-error-summary]");
    const form = document.querySelector(selector);
    const fields = {};
    for (const control of form.querySelectorAll("[aria-invalid], [aria-describedby]")) {
        const ids = (control.getAttribute("aria-describedby") ?? "").split(/\\s+/);
        fields[control.name] = {
            invalid: control.getAttribute("aria-invalid"),
            described: ids.filter(Boolean).map((id) => {
                const element = document.getElementById(id);
                return {id, text: text(element), error: element?.matches(".errorlist") ?? false};
            }),
        };
    }
    return {
        lang: document.documentElement.lang,
        dir: document.documentElement.dir,
        errors: [...form.querySelectorAll(".errorlist")].map(text).filter(Boolean),
        formErrors: [...form.querySelectorAll(".errorlist.nonfield")].map(text),
        summary: summary && {
            visible: summary.checkVisibility(),
            focused: document.activeElement === summary,
            text: text(summary),
            linked: [...summary.querySelectorAll("a[href^='#']")]
                .map((link) => document.getElementById(link.hash.slice(1))?.name ?? link.hash),
        },
        fields,
    };
}"""
# Each serious or critical finding with its elements, for the failure message.
DETAILS = """async () => {
    const tags = ["wcag2a", "wcag2aa"];
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
    return result.violations
        .filter((violation) => ["serious", "critical"].includes(violation.impact))
        .flatMap((violation) => violation.nodes.map((node) =>
            `${violation.id} at ${node.target.join(" ")}: ${node.html}`));
}"""


@dataclass
class Found:
    """What one failed submission showed: its error state, axe's findings by state, or the
    error that stopped the check."""

    state: dict[str, Any] = field(default_factory=dict)
    axe: dict[str, list[str]] = field(default_factory=dict)
    crash: str = ""


class IncompleteErrorState(Exception):
    """The page refuses the input but lacks part of its error state (summary, focus, links,
    aria-invalid, aria-describedby): told apart from axe's findings."""


def submit_badly(page: Page, url: str, case: FailedSubmission) -> None:
    page.goto(url)
    page.evaluate(FILL_IN, [case.form, case.values])
    submit = page.locator(case.form).locator(
        "button[type=submit], button:not([type]), input[type=submit]"
    )
    with page.expect_navigation():
        submit.first.click()


def check_every_case(browser: Browser, base_url: str, language: str, axe: Path) -> dict[str, Found]:
    """Every case of the language: one browser context per role, each page sent once."""
    found: dict[str, Found] = {}
    for role in dict.fromkeys(case.role for case in CASES):
        with signed_in(browser, base_url, role, language=language) as context:
            page = context.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            manage = ""
            for case in (case for case in CASES if case.role == role):
                result = found[case.slug] = Found()
                try:
                    if case.path == MANAGE and not manage:
                        page.goto(f"{base_url}/appointments/manage/")
                        first = page.locator("main a[href^='/appointments/manage/']").first
                        manage = str(first.get_attribute("href"))
                    submit_badly(
                        page, f"{base_url}{manage if case.path == MANAGE else case.path}", case
                    )
                    result.state = page.evaluate(ERROR_STATE, case.form)
                    result.axe = every_state_of_this_page(page, axe, EVERY_STATE, DETAILS)
                except Exception:  # told in this case's test, not in the others'
                    result.crash = traceback.format_exc()
    return found


def incomplete(case: FailedSubmission, state: dict[str, Any]) -> list[str]:
    """What the page's error state lacks: a focused summary at the top saying every error
    (a link to each invalid field), each invalid field aria-invalid and described by its
    error, every aria-describedby naming some text."""
    summary, fields = state["summary"], state["fields"]
    lacks = []
    if summary is None or not summary["visible"]:
        lacks.append("no error summary")
    elif not summary["focused"]:
        lacks.append("the error summary is not focused")
    for name in case.invalid:
        shown = fields.get(name, {})
        if shown.get("invalid") != "true":
            lacks.append(f"{name} is not aria-invalid")
        if not any(described["error"] for described in shown.get("described", [])):
            lacks.append(f"{name}'s aria-describedby names no error")
        if summary is not None and name not in summary["linked"]:
            lacks.append(f"the summary has no link to {name}")
    for text in state["formErrors"]:
        if summary is not None and text not in summary["text"]:
            lacks.append(f"the summary does not say {text!r}")
    lacks.extend(
        f"{name} is aria-invalid"
        for name, shown in fields.items()
        if name not in case.invalid
        if shown["invalid"] == "true"
    )
    lacks.extend(
        f"{name}'s aria-describedby names #{described['id']}, which is empty or missing"
        for name, shown in fields.items()
        for described in shown["described"]
        if not described["text"]
    )
    return lacks


@pytest.fixture
def site(transactional_db: Any) -> SitePages:
    return seed_site()


@pytest.fixture(scope="module")
def _found_by_language() -> dict[str, dict[str, Found]]:
    return {}


@pytest.fixture
def found(
    language: str,
    _found_by_language: dict[str, dict[str, Found]],
    axe_path: Path,  # noqa: F811 - the imported fixture
    transactional_db: Any,
    live_server: Any,
    request: pytest.FixtureRequest,
) -> dict[str, Found]:
    """Every case's findings in the language: checked by the language's first test (on the
    seeded demo site, in one browser), kept for the others. Every test asks for the database
    (emptied after each): asked for through getfixturevalue, pytest-django's has no tables."""
    if language not in _found_by_language:
        request.getfixturevalue("site")
        browser = request.getfixturevalue("browser")
        _found_by_language[language] = check_every_case(
            browser, live_server.url, language, axe_path
        )
    return _found_by_language[language]


@pytest.mark.parametrize("case", [pytest.param(case, id=case.slug) for case in CASES])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_failed_submission_shows_its_errors_accessibly(
    case: FailedSubmission, language: str, found: dict[str, Found]
) -> None:
    """The page refuses the input and says so; axe finds nothing serious in any state
    (both themes at both widths, in English and in Arabic, right to left); the error state is complete (summary, focus, links, aria-invalid, aria-describedby)."""
    result = found[case.slug]
    assert not result.crash, result.crash
    state = result.state
    if language == "ar":
        assert (state["lang"], state["dir"]) == ("ar", "rtl")
    assert state["errors"], "the form shows no error"
    lacks = incomplete(case, state)
    print(json.dumps({"axe": result.axe, "lacks": lacks}, indent=1, ensure_ascii=False))
    assert result.axe == {}
    if lacks:
        raise IncompleteErrorState(json.dumps(lacks, indent=1, ensure_ascii=False))
