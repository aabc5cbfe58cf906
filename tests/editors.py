"""The cast of the editor tests and a small HTML reader, shared by their modules.

The Editors group comes from a data migration, so a transactional test (the browser tests, the
concurrency tests) deletes it when it flushes the database. Every module that needs the group
gets it through `ensure_editors_group()`, which puts it back exactly as the migration made it.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command

from tests.conftest import make_user

_MIGRATION = importlib.import_module("questions.migrations.0003_editors_group")
EDITORS = _MIGRATION.EDITORS
EDITOR_PERMISSIONS: frozenset[str] = frozenset(_MIGRATION.EDITOR_PERMISSIONS)
PASSWORD = "a-Long-pass-phrase-42"  # the one `make_user` sets
# Hashing a password the production way takes a quarter of a second; tests make many users.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def ensure_editors_group() -> Group:
    group, created = Group.objects.get_or_create(name=EDITORS)
    if created:
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="questions", codename__in=EDITOR_PERMISSIONS
            )
        )
    return group


def make_editor(username: str = "editor") -> User:
    """A user made an editor the supported way: `manage.py add_editor`."""
    make_user(username)
    call_command("add_editor", username, stdout=io.StringIO())
    return User.objects.get(username=username)


def make_superuser(username: str = "admin") -> User:
    return User.objects.create_superuser(username, f"{username}@example.com", PASSWORD)


# HTML, read as a tree. Django's `parse_html` collapses whitespace, which would change the text
# of a <textarea> posted back; this keeps text exactly as the browser would see it.

VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(
        self, tag: str | None = None, *, cls: str | None = None, **attrs: str
    ) -> list[Node]:
        """Descendants (and self) by tag, class and exact attribute values (`id_="x"` works)."""
        found = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if cls is not None and cls not in (node.attrs.get("class") or "").split():
                continue
            if any(node.attrs.get(name.rstrip("_")) != value for name, value in attrs.items()):
                continue
            found.append(node)
        return found

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, cls=cls, **attrs)
        assert len(found) == 1, f"expected one <{tag} class={cls} {attrs}>, found {len(found)}"
        return found[0]

    @property
    def text(self) -> str:
        """The text inside, exactly as written (entities decoded)."""
        return "".join(child if isinstance(child, str) else child.text for child in self.children)

    @property
    def words(self) -> str:
        return " ".join(self.text.split())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
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
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str | bytes) -> Node:
    builder = _TreeBuilder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.root


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
