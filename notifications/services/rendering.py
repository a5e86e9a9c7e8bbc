"""A delivery's words: the template chosen by kind, channel and language, rendered in the
recipient's time zone and language; SMS kept within two segments."""

from __future__ import annotations

import datetime
import logging
import unicodedata
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass

from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.utils import timezone, translation
from django.utils.html import escape, linebreaks, urlize
from django.utils.translation import get_language_info

from notifications import catalog
from notifications.models import Channel, MessageTemplate

logger = logging.getLogger(__name__)

# Context values stored as ISO strings that templates read as datetimes.
DATETIME_KEYS = frozenset({"start", "end", "previous_start", "hold_expires_at", "at"})

# Engines for message templates: Django's built-in tags and filters and no template
# directories (an administrator's template cannot include files); unknown names render "".
_ENGINE = Engine(debug=False)
_ENGINE_TEXT = Engine(debug=False, autoescape=False)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str = ""


class TemplateInvalid(ValueError):
    """An administrator's template does not compile or does not render."""


def context_for_storage(values: Mapping[str, object]) -> dict[str, object]:
    """JSON-ready context: datetimes as ISO strings (rendered back by ``_template_context``)."""
    stored: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, datetime.datetime):
            if key not in DATETIME_KEYS:
                raise ValueError(f"{key} holds a datetime but is not in DATETIME_KEYS")
            stored[key] = value.isoformat()
        else:
            stored[key] = value
    return stored


def _template_context(values: Mapping[str, object]) -> dict[str, object]:
    context = dict(values)
    for key in DATETIME_KEYS & context.keys():
        value = context[key]
        if isinstance(value, str) and value:
            context[key] = datetime.datetime.fromisoformat(value)
    return context


def wording_for(*, kind: str, channel: str, language: str) -> tuple[str, str, str]:
    """(subject, body, HTML body) of the template that applies, by the fallback order."""
    languages = (
        [language] if language == catalog.DEFAULT_LANGUAGE else [language, catalog.DEFAULT_LANGUAGE]
    )
    stored = {
        template.language: template
        for template in MessageTemplate.objects.filter(
            kind=kind, channel=channel, language__in=languages
        )
    }
    for candidate in languages:
        template = stored.get(candidate)
        if template is not None:
            return template.subject, template.body, template.body_html
    shipped = catalog.message_kind(kind).wording
    for candidate in languages:
        if channel in shipped.get(candidate, {}):
            subject, body = shipped[candidate][channel]
            return subject, body, ""
    raise LookupError(f"No wording for {kind} by {channel}")


def render_text(source: str, context: Mapping[str, object], *, zone: str, language: str) -> str:
    return _render(_ENGINE_TEXT, source, context, zone=zone, language=language)


def render_html(source: str, context: Mapping[str, object], *, zone: str, language: str) -> str:
    return _render(_ENGINE, source, context, zone=zone, language=language)


def _render(
    engine: Engine, source: str, context: Mapping[str, object], *, zone: str, language: str
) -> str:
    try:
        template = engine.from_string(source)
        with timezone.override(_zone(zone)), translation.override(language):
            return template.render(Context(_template_context(context)))
    except (
        TemplateSyntaxError,
        TemplateDoesNotExist,
        ValueError,
        TypeError,
        AttributeError,
    ) as error:
        raise TemplateInvalid(str(error)) from None


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def html_from_text(text: str) -> str:
    """The email's HTML part when no HTML template is written: paragraphs and links."""
    return linebreaks(urlize(escape(text), autoescape=False), autoescape=False)


