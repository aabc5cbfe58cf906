"""Two gunicorn nodes, one PostgreSQL: a candidate whose every request lands on the other node.

This is what a load balancer without sticky sessions does. It works only if no web process keeps
anything of its own: the session, the CSRF token, the messages, the interview's position and its
clock all have to come from the database (or the signed cookies both nodes can read).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from questions.bank import ParsedBank
from questions.models import Category
from sessions.models import Grade, InterviewSession, Item
from tests.cast import PASSWORD, make_user
from tests.servers import (
    Browser,
    Node,
    Page,
    Reply,
    collect_static,
    log_in,
    new_secret_key,
    node_environment,
    postgres_url,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two processes sharing one database need PostgreSQL: set DATABASE_URL to run it",
)

CATEGORY = "Fundamentals and Basics"  # every question in it has a follow-up scenario
QUESTIONS = 4
GRADES = [Grade.SOLID, Grade.MISSED, Grade.EXCELLENT, Grade.PARTIAL]  # repeated, item by item
SUMMARY_SCORE = re.compile(r'data-testid="score">(\d+)%<')
SUMMARY_POINTS = re.compile(r"Score \((\d+) of (\d+) points\)")
SUMMARY_GRADED = re.compile(r'data-testid="graded">(\d+)<')


@pytest.fixture(scope="module")
def nodes(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Node, Node]]:
    """Node A and node B: same settings and secret key, each with two workers, on two ports."""
    static_root = tmp_path_factory.mktemp("staticfiles")
    collect_static(static_root)
    database = connection.settings_dict
    env = node_environment(
        database_url=postgres_url(
            database, host=database["HOST"] or "127.0.0.1", port=int(database["PORT"] or 5432)
        ),
        static_root=static_root,
        secret_key=new_secret_key(),
    )
    logs = tmp_path_factory.mktemp("gunicorn")
    started: list[Node] = []
    try:
        for name in ("A", "B"):
            started.append(Node(name, env=env, log=logs / f"{name}.log"))
        for node in started:
            node.wait_until_healthy()
        yield started[0], started[1]
    finally:
        for node in started:
            node.stop()


class Alternating:
    """One browser whose every request goes to the next node in turn: A, B, A, B, …"""

    def __init__(self, nodes: tuple[Node, Node]) -> None:
        self.browser = Browser()
        self._next = itertools.cycle(nodes)
        self.served: list[tuple[str, str, str, int]] = []

    def get(self, path: str, node: Node | None = None) -> Reply:
        node = node or next(self._next)
        reply = self.browser.get(node.url + path)
        self.served.append((node.name, "GET", path, reply.status))
        return reply

    def post(self, path: str, data: dict[str, Any], node: Node | None = None) -> Reply:
        node = node or next(self._next)
        reply = self.browser.post(node.url + path, data)
        self.served.append((node.name, "POST", path, reply.status))
        return reply


def start_interview(client: Alternating, *, questions: int) -> InterviewSession:
    form = Page.parse(client.get("/interviews/new/").text)
    category = Category.objects.get(name=CATEGORY)
    reply = client.post(
        "/interviews/new/",
        {
            "csrfmiddlewaretoken": form.csrf_token,
            "categories": [category.pk],
            "question_count": questions,
            "seconds_per_item": 900,
            "include_scenarios": "on",
            "mode": "timed",
        },
    )
    assert reply.status == 302, reply.text[:500]
    session = InterviewSession.objects.get(user__username="candidate")
    assert reply.location == session.get_absolute_url()
    return session


def answer(client: Alternating, session: InterviewSession, position: int) -> tuple[str, str]:
    """Open the current item, write notes and reveal; returns the grade form's URL and token."""
    page = client.get(session.item_url(position))
    assert page.status == 200, page.text[:500]
    item = Item.objects.get(session=session, position=position)
    assert Page.parse(page.text).heading.startswith(item.label), (position, page.text[:300])
    form = Page.parse(page.text)
    reply = client.post(
        form.form_action("reveal-form"),
        {"csrfmiddlewaretoken": form.csrf_token, "notes": notes_for(position), "timed_out": ""},
    )
    assert reply.status == 302, reply.text[:500]
    revealed = client.get(reply.location)
    assert revealed.status == 200
    assert "Model answer" in revealed.text
    page = Page.parse(revealed.text)
    return page.form_action("grade-form"), page.csrf_token


