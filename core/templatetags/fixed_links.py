"""What the layout shows every reader alike, worked out once per process instead of on every
page: links that take no arguments, and fragments that depend only on a few plain values.

    {% load fixed_links %}
    <a href="{% fixed_url 'appointments:mine' %}">...</a>
    <link rel="stylesheet" href="{% fixed_static 'css/site.css' %}">
    {% fixed_fragment "site-nav" user.is_authenticated appointments_nav %}...{% endfixed_fragment %}

``{% url %}`` reverses on every render (about 15 µs each: the layout has a dozen); the answer
depends only on the URL configuration, the script prefix and the language, which key the
memo. Links with arguments keep ``{% url %}``.

``{% fixed_fragment NAME VALUE... %}`` renders its content once per process for each
combination of the values it names (and of the URL configuration, script prefix, language and
autoescaping), and gives that HTML to every later render with the same values. Its content
must read nothing else: no form token, no message, nothing of the reader but the values
named. The values must be plain (None, booleans, numbers, strings, and lists, tuples or
dicts of them); a fragment whose values are anything else, or in a template made from a
string, is rendered every time. NAME is unique within its template.

A settings change (tests) or a changed template (the development server) forgets them all.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import UNKNOWN_SOURCE, FilterExpression, NodeList, Parser, Token
from django.template.defaulttags import CsrfTokenNode
from django.template.loader_tags import BlockNode
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.autoreload import file_changed
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

# Bounded: names come from templates, but a prefix comes from the request (SCRIPT_NAME).
_MAX_ENTRIES = 2_000
_urls: dict[tuple[str, Any, str, str | None], str] = {}
_statics: dict[tuple[str, str], str] = {}


_fragments: dict[tuple[Any, ...], SafeString] = {}


@receiver(setting_changed)
def _forget_links(**kwargs: Any) -> None:
    _urls.clear()
    _statics.clear()
    _fragments.clear()


@receiver(file_changed)
def _forget_fragments(file_path: Any, **kwargs: Any) -> None:
    if getattr(file_path, "suffix", "") != ".py":  # a template: the fragments may differ now
        _fragments.clear()


_ENVIRONMENT = "fixed_links.environment"


def _environment(context: template.Context) -> tuple[Any, str, str | None]:
    """What a link depends on besides its name: the URL configuration, the script prefix and
    the language, read once per render (each is a context-local lookup)."""
    environment: tuple[Any, str, str | None] | None = context.render_context.get(_ENVIRONMENT)
    if environment is None:
        environment = (get_urlconf(), get_script_prefix(), get_language())
        context.render_context[_ENVIRONMENT] = environment
    return environment


@register.simple_tag(takes_context=True)
def fixed_url(context: template.Context, name: str) -> str:
    """``reverse(name)``, once per process (and URL configuration, prefix and language)."""
    key = (name, *_environment(context))
    url = _urls.get(key)
    if url is None:
        if len(_urls) >= _MAX_ENTRIES:
            _urls.clear()
        url = _urls[key] = reverse(name)
    return url


@register.simple_tag
def fixed_static(path: str) -> str:
    """``{% static path %}``, once per process (and script prefix: a relative STATIC_URL
    starts with it)."""
    key = (path, get_script_prefix())
    url = _statics.get(key)
    if url is None:
        if len(_statics) >= _MAX_ENTRIES:
            _statics.clear()
        url = _statics[key] = static(path)
    return url


_PLAIN = (str, int, float, bool, type(None))


class _NotPlain(Exception):
    pass


def _frozen(value: Any) -> Any:
    """A hashable copy of a plain value (dicts as sorted items); _NotPlain otherwise."""
    if isinstance(value, _PLAIN):
        # The type too: True and 1 render differently.
        return (type(value).__name__, value)
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("seq", tuple(_frozen(item) for item in value))
    raise _NotPlain


class FixedFragmentNode(template.Node):
    # Holds no block (the tag refuses one): a parent template's search for its blocks, on
    # every render of a page that extends it, need not walk the fragment.
    child_nodelists = ()

    def __init__(self, nodelist: NodeList, name: str, values: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.name = name
        self.values = values

    def render(self, context: template.Context) -> str:
        try:
            values = tuple(_frozen(value.resolve(context)) for value in self.values)
        except _NotPlain:
            return self.nodelist.render(context)
        origin = getattr(self.origin, "name", None)
        if origin is None or origin == UNKNOWN_SOURCE:  # made from a string: no name of its own
            return self.nodelist.render(context)
        key = (origin, self.name, values, context.autoescape, *_environment(context))
        html = _fragments.get(key)
        if html is None:
            if len(_fragments) >= _MAX_ENTRIES:
                _fragments.clear()
            html = _fragments[key] = SafeString(self.nodelist.render(context))
        return html


@register.tag("fixed_fragment")
def fixed_fragment(parser: Parser, token: Token) -> FixedFragmentNode:
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError(
            f"'{bits[0]}' takes a quoted name, then the values its content depends on."
        )
    nodelist = parser.parse(("endfixed_fragment",))
    parser.delete_first_token()
    # A block's content comes from whichever template extends this one, and a form token is
    # new on every response: neither may be kept.
    if nodelist.get_nodes_by_type(BlockNode) or nodelist.get_nodes_by_type(CsrfTokenNode):
        raise template.TemplateSyntaxError(
            f"'{bits[0]}' {bits[1]} may not contain a block or a csrf_token."
        )
    return FixedFragmentNode(
        nodelist, bits[1][1:-1], [parser.compile_filter(bit) for bit in bits[2:]]
    )
