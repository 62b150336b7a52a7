"""Staff-written Markdown (knowledge-base answers) as HTML that is safe to put on a public page.

Two locks, each enough on its own: markdown-it-py renders with raw HTML switched off (a typed `<script>`
comes out as text), and nh3 then keeps only the tags and attributes a short answer needs, links only to
http, https and mailto, with rel="nofollow noopener". Headings are shifted to h3–h4 so an answer never
competes with the page's own h1/h2. Pure: no Flask, no database.
"""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "em",
        "strong",
        "ul",
        "ol",
        "li",
        "a",
        "h3",
        "h4",
        "blockquote",
        "code",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """CommonMark without raw HTML or images, plus GFM tables (cell alignment is dropped: the CSP forbids
    style attributes)."""
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table")
    parser.disable(["image", "html_block", "html_inline"])
    return parser


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    """The allow-list; relative links are dropped too (an answer links out with a full address)."""
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
        url_relative="deny",
    )


def _shift_heading(tag: str) -> str:
    """h1 → h3, h2 and deeper → h4: an answer's headings sit below the page's title."""
    return "h3" if tag == "h1" else "h4"


def render_markdown(source: str) -> Markup:
    """The sanitised HTML of a Markdown answer, ready for a template (already safe: no `|safe` needed)."""
    parser = _parser()
    tokens = parser.parse(source or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = _shift_heading(token.tag)
    rendered = parser.renderer.render(tokens, parser.options, {})
    return Markup(_cleaner().clean(rendered))  # noqa: S704 -- nh3 has just reduced it to the allow-list above


def markdown_to_text(source: str) -> str:
    """The plain words of an answer (for search and snippets): the rendered HTML with every tag dropped."""
    return html.unescape(nh3.clean(str(render_markdown(source)), tags=set()))