def notes_for(position: int) -> str:
    return f"Item {position}: my answer, written on one node and read on the other."


def grade_of(position: int) -> int:
    return GRADES[position % len(GRADES)]


@pytest.fixture
def candidate(transactional_db: None, bank: ParsedBank) -> User:
    return make_user("candidate")


def test_one_candidate_alternating_nodes_finishes_an_interview_with_every_grade_once(
    nodes: tuple[Node, Node], candidate: User
) -> None:
    node_a, node_b = nodes
    client = Alternating(nodes)
    log_in(client.browser, node_a, node_b, "candidate", PASSWORD)
    client.served.clear()

    session = start_interview(client, questions=QUESTIONS)
    items = list(session.items.order_by("position"))
    kinds = [item.kind for item in items]
    assert kinds.count(Item.Kind.QUESTION) == QUESTIONS
    assert kinds.count(Item.Kind.SCENARIO) >= QUESTIONS  # each question brings its follow-up

    for item in items:
        grade_url, token = answer(client, session, item.position)
        grade = grade_of(item.position)
        reply = client.post(grade_url, {"csrfmiddlewaretoken": token, "grade": grade})
        assert reply.status == 302, reply.text[:500]
        # Following the redirect makes five requests an item, so the nodes swap roles each time.
        following = client.get(reply.location)
        assert following.status == 200
        if item.position + 1 < len(items):
            assert Page.parse(following.text).heading.startswith(items[item.position + 1].label)

    summary = client.get(session.get_absolute_url())
    assert summary.status == 200
    assert "<h1>Interview summary</h1>" in summary.text
    points = sum(grade_of(item.position) for item in items)
    maximum = 3 * len(items)
    assert SUMMARY_POINTS.search(summary.text).groups() == (str(points), str(maximum))
    assert SUMMARY_SCORE.search(summary.text).group(1) == str(round(100 * points / maximum))
    assert SUMMARY_GRADED.search(summary.text).group(1) == str(len(items))

    session.refresh_from_db()
    assert session.status == InterviewSession.Status.FINISHED
    assert session.current_position == len(items)
    recorded = session.items.order_by("position").values_list("position", "grade", "notes")
    assert list(recorded) == [
        (item.position, grade_of(item.position), notes_for(item.position)) for item in items
    ]
    assert not session.items.filter(graded_at__isnull=True).exists()
    assert not session.items.filter(revealed_at__isnull=True).exists()

    # The two nodes really took turns, for every kind of request.
    nodes_used = [name for name, *_ in client.served]
    assert nodes_used == ["A", "B"] * (len(nodes_used) // 2) + ["A"] * (len(nodes_used) % 2)
    for action in ("reveal", "grade"):
        served_by = {name for name, _, path, _ in client.served if path.endswith(f"/{action}/")}
        assert served_by == {"A", "B"}, action
    assert {status for *_, status in client.served} <= {200, 302}


def test_the_same_grade_posted_to_both_nodes_lands_once(
    nodes: tuple[Node, Node], candidate: User
) -> None:
    node_a, node_b = nodes
    client = Alternating(nodes)
    log_in(client.browser, node_b, node_a, "candidate", PASSWORD)
    session = start_interview(client, questions=1)
    grade_url, token = answer(client, session, 0)

    first = client.post(grade_url, {"csrfmiddlewaretoken": token, "grade": Grade.SOLID}, node_a)
    # The retry (a double click, a resent request) reaches the other node with another grade.
    again = client.post(grade_url, {"csrfmiddlewaretoken": token, "grade": Grade.MISSED}, node_b)

    assert first.status == 302
    assert again.status == 302
    follow_up = client.get(again.location, node_a)
    assert follow_up.status == 200
    assert "That question is no longer the current one" in follow_up.text
    items = list(session.items.order_by("position"))
    assert [(item.position, item.grade) for item in items[:2]] == [(0, Grade.SOLID), (1, None)]
    assert items[1].shown_at is not None  # the follow-up is now being asked, once
    session.refresh_from_db()
    assert session.current_position == 1
    assert session.is_open
