"""Scores mean one thing, and "weak" has one definition (issue 10).

A session's score is points ÷ (3 × graded items); shown-but-ungraded items are "unanswered",
reported apart and never counted as zeros; with nothing graded there is no score ("—") and no
point on the trend. The summary's category table and the dashboard's category averages agree.
`services.weak_questions` decides both whether the summary offers "Retry weak questions" and
what the retry asks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from questions.models import Category, Question, Scenario
from sessions import progress, services
from sessions.models import Grade, InterviewSession, Item
from tests.cast import (
    T0,
    answer_each,
    html,
    make_question,
    messages_shown,
    start_interview,
    stat,
    summary_url,
)
from tests.dom import Node, find_all

pytestmark = pytest.mark.django_db

Status = InterviewSession.Status
NOTHING_TO_RETRY = (
    "Nothing in that interview is left to retry: no active question was graded Missed or Partial."
)


def summary(client: Client, session: InterviewSession) -> str:
    return html(client.get(summary_url(session)))


def history_rows(client: Client) -> list[Node]:
    (table,) = find_all(html(client.get("/history/")), "table", cls="session-table")
    return table.find("tbody").elements


def score_cell(row: Node) -> str:
    return row.find("td", cls="cell-score").words


def badge(row: Node) -> Node:
    return row.find("td", cls="cell-end").elements[0]


def trend(owner: User) -> list[tuple[int, int]]:
    return [(point.session_id, point.percent) for point in progress.score_series(owner)]


def table_rows(table: Node, *columns: str) -> list[list[str]]:
    """The body of `table`, each row as the words of the named columns (by header text)."""
    headers = [th.words for th in table.find("thead").find_all("th")]
    indexes = [headers.index(column) for column in columns]
    rows = []
    for row in table.find("tbody").elements:
        cells = [cell.words for cell in row.elements if cell.tag in {"th", "td"}]
        rows.append([cells[index] for index in indexes])
    return rows


def retry_offered(markup: str, session: InterviewSession) -> bool:
    return bool(find_all(markup, "form", action=f"/interviews/{session.pk}/retry/"))


class TestSessionScore:
    def test_only_graded_items_count_and_unanswered_ones_are_reported_apart(
        self, owner_client: Client, owner: User, four_questions: list[Question], clock: Any
    ) -> None:
        session = start_interview(owner, four_questions)
        answer_each(session, [Grade.EXCELLENT, Grade.PARTIAL])  # item 2 is now on screen
        services.end_session(session=session, now=T0)  # item 3 was never shown

        page = summary(owner_client, session)

        assert stat(page, "score") == "67%"  # 4 of 6 points; counted as zeros it would be 33%
        (label,) = [s for s in find_all(page, "span", cls="stat-label") if "points" in s.words]
        assert label.words == "Score (4 of 6 points)"
        assert stat(page, "graded") == "2"
        assert stat(page, "unanswered") == "1"
        assert trend(owner) == [(session.pk, 67)]
        (row,) = history_rows(owner_client)
        assert score_cell(row) == "67%"
        assert "1 unanswered" in row.find("td", **{"data-label": "Graded"}).words

    def test_a_half_percent_rounds_up(self, owner_client: Client, owner: User, clock: Any) -> None:
        session = start_interview(owner, [make_question(number) for number in range(1, 9)])
        answer_each(session, [Grade.EXCELLENT] + [Grade.MISSED] * 7)

        # 3 of 24 points is 12.5 %: halves round up (Python's round() would say 12).
        assert stat(summary(owner_client, session), "score") == "13%"
        assert trend(owner) == [(session.pk, 13)]
        assert score_cell(history_rows(owner_client)[0]) == "13%"

    def test_a_session_with_nothing_graded_has_no_score_and_no_point_on_the_trend(
        self, owner_client: Client, owner: User, four_questions: list[Question], clock: Any
    ) -> None:
        graded = start_interview(owner, four_questions[:1])
        answer_each(graded, [Grade.SOLID])
        empty = start_interview(owner, four_questions[1:])  # "Practise these", ended at once
        services.show_current_item(session=empty, now=T0)
        services.end_session(session=empty, now=T0)

        page = summary(owner_client, empty)

        assert stat(page, "score") == "—"
        assert "Score (nothing graded)" in page
        assert stat(page, "unanswered") == "1"
        assert trend(owner) == [(graded.pk, 67)]
        assert [score_cell(row) for row in history_rows(owner_client)] == ["—", "67%"]
        dashboard = html(owner_client.get("/"))
        assert "0%" not in [cell.words for cell in find_all(dashboard, "td", cls="num")]

    def test_an_interview_in_progress_shows_no_zero_score_in_history(
        self, owner_client: Client, owner: User, four_questions: list[Question], clock: Any
    ) -> None:
        session = start_interview(owner, four_questions)
        services.show_current_item(session=session, now=T0)

        (row,) = history_rows(owner_client)
        assert score_cell(row) == "—"
        assert badge(row).words == "In progress"
        assert "badge-neutral" in badge(row).attrs["class"]

        answer_each(session, [Grade.SOLID])

        (row,) = history_rows(owner_client)
        assert score_cell(row) == "67%"  # its graded items so far
        assert badge(row).words == "In progress"
        assert trend(owner) == []  # no final score yet

    @pytest.mark.parametrize(
        ("grades", "on_the_trend"),
        [([], False), ([Grade.EXCELLENT], True)],
        ids=["ungraded", "graded"],
    )
    def test_an_abandoned_interview_is_labelled_and_on_the_trend_only_with_grades(
        self,
        owner_client: Client,
        owner: User,
        four_questions: list[Question],
        clock: Any,
        grades: list[int],
        on_the_trend: bool,
    ) -> None:
        finished = start_interview(owner, four_questions[:1])
        answer_each(finished, [Grade.PARTIAL])
        forgotten = start_interview(owner, four_questions[1:], now=T0 + timedelta(minutes=1))
        answer_each(forgotten, grades, now=T0 + timedelta(minutes=1))
        clock.move_to(T0 + timedelta(hours=25), tick=False)

        rows = history_rows(owner_client)  # this page load abandons it

        assert [badge(row).words for row in rows] == ["Abandoned", "Finished"]
        assert "badge-warning" in badge(rows[0]).attrs["class"]
        assert score_cell(rows[0]) == ("100%" if grades else "—")
        expected = [(finished.pk, 33)] + ([(forgotten.pk, 100)] if on_the_trend else [])
        assert trend(owner) == expected

    def test_an_interview_ended_early_is_labelled_so(
        self, owner_client: Client, owner: User, four_questions: list[Question], clock: Any
    ) -> None:
        session = start_interview(owner, four_questions)
        answer_each(session, [Grade.MISSED])
        services.end_session(session=session, now=T0)

        (row,) = history_rows(owner_client)

        assert badge(row).words == "Ended early"
        assert score_cell(row) == "0%"  # a real zero: one item, graded Missed
        assert trend(owner) == [(session.pk, 0)]


class TestCategoryScores:
    @pytest.fixture
    def session(self, owner: User, clock: Any) -> InterviewSession:
        """Fundamentals: Excellent and Partial; Advanced Topics: shown, never graded."""
        basics = Category.objects.create(name="Fundamentals", slug="fundamentals", position=0)
        advanced = Category.objects.create(
            name="Advanced Topics (121-200)", slug="advanced-topics", position=1
        )
        questions = [
            make_question(1, category=basics),
            make_question(2, category=basics),
            make_question(121, category=advanced),
        ]
        session = start_interview(owner, questions)
        answer_each(session, [Grade.EXCELLENT, Grade.PARTIAL])
        services.end_session(session=session, now=T0)
        return session

    def test_the_summary_and_the_dashboard_agree(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        (table,) = find_all(summary(owner_client, session), "table", cls="breakdown-table")
        on_summary = table_rows(table, "Category", "Graded", "Unanswered", "Score")
        (dashboard_table,) = find_all(html(owner_client.get("/")), "table", cls="category-table")
        on_dashboard = table_rows(dashboard_table, "Category", "Graded", "Average")

        assert on_summary == [
            ["Fundamentals", "2", "0", "67%"],
            ["Advanced Topics", "0", "1", "—"],
        ]
        # The same figure, and no row for a category without a graded item.
        assert on_dashboard == [["Fundamentals", "2", "67%"]]

    def test_both_read_scoring_category_scores(
        self, owner: User, session: InterviewSession
    ) -> None:
        from sessions import scoring

        per_session = scoring.category_scores(session.items.all())
        averages = progress.category_averages(owner)

        assert [(s.name, s.percent) for s in per_session] == [
            ("Fundamentals", 67),
            ("Advanced Topics", None),
        ]
        assert averages == [score for score in per_session if score.graded]


class TestWeakQuestions:
    @pytest.fixture
    def partial_only(
        self, owner: User, four_questions: list[Question], clock: Any
    ) -> InterviewSession:
        session = start_interview(owner, four_questions[:3])
        answer_each(session, [Grade.PARTIAL, Grade.PARTIAL, Grade.PARTIAL])
        return session

    def test_a_session_of_only_partial_answers_offers_retry_of_exactly_those(
        self,
        owner_client: Client,
        partial_only: InterviewSession,
        four_questions: list[Question],
    ) -> None:
        assert services.weak_questions(partial_only) == four_questions[:3]
        assert retry_offered(summary(owner_client, partial_only), partial_only)

        response = owner_client.post(f"/interviews/{partial_only.pk}/retry/")

        retry = InterviewSession.objects.exclude(pk=partial_only.pk).get()
        assert response["Location"] == f"/interviews/{retry.pk}/"
        asked = list(retry.items.order_by("position").values_list("question_id", flat=True))
        assert asked == [question.pk for question in four_questions[:3]]

    def test_retired_weak_questions_are_not_offered_for_retry(
        self,
        owner_client: Client,
        partial_only: InterviewSession,
        four_questions: list[Question],
    ) -> None:
        Question.objects.filter(pk__in=[q.pk for q in four_questions[:3]]).update(is_active=False)

        assert services.weak_questions(partial_only) == []
        assert not retry_offered(summary(owner_client, partial_only), partial_only)
        response = owner_client.post(f"/interviews/{partial_only.pk}/retry/", follow=True)

        assert NOTHING_TO_RETRY in messages_shown(html(response))
        assert InterviewSession.objects.count() == 1

    def test_only_the_weak_questions_still_active_are_retried(
        self,
        owner_client: Client,
        owner: User,
        four_questions: list[Question],
        clock: Any,
    ) -> None:
        session = start_interview(owner, four_questions)
        answer_each(session, [Grade.MISSED, Grade.EXCELLENT, Grade.PARTIAL, Grade.SOLID])
        Question.objects.filter(pk=four_questions[0].pk).update(is_active=False)

        assert services.weak_questions(session) == [four_questions[2]]
        assert retry_offered(summary(owner_client, session), session)
        owner_client.post(f"/interviews/{session.pk}/retry/")

        retry = InterviewSession.objects.exclude(pk=session.pk).get()
        assert list(retry.items.values_list("question_id", flat=True)) == [four_questions[2].pk]

    def test_a_weak_follow_up_makes_its_question_weak(
        self, owner_client: Client, owner: User, four_questions: list[Question], clock: Any
    ) -> None:
        Scenario.objects.create(question=four_questions[0], label="1.1", prompt="?", answer="!")
        session = start_interview(owner, four_questions[:2], include_scenarios=True)
        answer_each(session, [Grade.EXCELLENT, Grade.MISSED, Grade.SOLID])

        assert services.weak_questions(session) == [four_questions[0]]
        assert retry_offered(summary(owner_client, session), session)

    def test_a_session_without_weak_grades_offers_no_retry(
        self, owner_client: Client, owner: User, four_questions: list[Question], clock: Any
    ) -> None:
        session = start_interview(owner, four_questions[:2])
        answer_each(session, [Grade.SOLID, Grade.EXCELLENT])

        assert services.weak_questions(session) == []
        assert not retry_offered(summary(owner_client, session), session)

    def test_the_dashboard_lists_a_partial_last_attempt_on_time_to_practise(
        self, owner_client: Client, owner: User, four_questions: list[Question], clock: Any
    ) -> None:
        session = start_interview(owner, four_questions[:3])
        answer_each(session, [Grade.PARTIAL, Grade.SOLID, Grade.EXCELLENT])
        assert not Item.objects.filter(timed_out=True).exists()

        listed = progress.questions_to_practise(owner)

        assert [(q.number, q.last_grade_label) for q in listed] == [(1, "Partial")]
        page = html(owner_client.get("/"))
        (weak_list,) = find_all(page, "ol", cls="weak-list")
        assert [li.find("a").attrs["href"] for li in weak_list.elements] == ["/questions/1/"]
        (form,) = find_all(page, "form", action="/interviews/practise/")
        assert [i.attrs["value"] for i in form.find_all("input", name="numbers")] == ["1"]

    def test_a_later_good_attempt_takes_a_question_off_the_list(
        self, owner: User, four_questions: list[Question], clock: Any
    ) -> None:
        first = start_interview(owner, four_questions[:1])
        answer_each(first, [Grade.PARTIAL])
        again = start_interview(owner, four_questions[:1], now=T0 + timedelta(hours=1))
        answer_each(again, [Grade.SOLID], now=T0 + timedelta(hours=1))

        assert progress.questions_to_practise(owner) == []
