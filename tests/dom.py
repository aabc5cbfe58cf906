"""Reading pages in tests through Django's own HTML parser: assert structure, not substrings."""

from __future__ import annotations

from collections.abc import Iterator

from django.test.html import Element, parse_html


def walk(node: Element | str) -> Iterator[Element]:
    """The element and every element below it, in document order."""
    if isinstance(node, str):
        return
    yield node
    for child in node.children:
        yield from walk(child)


def find_all(
    markup: str | Element, tag: str, *, cls: str | None = None, **attrs: str | None
) -> list[Element]:
    """Elements named `tag` with class `cls` and attributes `attrs` (None: present, any value).

    A trailing underscore lets attribute names be Python keywords or clash-free: `id_="x"`.
    """
    root = parse_html(markup) if isinstance(markup, str) else markup
    found = []
    for element in walk(root):
        attributes = dict(element.attributes)
        if element.name != tag:
            continue
        if cls is not None and cls not in (attributes.get("class") or "").split():
            continue
        if all(
            name in attributes if value is None else attributes.get(name) == value
            for name, value in ((key.rstrip("_"), value) for key, value in attrs.items())
        ):
            found.append(element)
    return found


def text(node: Element | str) -> str:
    """The text inside, with runs of whitespace collapsed to single spaces."""
    if isinstance(node, str):
        return node
    return " ".join(" ".join(text(child) for child in node.children).split())
