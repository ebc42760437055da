"""Markdown for runbooks, rendered to HTML that is safe to put in a page.

markdown-it-py renders CommonMark with raw HTML switched off, and nh3 then keeps only a short
list of tags and URL schemes. Both layers matter: a runbook is written by any responder and read
by everyone, so it must never be able to run script in a reader's session.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
_SCHEMES = {"http", "https", "mailto", "tel", "ssh", "rdp", "smb", "vnc"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def render_markdown(text: str) -> Markup:
    html = _md.render(text or "")
    return Markup(nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES))


def render_inline(text: str) -> Markup:
    """One line of Markdown (a runbook step), without the paragraph around it."""
    html = _md.renderInline(text or "")
    return Markup(nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES))
