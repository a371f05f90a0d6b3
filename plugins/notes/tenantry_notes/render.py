"""Markdown to safe HTML: markdown-it renders, nh3 (ammonia) keeps only harmless tags.

A note's HTML is cached per version (its id and last change), so a page view renders
the Markdown once per edit, not once per view. An edit makes a new version: nothing
needs invalidating.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from tenantry import cache

if TYPE_CHECKING:
    from tenantry_notes.models import Note

#: The cache namespace of rendered notes (``tenantry cache invalidate notes.html``).
HTML_CACHE = "notes.html"
#: Part of every key: bump it when ``to_html``'s output changes, and old entries are ignored.
RENDERER = 1
HTML_TTL = 7 * 24 * 3600

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}


def to_html(text: str, markdown: bool = True) -> Markup:
    if not markdown:
        return Markup("<p>") + escape(text).replace("\n", Markup("<br>")) + Markup("</p>")
    html = nh3.clean(
        _markdown.render(text),
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(html)


def note_html(note: Note, markdown: bool = True) -> Markup:
    """``to_html`` of the note's body, cached for this version of the note."""
    key = f"{note.id}:{note.updated_at.isoformat()}:{int(markdown)}:{RENDERER}"
    html = cache.get_or_set(HTML_CACHE, key, HTML_TTL, lambda: str(to_html(note.body, markdown)))
    return Markup(html)  # our own sanitised output, kept as text
