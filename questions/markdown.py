"""Markdown → safe HTML for answers written by the bank's authors and editors."""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-+*]|\d{1,9}[.)])\s")

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6", "hr", "li", "ol",
    "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "td": {"align"}, "th": {"align"}}
# nh3's own default would also allow ftp:, tel:, sms: and two dozen more.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # CommonMark with raw HTML off: a <script> in an answer is shown as text, never parsed.
    return MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")


def _end_lists_before_plain_lines(text: str) -> str:
    """Start a new paragraph when an unindented line follows a list item.

    CommonMark would glue such a line onto the last item ("lazy continuation"); the bank's
    authors always mean a new paragraph after the list, e.g. "- Compute budget" then
    "Generally, performance scales…".
    """
    lines = text.split("\n")
    out: list[str] = []
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index else ""
        if (
            line.strip()
            and not line[0].isspace()
            and not _LIST_ITEM.match(line)
            and _LIST_ITEM.match(previous)
        ):
            out.append("")
        out.append(line)
    return "\n".join(out)


def render_markdown(text: str) -> SafeString:
    return sanitise(_parser().render(_end_lists_before_plain_lines(text)))


def parse_markdown(text: str) -> list[Token]:
    """The block tokens `render_markdown` renders, for reading an answer's structure."""
    return _parser().parse(_end_lists_before_plain_lines(text))


def inline_text(inline: Token) -> str:
    """The text of an inline token without its Markdown marks (emphasis, code, links)."""
    pieces = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            pieces.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            pieces.append(" ")
    return " ".join("".join(pieces).split())


def plain_text(text: str) -> str:
    """The words of a Markdown text without its marks, one line per paragraph, item or code
    block: what a reader sees, for search and its snippets."""
    lines = []
    for token in parse_markdown(text):
        if token.type == "inline":
            lines.append(inline_text(token))
        elif token.type in ("fence", "code_block"):
            lines.append(" ".join(token.content.split()))
    return "\n".join(line for line in lines if line)


def sanitise(html: str) -> SafeString:
    """Only the allowed tags, attributes and URL schemes of `html`, links made `nofollow`.

    The last line of defence: markdown-it already refuses most dangerous links itself, so this
    is what stops whatever it lets through.
    """
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has just sanitised it
