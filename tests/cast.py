"""The cast of the test suite and its props, shared by every module (as healthchecks' hc/test.py).

The owner, another user, an editor, a superuser and an anonymous visitor; questions to ask; and
the one way a test starts an interview (through the real service, with the clock fixed).

The Editors group comes from data migrations (0003, and 0005 for key points), so a transactional
test (the browser tests, the concurrency tests) deletes it when it flushes the database. Every
module that needs the group gets it through `ensure_editors_group()`, which puts it back exactly
as the migrations made it.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from questions.bank import ParsedBank
from questions.keypoints import derive_key_points
from questions.models import Category, KeyPoint, Question
from sessions import services
from sessions.models import GradeChange, InterviewSession, Item, ItemKeyPoint
from tests.dom import find_all

_MIGRATION = importlib.import_module("questions.migrations.0003_editors_group")
_KEY_POINTS_MIGRATION = importlib.import_module("questions.migrations.0005_editors_key_points")
EDITORS = _MIGRATION.EDITORS
EDITOR_PERMISSIONS: frozenset[str] = frozenset(
    _MIGRATION.EDITOR_PERMISSIONS + _KEY_POINTS_MIGRATION.KEY_POINT_PERMISSIONS
)
PASSWORD = "a-Long-pass-phrase-42"  # everyone's, so a test can log in through the form
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LIMIT = 60  # seconds per item in a timed interview
HTMX = {"HTTP_HX_REQUEST": "true"}  # the header HTMX sends: client.get(url, **HTMX)


def at(seconds: float) -> datetime:
    """`seconds` after T0."""
    return T0 + timedelta(seconds=seconds)


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """The production hasher with one iteration: hashing the production way takes a quarter of
    a second and tests make many users. The iteration count is stored in the hash, so a real
    server (the gunicorn nodes of the two-node and outage tests) verifies these hashes with its
    own default hasher."""

    iterations = 1


FAST_PASSWORD_HASHERS = ["tests.cast.FastPBKDF2PasswordHasher"]


# The cast.
def make_user(username: str = "candidate", **extra: object) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, **extra)


def make_owner() -> User:
    return make_user("owner", email="owner@example.com")


def make_other_user() -> User:
    return make_user("other")


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


def logged_in(user: User, **client_options: object) -> Client:
    client = Client(**client_options)
    client.force_login(user)
    return client


def anonymous(**client_options: object) -> Client:
    return Client(**client_options)


def html(response: HttpResponse) -> str:
    return response.content.decode()


def count_queries(
    client: Client,
    url: str,
    assert_max_queries: DjangoAssertNumQueries,
    budget: int,
    **headers: str,
) -> int:
    """The queries a GET of `url` runs, failing past `budget` (the body read, if streamed)."""
    with assert_max_queries(budget) as captured:
        response = client.get(url, **headers)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)  # a streamed body queries as it is read
    return len(captured.captured_queries)


def messages_of(response: HttpResponse) -> list[str]:
    """The messages the request left for the next page, as the user reads them."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def messages_shown(markup: str) -> list[str]:
    """The messages a rendered page shows, as the user reads them."""
    return [li.words for ul in find_all(markup, "ul", cls="messages") for li in ul.elements]


def stat(markup: str, name: str) -> str:
    """The words of the summary figure marked `data-testid=name` ("score", "graded", …)."""
    (value,) = find_all(markup, "span", **{"data-testid": name})
    return value.words


def place_text(markup: str) -> str:
    """Where the interview stands, as its progress line says: "Question 1 of 3"."""
    (label,) = find_all(markup, "p", cls="progress-label")
    return label.elements[0].words


# Interview addresses.
def item_url(session: InterviewSession, position: int, action: str = "") -> str:
    """One item's own page, or with `action` ("reveal", "grade", …) the address it posts to."""
    return f"/interviews/{session.pk}/items/{position}/" + (f"{action}/" if action else "")


def summary_url(session: InterviewSession) -> str:
    return f"/interviews/{session.pk}/summary/"


# The props.
def make_question(number: int, *, category: Category | None = None, **fields: object) -> Question:
    if category is None:
        category, _ = Category.objects.get_or_create(
            name="Fundamentals", defaults={"slug": "fundamentals", "position": 0}
        )
    defaults = {"title": f"Question {number}?", "answer": f"Answer to question {number}."}
    defaults.update(fields)
    return Question.objects.create(number=number, category=category, **defaults)


def give_key_points(question: Question, *points: str) -> list[KeyPoint]:
    """Replace a question's key points with `points`, in order."""
    question.key_points.all().delete()
    return [
        KeyPoint.objects.create(question=question, position=position, text=text)
        for position, text in enumerate(points)
    ]


def with_derived_key_points(bank: ParsedBank) -> ParsedBank:
    """The bank as the import stores a file without key points: each answer gets derived ones."""
    return dataclasses.replace(
        bank,
        questions=tuple(
            dataclasses.replace(
                question,
                key_points=tuple(derive_key_points(question.answer)),
                scenarios=tuple(
                    dataclasses.replace(
                        scenario, key_points=tuple(derive_key_points(scenario.answer))
                    )
                    for scenario in question.scenarios
                ),
            )
            for question in bank.questions
        ),
    )


def start_interview(
    user: User,
    questions: Sequence[Question],
    *,
    mode: str = InterviewSession.Mode.TIMED,
    seconds_per_item: int = LIMIT,
    include_scenarios: bool = False,
    now: datetime = T0,
    counts_toward_schedule: bool = True,
) -> InterviewSession:
    """An interview started the way the new-interview page starts one, at `now`."""
    return services.start_session(
        user=user,
        questions=questions,
        mode=mode,
        seconds_per_item=seconds_per_item,
        include_scenarios=include_scenarios,
        now=now,
        counts_toward_schedule=counts_toward_schedule,
    )


def reveal_current(session: InterviewSession, *, notes: str = "", now: datetime = T0) -> Item:
    """Show and reveal the current item, both at `now`."""
    item = services.show_current_item(session=session, now=now)
    assert item is not None
    return services.reveal_item(session=session, position=item.position, notes=notes, now=now)


def answer(session: InterviewSession, grade: int, *, notes: str = "", now: datetime = T0) -> Item:
    """Show, reveal and grade the current item, all at `now`."""
    item = reveal_current(session, notes=notes, now=now)
    return services.grade_item(session=session, position=item.position, grade=grade, now=now)


def answer_each(session: InterviewSession, grades: Sequence[int], *, now: datetime = T0) -> None:
    """Answer the next items, one grade each, all at `now`."""
    for grade in grades:
        answer(session, grade, now=now)


def state() -> tuple[list[tuple[Any, ...]], ...]:
    """Every interview row: what a refused request must leave exactly as it was."""
    return (
        list(InterviewSession.objects.order_by("pk").values_list()),
        list(Item.objects.order_by("pk").values_list()),
        list(GradeChange.objects.order_by("pk").values_list()),
        list(ItemKeyPoint.objects.order_by("pk").values_list()),
    )
