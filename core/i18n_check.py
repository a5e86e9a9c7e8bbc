"""Checks that keep the pages translatable (run by tests/web/test_translations.py and
`manage.py translations_check`):

- no template shows text outside {% translate %} / {% blocktranslate %}: the text between
  tags and the attributes people read or hear (aria-label, title, placeholder, alt, the value
  of a button, data-* messages a script shows) must come from the catalogue;
- the catalogues of every language we ship are complete (no empty or fuzzy entry), match what
  `make messages` extracts from the code today, and their compiled .mo files are current.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from django.template.base import Lexer, TokenType

BASE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = BASE_DIR / "templates"
LOCALE_DIR = BASE_DIR / "locale"
# The languages whose catalogues we write (English is the source).
TRANSLATED_LANGUAGES = ("es", "ar")

# Attributes whose value is read out or shown to people.
READ_ATTRIBUTES = frozenset(
    {"aria-label", "aria-description", "aria-roledescription", "title", "placeholder", "alt"}
)
# data-* attributes whose value a script shows (static/js/parts).
# data-label: a stacked table's column name, shown by the stylesheet (attr()).
SHOWN_DATA_ATTRIBUTES = frozenset(
    {
        "data-busy",
        "data-copied",
        "data-done",
        "data-label",
        "data-swap-announce",
        "data-live-announce",
    }
)
# Blocks whose body is translated (or is not text at all).
_SKIPPED_BLOCKS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
    "verbatim": "endverbatim",
}
# Text that is not language: a template variable or tag stands in as this character.
_PLACEHOLDER = "\u2400"
# Words that read the same in every language we ship (brand names, units).
NOT_LANGUAGE = frozenset({"\u00d7"})


@dataclass(frozen=True)
class Untranslated:
    template: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.text!r}"


def _has_words(text: str) -> bool:
    text = html.unescape(text).replace(_PLACEHOLDER, " ").strip()
    if not text or text in NOT_LANGUAGE:
        return False
    return any(character.isalpha() for character in text)


def _without_django(source: str) -> str:
    """The template's text with each tag and variable replaced by a placeholder character and
    translated or commented blocks removed (line numbers kept)."""
    pieces: list[str] = []
    skipping_until: str | None = None
    for token in Lexer(source).tokenize():
        if skipping_until is not None:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == skipping_until:
                skipping_until = None
                pieces.append(_PLACEHOLDER)
            else:
                # Keep the line count right.
                pieces.append("\n" * _token_lines(token))
            continue
        if token.token_type == TokenType.TEXT:
            pieces.append(token.contents)
        elif token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if name in _SKIPPED_BLOCKS:
                skipping_until = _SKIPPED_BLOCKS[name]
            pieces.append(_PLACEHOLDER + "\n" * token.contents.count("\n"))
        elif token.token_type == TokenType.VAR:
            pieces.append(_PLACEHOLDER + "\n" * token.contents.count("\n"))
        else:  # {# comment #}
            pieces.append("\n" * token.contents.count("\n"))
    return "".join(pieces)


def _token_lines(token: object) -> int:
    contents = getattr(token, "contents", "")
    return str(contents).count("\n")


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, str]] = []
        self._raw_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._raw_depth += 1
        values = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            shown = name in READ_ATTRIBUTES or name in SHOWN_DATA_ATTRIBUTES
            if tag == "input" and name == "value":
                shown = (values.get("type") or "").lower() in {"submit", "button", "reset"}
            if tag == "meta" and name == "content":
                shown = (values.get("name") or "") in {"description", "apple-mobile-web-app-title"}
            if shown and _has_words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in {"script", "style"}:
            self._raw_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._raw_depth:
            self._raw_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._raw_depth and _has_words(data):
            self.found.append((self.getpos()[0], " ".join(data.split())))

    def handle_entityref(self, name: str) -> None:
        return None

    def handle_charref(self, name: str) -> None:
        return None


def untranslated_text(path: Path) -> list[Untranslated]:
    """Text in one template that people would see in English whatever their language."""
    source = path.read_text(encoding="utf-8")
    text = _without_django(source)
    name = str(path.relative_to(TEMPLATE_DIR)) if path.is_relative_to(TEMPLATE_DIR) else path.name
    if path.suffix == ".txt":
        found = [
            (number, " ".join(line.split()))
            for number, line in enumerate(text.splitlines(), start=1)
            if _has_words(line)
        ]
    else:
        finder = _TextFinder()
        finder.feed(text)
        finder.close()
        found = finder.found
    return [
        Untranslated(name, line, snippet.strip(_PLACEHOLDER + " ").replace(_PLACEHOLDER, "…"))
        for line, snippet in found
    ]


def template_paths() -> list[Path]:
    """Every page, fragment and email template (the service worker is a script)."""
    return sorted(
        path
        for path in TEMPLATE_DIR.rglob("*")
        if path.is_file() and path.suffix in {".html", ".txt"}
    )


def untranslated_templates() -> list[Untranslated]:
    return [finding for path in template_paths() for finding in untranslated_text(path)]


# Catalogues --------------------------------------------------------------------------------

MAKEMESSAGES_IGNORE = (
    ".venv/*",
    "node_modules/*",
    "tests/*",
    "bench/*",
    "docs/*",
    "locale/*",
    "static/*",
    ".ci/*",
)


def makemessages_options() -> dict[str, object]:
    """How `manage.py catalogues` calls makemessages (one place, so the check and `make
    messages` agree)."""
    return {
        "locale": list(TRANSLATED_LANGUAGES),
        "ignore_patterns": list(MAKEMESSAGES_IGNORE),
        "no_obsolete": True,
        "add_location": "file",
    }


def fill_from_libraries(language: str) -> int:
    """Fill our empty entries that Django or allauth translate word for word (their own
    catalogues: "Password", "Sign in"), so translators start from the libraries' wording.
    Returns how many were filled."""
    import allauth
    import django
    from babel.messages.pofile import read_po, write_po

    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    with po_path.open("rb") as source:
        ours = read_po(source)
    known: dict[tuple[str | None, object], Any] = {}
    for package in (django, allauth):
        root = Path(package.__file__).parent  # type: ignore[arg-type]
        for library_po in sorted(root.rglob(f"locale/{language}/LC_MESSAGES/django.po")):
            with library_po.open("rb") as source:
                for message in read_po(source):
                    if message.id and message.string and not message.fuzzy:
                        known.setdefault((message.context, message.id), message.string)
    # makemessages leaves its template header (fuzzy, "PACKAGE VERSION"): msgfmt would skip a
    # fuzzy header and with it the plural forms.
    ours.fuzzy = False
    ours.project = "hospital"
    ours.version = "1"
    filled = 0
    for message in ours:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            continue
        translation = known.get((message.context, message.id))
        if translation is not None and type(translation) is type(message.string):
            message.string = translation
            filled += 1
    with po_path.open("wb") as target:
        write_po(target, ours, width=100, include_previous=False)
    return filled


def compile_catalogue(language: str) -> None:
    """The .mo beside the .po (Babel's compiler: the same file msgfmt writes, without walking
    every library's catalogues as compilemessages does from the project's directory)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    with po_path.open("rb") as source:
        catalogue = read_po(source)
    with po_path.with_suffix(".mo").open("wb") as target:
        write_mo(target, catalogue, use_fuzzy=False)


