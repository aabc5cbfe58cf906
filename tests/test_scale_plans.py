"""The progress pages' SQL plans: no subquery evaluated once per row (issue 15).

A "last attempt of each question" subquery per item row made the dashboard's cost grow with the
square of the history while the query count stayed the same, so a query budget cannot see it.
Here every SELECT a page runs is explained by the database itself, with a few hundred items in
the history, and a correlated subquery in any plan fails: on PostgreSQL a SubPlan node (an
InitPlan runs once and is allowed), on SQLite a CORRELATED subquery in EXPLAIN QUERY PLAN.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questions.models import Question
from sessions.models import Item
from tests.cast import logged_in, make_question, make_user
from tests.histories import bulk_history, bulk_reviews

pytestmark = pytest.mark.django_db

SESSIONS = 40  # × 10 items: 400 items, two history pages


@pytest.fixture
def candidate() -> User:
    user = make_user("long-history")
    questions: list[Question] = [make_question(number) for number in range(1, 26)]
    bulk_history(user, questions, sessions=SESSIONS)
    bulk_reviews(user)
    return user


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def correlated_parts(sql: str) -> list[str]:
    """What in this statement's plan runs once per outer row, as the database describes it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            (document,) = cursor.fetchone()
            plans = json.loads(document) if isinstance(document, str) else document
            text = json.dumps(plans)
            # A hashed SubPlan is run once into a hash table, then probed per row.
            return [
                name
                for node in _plan_nodes(plans[0]["Plan"])
                if (name := node.get("Subplan Name", "")).startswith("SubPlan")
                and f"hashed {name}" not in text
            ]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [row[-1] for row in cursor.fetchall() if "CORRELATED" in row[-1]]


def page_selects(user: User, url: str) -> list[str]:
    client = logged_in(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    selects = [query["sql"] for query in queries if query["sql"].lstrip().startswith("SELECT")]
    assert selects, "the page ran no SELECT at all"
    return selects


# Correlated subqueries that do not grow with the history, each with the reason. The daily plan
# (sessions.plan) probes each card's first review: one lookup in index review_card_time per card,
# and a user has one card per question or follow-up at most (224 in the bank), however many
# interviews they did.
BOUNDED = {
    'FROM "interviews_reviewlog" U0 WHERE U0."card_id" = ("interviews_card"."id")': "first review",
}


def per_row_parts(sql: str) -> list[str]:
    """The correlated parts of a statement's plan, less one for each known bounded probe in it."""
    parts = correlated_parts(sql)
    allowed = sum(sql.count(fragment) for fragment in BOUNDED)
    return parts[allowed:]


@pytest.mark.parametrize(
    "url",
    [
        reverse("home"),
        reverse("history"),
        f"{reverse('history')}?page=2",
        f"{reverse('history')}?mode=timed&category=fundamentals&page=2",
        reverse("interviews:question_attempts", args=[3]),
        reverse("readiness"),
    ],
)
def test_no_page_query_runs_a_subquery_per_row(candidate: User, url: str) -> None:
    found = {sql: parts for sql in page_selects(candidate, url) if (parts := per_row_parts(sql))}
    assert found == {}


def test_the_guard_sees_a_correlated_subquery(candidate: User) -> None:
    # The shape of the old dashboard query: each item's question's last grade, per item row.
    items = Item.objects.filter(session__user=candidate)
    last = items.filter(question=OuterRef("question")).order_by("-shown_at")
    query = items.annotate(last_grade=Subquery(last.values("grade")[:1])).values("last_grade")
    with CaptureQueriesContext(connection) as queries:
        list(query)
    assert correlated_parts(queries[-1]["sql"])
