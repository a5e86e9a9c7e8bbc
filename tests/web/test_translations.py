"""Every page can be read in English, Spanish and Arabic: no template shows text outside the
catalogue, and the catalogues are complete, current and compiled (core/i18n_check.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import i18n_check


def test_no_template_shows_untranslated_text():
    found = i18n_check.untranslated_templates()

    assert not found, "mark these for translation:\n" + "\n".join(map(str, found))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>Hello</p>", ["Hello"]),
        ('<button aria-label="Close">{% translate "x" %}</button>', ['aria-label="Close"']),
        ('<input type="submit" value="Save">', ['value="Save"']),
        ('<input type="text" value="{{ v }}" name="q">', []),
        ('<form data-busy="Finding free times">', ['data-busy="Finding free times"']),
        ("{% load i18n %}<p>{% translate 'Hello' %}</p>", []),
        ("<p>{% blocktranslate %}Hi {{ n }}{% endblocktranslate %}</p>", []),
        ("<p>{{ name }} &middot; {{ when }}</p>", []),
        ("<p>{% if a %}Yes{% endif %}</p>", ["Yes"]),
        ("{# a note #}<script>var x = 'words here';</script><style>a{}</style>", []),
        ("{% comment %}Why{% endcomment %}<p>12:30</p>", []),
    ],
)
def test_the_template_check_finds_english_text(tmp_path: Path, source: str, expected: list[str]):
    template = tmp_path / "page.html"
    template.write_text(source, encoding="utf-8")

    assert [finding.text for finding in i18n_check.untranslated_text(template)] == expected


def test_the_template_check_reads_plain_text_emails(tmp_path: Path):
    template = tmp_path / "message.txt"
    template.write_text(
        "{% load i18n %}{% translate 'Hello' %}\n\n{{ link }}\nThe team\n", encoding="utf-8"
    )

    found = i18n_check.untranslated_text(template)

    assert [(finding.line, finding.text) for finding in found] == [(4, "The team")]


def test_the_catalogues_are_complete_current_and_compiled():
    """Spanish and Arabic translate every marked string; `make messages` would change
    nothing (no string in the code missing from a catalogue, none left over), and the .mo
    files are compiled from the .po files as they are."""
    problems = i18n_check.catalogue_problems()

    assert not problems, "run make messages, then translate:\n" + "\n".join(problems)