def _strings(string: object) -> tuple[str, ...]:
    return tuple(string) if isinstance(string, (tuple, list)) else (str(string),)


def _translated(message: object) -> bool:
    string = message.string  # type: ignore[attr-defined]
    return all(string) if isinstance(string, tuple) else bool(string)


def untranslated_count(language: str) -> int:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    count = 0
    for message in _entries(po_path).values():
        if message.fuzzy or not _translated(message):  # type: ignore[attr-defined]
            count += 1
    return count


def _entries(po_path: Path) -> dict[tuple[str | None, str], object]:
    from babel.messages.pofile import read_po

    with po_path.open("rb") as source:
        catalogue = read_po(source)
    return {
        (message.context, _message_key(message.id)): message for message in catalogue if message.id
    }


def _message_key(message_id: object) -> str:
    if isinstance(message_id, (tuple, list)):
        return "\x00".join(message_id)
    return str(message_id)


def catalogue_problems(*, extract: bool = True) -> list[str]:
    """Why the shipped catalogues are not ready (empty list when they are)."""
    from babel.messages.mofile import read_mo

    problems: list[str] = []
    for language in TRANSLATED_LANGUAGES:
        po_path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
        if not po_path.exists():
            problems.append(f"{language}: no catalogue at {po_path.relative_to(BASE_DIR)}")
            continue
        entries = _entries(po_path)
        for (_context, key), message in entries.items():
            label = key.split("\x00")[0][:60]
            if message.fuzzy:  # type: ignore[attr-defined]
                problems.append(f"{language}: fuzzy (check and confirm): {label!r}")
            elif not _translated(message):
                problems.append(f"{language}: not translated: {label!r}")
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            problems.append(f"{language}: not compiled (make messages)")
        else:
            with mo_path.open("rb") as source:
                compiled = {
                    (m.context, _message_key(m.id)): _strings(m.string)
                    for m in read_mo(source)
                    if m.id
                }
            written = {
                key: _strings(message.string)  # type: ignore[attr-defined]
                for key, message in entries.items()
                if not message.fuzzy and _translated(message)  # type: ignore[attr-defined]
            }
            if compiled != written:
                problems.append(f"{language}: the .mo is older than the .po (make messages)")
    if extract and not problems:
        problems += _stale_catalogues()
    return problems


def _stale_catalogues() -> list[str]:
    """Extract the catalogues from a copy of the code and compare their entries."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "project"
        shutil.copytree(
            BASE_DIR,
            copy,
            ignore=shutil.ignore_patterns(
                ".git", ".venv", "node_modules", "__pycache__", "media", "docs", "*.sqlite3"
            ),
        )
        result = subprocess.run(
            [sys.executable, "manage.py", "catalogues", "--no-compile"],
            cwd=copy,
            capture_output=True,
            text=True,
            check=False,
            env=_subprocess_env(),
        )
        if result.returncode != 0:
            return [f"makemessages failed: {result.stderr.strip()[-500:]}"]
        for language in TRANSLATED_LANGUAGES:
            shipped = set(_entries(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))
            extracted = set(_entries(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
            for _context, key in sorted(extracted - shipped, key=str):
                problems.append(f"{language}: missing from the catalogue: {key[:60]!r}")
            for _context, key in sorted(shipped - extracted, key=str):
                problems.append(f"{language}: no longer in the code: {key[:60]!r}")
    return problems


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    # The extraction needs no service: the embedded defaults.
    for name in ("DATABASE_URL", "DATABASE_MIGRATE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    return env