def render_message(
    *, kind: str, channel: str, language: str, context: Mapping[str, object]
) -> Rendered:
    """The message of ``kind`` for ``channel`` in ``language`` with ``context``.

    An administrator's template that no longer renders (or an SMS of theirs beyond two
    segments) falls back to the shipped wording, so a bad edit delays no message."""
    zone = str(context.get("time_zone") or "UTC")
    subject, body, body_html = wording_for(kind=kind, channel=channel, language=language)
    try:
        rendered = _render_parts(subject, body, body_html, context, channel, zone, language)
    except TemplateInvalid:
        logger.warning(
            "Template for %s/%s/%s does not render: shipped wording used", kind, channel, language
        )
        rendered = None
    if rendered is None or (channel == Channel.SMS and sms_segments(rendered.text) > 2):
        subject, body = _shipped(kind, channel, language)
        rendered = _render_parts(subject, body, "", context, channel, zone, language)
        if channel == Channel.SMS:
            rendered = Rendered(subject="", text=sms_within_two_segments(rendered.text))
    return rendered


def _shipped(kind: str, channel: str, language: str) -> tuple[str, str]:
    wording = catalog.message_kind(kind).wording
    for candidate in (language, catalog.DEFAULT_LANGUAGE):
        if channel in wording.get(candidate, {}):
            return wording[candidate][channel]
    raise LookupError(f"No shipped wording for {kind} by {channel}")


def _right_to_left(language: str) -> bool:
    try:
        return bool(get_language_info(language)["bidi"])
    except KeyError:
        return False


def _render_parts(
    subject: str,
    body: str,
    body_html: str,
    context: Mapping[str, object],
    channel: str,
    zone: str,
    language: str,
) -> Rendered:
    text = render_text(body, context, zone=zone, language=language).strip()
    title = " ".join(render_text(subject, context, zone=zone, language=language).split())
    if channel == Channel.SMS:
        return Rendered(subject="", text=gsm7_folded(" ".join(text.split())))
    if channel == Channel.EMAIL:
        html = (
            render_html(body_html, context, zone=zone, language=language)
            if body_html
            else html_from_text(text)
        )
        if _right_to_left(language):
            # Mail clients set text left to right unless told: Arabic (Urdu...) reads the
            # other way, its punctuation and numbers placed by the direction.
            html = f'<div dir="rtl" lang="{escape(language)}">{html}</div>'
        return Rendered(subject=title, text=text, html=html)
    return Rendered(subject=title, text=text)


# --- SMS length ------------------------------------------------------------------------

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€")  # two septets each


def gsm7_folded(text: str) -> str:
    """Letters outside the GSM 7-bit alphabet replaced by their unaccented form where that
    is in it (á -> a), as carriers' "smart encoding" does: one accent would otherwise turn
    the whole message into UCS-2, 70 characters a segment instead of 160. Scripts without
    such a form (Arabic, Chinese) stay as they are."""
    folded = []
    for character in text:
        if character in _GSM7_BASIC or character in _GSM7_EXTENDED:
            folded.append(character)
            continue
        base = unicodedata.normalize("NFKD", character)
        stripped = "".join(c for c in base if not unicodedata.combining(c))
        if stripped and all(c in _GSM7_BASIC for c in stripped):
            folded.append(stripped)
        elif character in "\u2018\u2019":
            folded.append("'")
        elif character in "\u201c\u201d":
            folded.append('"')
        elif character in "\u2013\u2014":
            folded.append("-")
        else:
            folded.append(character)
    return "".join(folded)


def _is_gsm7(text: str) -> bool:
    return all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in text)


def sms_segments(text: str) -> int:
    """How many SMS segments ``text`` takes (GSM-7: 160, or 153 each when split; UCS-2: 70,
    or 67 each)."""
    if _is_gsm7(text):
        length = sum(2 if c in _GSM7_EXTENDED else 1 for c in text)
        single, multi = 160, 153
    else:
        length = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, multi = 70, 67
    if length <= single:
        return 1
    return -(-length // multi)


def sms_within_two_segments(text: str) -> str:
    """``text`` shortened to two segments, keeping a trailing link whole."""
    if sms_segments(text) <= 2:
        return text
    head, _, last = text.rpartition(" ")
    link = last if last.startswith(("http://", "https://")) else ""
    body = head if link else text
    suffix = f"... {link}" if link else "..."
    while body and sms_segments(body + suffix) > 2:
        body = body[:-1]
    return (body.rstrip() + suffix).strip()
