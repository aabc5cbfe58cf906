"""The one HTML reader of the tests: pages read as a tree, to assert structure, not substrings.

Django's `parse_html` collapses whitespace, which would change the text of a <textarea> posted
back; this tree keeps text exactly as the browser would see it (`Node.text`), and gives it
collapsed where whitespace does not matter (`Node.words`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        """This node and every element below it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    @property
    def elements(self) -> list[Node]:
        """The child elements, without the text between them."""
        return [child for child in self.children if isinstance(child, Node)]

    def find_all(
        self, tag: str | None = None, *, cls: str | None = None, **attrs: str | None
    ) -> list[Node]:
        """Descendants (and self) by tag, class and attributes (None: present, any value).

        A trailing underscore lets attribute names be Python keywords: `id_="x"`.
        """
        found = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if cls is not None and cls not in (node.attrs.get("class") or "").split():
                continue
            if not all(
                name in node.attrs if value is None else node.attrs.get(name) == value
                for name, value in ((key.rstrip("_"), value) for key, value in attrs.items())
            ):
                continue
            found.append(node)
        return found

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs: str | None) -> Node:
        found = self.find_all(tag, cls=cls, **attrs)
        assert len(found) == 1, f"expected one <{tag} class={cls} {attrs}>, found {len(found)}"
        return found[0]

    @property
    def text(self) -> str:
        """The text inside, exactly as written (entities decoded)."""
        return "".join(child if isinstance(child, str) else child.text for child in self.children)

    @property
    def words(self) -> str:
        """The text inside, with runs of whitespace collapsed to single spaces."""
        return " ".join(self.text.split())


class _TreeBuilder(HTMLParser):
    def __init__(self, *, strict: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.strict = strict
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID_ELEMENTS:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if self.strict:
            assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        # A browser closes whatever is still open inside the element that ends.
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str | bytes, *, strict: bool = False) -> Node:
    """The document as a tree; `strict` also asserts that every element is closed in order
    (for markup the project writes itself, such as rendered Markdown)."""
    builder = _TreeBuilder(strict=strict)
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    if strict:
        assert len(builder.stack) == 1, f"unclosed: {[node.tag for node in builder.stack[1:]]}"
    return builder.root


def find_all(
    markup: str | Node, tag: str, *, cls: str | None = None, **attrs: str | None
) -> list[Node]:
    """`Node.find_all` on a page not parsed yet."""
    root = parse(markup) if isinstance(markup, str) else markup
    return root.find_all(tag, cls=cls, **attrs)


def form_data(form: Node) -> dict[str, list[str]]:
    """What a browser would submit for `form` without touching it (submit buttons left out)."""
    data: dict[str, list[str]] = {}
    for node in form.iter():
        name = node.attrs.get("name")
        if not name or "disabled" in node.attrs:
            continue
        if node.tag == "input":
            kind = (node.attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                continue
            if kind in {"checkbox", "radio"}:
                if "checked" in node.attrs:
                    data.setdefault(name, []).append(node.attrs.get("value") or "on")
                continue
            data.setdefault(name, []).append(node.attrs.get("value") or "")
        elif node.tag == "textarea":
            # A browser drops one newline right after <textarea> (Django's widget writes one)
            # and submits every line break as CRLF.
            text = node.text.removeprefix("\r\n").removeprefix("\n")
            lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            data.setdefault(name, []).append("\r\n".join(lines))
        elif node.tag == "select":
            options = node.find_all("option")
            chosen = [option for option in options if "selected" in option.attrs]
            if not chosen and options and "multiple" not in node.attrs:
                chosen = options[:1]
            data.setdefault(name, []).extend(
                option.attrs.get("value") or option.text for option in chosen
            )
    return data
