"""Write locale/en/LC_MESSAGES/django.po: allauth's Title Case English ("Sign Up", "Change
Password") in the sentence case of every other page ("Sign up", "Change password"), then
compile it. Run it after upgrading allauth (`make messages`); tests/web/test_wording.py
fails while an allauth heading is left in Title Case.

    python locale/sentence_case.py
"""

from __future__ import annotations

import re
from pathlib import Path

import allauth
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ALLAUTH_ENGLISH = Path(allauth.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
OURS = HERE / "en" / "LC_MESSAGES" / "django.po"


def sentence_case(text: str) -> str:
    """The first word as it is; later words lower case, unless written in capitals (TOTP,
    IP) or a placeholder."""
    words = text.split(" ")
    kept = [words[0]]
    for word in words[1:]:
        if word.isupper() or "%(" in word:
            kept.append(word)
        else:
            kept.append(word.lower())
    first, _, rest = kept[0].partition("-")
    head = f"{first}-{rest.lower()}" if rest else first
    return " ".join([head, *kept[1:]])


def is_title_case(text: str) -> bool:
    """A short heading or button with a capitalised later word (not a sentence)."""
    words = text.split()
    if len(words) > 6 or text.endswith(".") or ". " in text or ": " in text:
        return False
    return any(word[:1].isupper() and not word.isupper() for word in words[1:]) or bool(
        re.match(r"^[A-Z][a-z]+-[A-Z]", text)
    )


def title_case_messages() -> dict[tuple[str, str | None], str]:
    """allauth's Title Case English messages, by (message id, context), in sentence case."""
    with ALLAUTH_ENGLISH.open("rb") as source:
        catalog = read_po(source)
    found = {}
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        if is_title_case(message.id):
            found[(message.id, message.context)] = sentence_case(message.id)
    return found


def main() -> None:
    catalog = Catalog(locale="en", project="hospital", charset="utf-8")
    for (message_id, context), text in sorted(
        title_case_messages().items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        catalog.add(message_id, text, context=context)
    OURS.parent.mkdir(parents=True, exist_ok=True)
    with OURS.open("wb") as target:
        write_po(target, catalog, width=100, omit_header=False, sort_output=True)
    with OURS.with_suffix(".mo").open("wb") as target:
        write_mo(target, catalog)


if __name__ == "__main__":
    main()
