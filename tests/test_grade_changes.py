"""Changing a grade after the fact (issue 10): on the summary, or on the item's own page.

Every change is recorded as a GradeChange and listed on the item, and every screen that shows a
score (summary, dashboard, history, CSV, the per-question record) follows the current grade. A
refused change (a grade outside the four, an ungraded item) leaves the database as it was;
another user's interview is 404. Undo right after grading is in test_grade_corrections.py.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client

from questions.models import Question
from sessions import progress, services
from sessions.models import Grade, GradeChange, InterviewSession
from tests.cast import (
    HTMX,
    answer,
    answer_each,
    at,
    count_queries,
    give_key_points,
    html,
    item_url,
    logged_in,
    make_other_user,
    make_question,
    messages_shown,
    start_interview,
    stat,
    state,
    summary_url,
)
from tests.dom import find_all

pytestmark = pytest.mark.django_db

GRADE_CHOICE = "Choose one of the four grades: Missed, Partial, Solid or Excellent."
NOT_GRADED = "Only a graded question can have its grade changed."
# The summary of a finished interview, whatever its length and its grade changes: the login
# session, the user, the middleware's open-interview check, the interview, its items with their
# categories, their grade changes and their key points (a prefetch each), its totals, its category
# breakdown and its weak questions.
SUMMARY_BUDGET = 10


# Reading pages.
def card(markup: str, position: int) -> Any:
    (found,) = find_all(markup, "li", cls="item-card", id_=f"item-{position}")
    return found


def pill(node: Any) -> str:
    return node.find_all("span", cls="grade-pill")[0].words


@pytest.fixture
def finished(session: InterviewSession) -> InterviewSession:
    """The interview finished: Excellent, Solid, Partial, 6 of 9 points (67 %)."""
    for grade in (Grade.EXCELLENT, Grade.SOLID, Grade.PARTIAL):
        answer(session, grade, now=at(10))
    return session


def change(
    client: Client, session: InterviewSession, position: int, grade: object, **headers: Any
) -> HttpResponse:
    return client.post(
        item_url(session, position, "change"),
        {"grade": grade, "return_to": "summary"},
        **headers,
    )


def history_score(client: Client) -> str:
    (cell,) = find_all(html(client.get("/history/")), "td", cls="cell-score")
    return cell.words


def dashboard_score(client: Client) -> str:
    (cell,) = find_all(html(client.get("/")), "td", cls="cell-score")
    return cell.words


def csv_rows(client: Client) -> list[dict[str, str]]:
    response = client.get("/history/export.csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


class TestChangeOnTheSummary:
    def test_htmx_change_returns_the_summary_region_with_the_new_score(
        self, owner_client: Client, finished: InterviewSession, owner: User, clock: Any
    ) -> None:
        assert stat(html(owner_client.get(summary_url(finished))), "score") == "67%"
        clock.move_to(at(600), tick=False)

        response = change(owner_client, finished, 0, Grade.PARTIAL, **HTMX)

        assert response.status_code == 200
        fragment = html(response)
        assert fragment.lstrip().startswith('<div id="summary">')
        assert "<html" not in fragment
        assert stat(fragment, "score") == "44%"  # (1 + 2 + 1) / 9
        assert pill(card(fragment, 0)) == "Partial"
        (listed,) = card(fragment, 0).find_all("ul", cls="grade-changes")
        assert listed.elements[0].words.startswith("Excellent → Partial by you")
        recorded = GradeChange.objects.get()
        assert (recorded.changed_by, recorded.changed_at) == (owner, at(600))
        assert (recorded.old_grade, recorded.new_grade) == (Grade.EXCELLENT, Grade.PARTIAL)
        assert finished.items.get(position=0).grade == Grade.PARTIAL

    def test_a_plain_change_redirects_to_the_item_on_the_summary_with_a_message(
        self, owner_client: Client, finished: InterviewSession
    ) -> None:
        response = change(owner_client, finished, 1, Grade.MISSED)

        assert response.status_code == 302
        assert response["Location"] == f"{summary_url(finished)}#item-1"
        page = html(owner_client.get(response["Location"]))
        assert "Grade changed; the scores follow it." in messages_shown(page)
        assert stat(page, "score") == "44%"  # (3 + 0 + 1) / 9
        assert pill(card(page, 1)) == "Missed"
        changes = card(page, 1).find("ul", cls="grade-changes")
        assert changes.elements[0].words.startswith("Solid → Missed by you")

    def test_every_page_follows_the_changed_grade(
        self,
        owner_client: Client,
        finished: InterviewSession,
        owner: User,
        questions: list[Question],
    ) -> None:
        assert (dashboard_score(owner_client), history_score(owner_client)) == ("67%", "67%")
        assert [point.percent for point in progress.score_series(owner)] == [67]
        assert csv_rows(owner_client)[0]["grade"] == "Excellent"

        change(owner_client, finished, 0, Grade.MISSED, **HTMX)

        assert (dashboard_score(owner_client), history_score(owner_client)) == (
            "33%",
            "33%",
        )  # 3 / 9
        assert [point.percent for point in progress.score_series(owner)] == [33]
        (average,) = progress.category_averages(owner)
        assert (average.graded, average.points, average.percent) == (3, 3, 33)
        rows = csv_rows(owner_client)
        assert [(row["position"], row["grade"], row["points"]) for row in rows] == [
            ("1", "Missed", "0"),
            ("2", "Solid", "2"),
            ("3", "Partial", "1"),
        ]
        (attempt,) = progress.question_attempts(owner, questions[0])
        assert (attempt.grade, attempt.grade_label) == (Grade.MISSED, "Missed")

    def test_a_change_is_also_offered_on_the_items_own_page(
        self, owner_client: Client, finished: InterviewSession
    ) -> None:
        page = html(owner_client.get(item_url(finished, 2)))
        (form,) = find_all(page, "form", cls="change-grade")
        assert form.find("input", name="return_to").attrs["value"] == "interview"

        response = owner_client.post(
            item_url(finished, 2, "change"), {"grade": "3", "return_to": "interview"}, **HTMX
        )

        assert response.status_code == 200
        fragment = html(response)
        assert fragment.lstrip().startswith('<section id="interview"')
        assert find_all(fragment, "span", cls="grade-pill")[0].words == "Excellent"
        changes = find_all(fragment, "ul", cls="grade-changes")[0]
        assert changes.elements[0].words.startswith("Partial → Excellent by you")

    @pytest.mark.parametrize("value", ["7", "-1", "x", ""])
    def test_an_invalid_grade_gets_400_and_changes_nothing(
        self, owner_client: Client, finished: InterviewSession, value: str
    ) -> None:
        before = state()

        response = change(owner_client, finished, 0, value, **HTMX)

        assert response.status_code == 400
        (alert,) = find_all(html(response), "p", role="alert")
        assert alert.words == GRADE_CHOICE
        assert stat(html(response), "score") == "67%"
        assert state() == before

    def test_an_invalid_plain_post_redirects_with_the_message_and_changes_nothing(
        self, owner_client: Client, finished: InterviewSession
    ) -> None:
        before = state()

        response = change(owner_client, finished, 0, "7", follow=True)

        assert GRADE_CHOICE in messages_shown(html(response))
        assert "Grade changed; the scores follow it." not in messages_shown(html(response))
        assert state() == before

    def test_an_ungraded_item_cannot_be_changed(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        answer(session, Grade.SOLID)
        services.end_session(session=session, now=at(5))  # items 1 and 2 left ungraded
        before = state()

        htmx = change(owner_client, session, 1, Grade.EXCELLENT, **HTMX)
        plain = change(owner_client, session, 2, Grade.EXCELLENT, follow=True)

        assert htmx.status_code == 400
        assert find_all(html(htmx), "p", role="alert")[0].words == NOT_GRADED
        assert NOT_GRADED in messages_shown(html(plain))
        assert state() == before

    def test_the_same_grade_again_records_no_change(
        self, owner_client: Client, finished: InterviewSession
    ) -> None:
        before = state()

        response = change(owner_client, finished, 0, Grade.EXCELLENT, **HTMX)

        assert response.status_code == 200
        assert state() == before

    def test_another_users_session_is_404(self, finished: InterviewSession) -> None:
        intruder = logged_in(make_other_user())
        before = state()

        for headers in ({}, HTMX):
            assert change(intruder, finished, 0, Grade.MISSED, **headers).status_code == 404
        assert state() == before


class TestSummaryQueries:
    def test_the_summary_runs_as_many_queries_for_12_items_with_changes_as_for_3(
        self, owner_client: Client, owner: User, clock: Any, django_assert_max_num_queries: Any
    ) -> None:
        asked = [make_question(number) for number in range(1, 13)]
        for question in asked:  # more points than the short interview's: the budget holds
            give_key_points(question, *(f"Point {n}." for n in range(question.number % 5 + 1)))
        short = start_interview(owner, asked[:3])
        answer_each(short, [Grade.SOLID, Grade.PARTIAL, Grade.EXCELLENT])
        long = start_interview(owner, asked, now=at(60))
        answer_each(
            long, [Grade.MISSED, Grade.PARTIAL, Grade.SOLID, Grade.EXCELLENT] * 3, now=at(60)
        )
        for position, grade in [
            (0, Grade.SOLID),
            (0, Grade.EXCELLENT),
            (4, Grade.SOLID),
            (11, Grade.MISSED),
        ]:
            services.change_grade(
                session=long, position=position, grade=grade, user=owner, now=at(600)
            )
        changed = find_all(html(owner_client.get(summary_url(long))), "ul", cls="grade-changes")
        assert [len(listed.elements) for listed in changed] == [2, 1, 1]
        coverage = find_all(html(owner_client.get(summary_url(long))), "p", cls="coverage-line")
        assert len(coverage) == 12

        counts = [
            count_queries(
                owner_client, summary_url(session), django_assert_max_num_queries, SUMMARY_BUDGET
            )
            for session in (short, long)
        ]

        assert counts == [SUMMARY_BUDGET, SUMMARY_BUDGET]
