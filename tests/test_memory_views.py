"""The memory model on the pages (issue 13): the practice run's "count toward my schedule", the
question's memory beside its attempts, the cards CSV and the reviews in the history CSV.

Expected figures come from the `fsrs` library for the same history; the clock stands still
(the `clock` fixture) and is moved, never waited for.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import fsrs
import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from pytest_django.fixtures import Settings

from questions.models import Category, Question, Scenario
from sessions import export, services
from sessions.models import Card, Grade, InterviewSession
from sessions.scoring import recall_percent
from tests.cast import (
    HTMX,
    T0,
    anonymous,
    answer,
    count_queries,
    make_question,
    start_interview,
)
from tests.dom import Node, parse

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
NEW_URL = "/interviews/new/"
CARDS_CSV_URL = "/history/cards.csv"
HISTORY_CSV_URL = "/history/export.csv"
# The login session, the user, the question, its cards, its follow-ups' labels, its attempts.
MEMORY_REGION_BUDGET = 6
SCHEDULER = fsrs.Scheduler(enable_fuzzing=False)  # the library's defaults, as the app schedules


@pytest.fixture(autouse=True)
def _utc_pages(settings: Settings) -> None:
    settings.TIME_ZONE = "UTC"  # the dates on the pages below are written in UTC


def library_card(*reviews: tuple[fsrs.Rating, Any]) -> fsrs.Card:
    card = fsrs.Card(card_id=1)
    for rating, reviewed_at in reviews:
        card, _ = SCHEDULER.review_card(card, rating, reviewed_at)
    return card


def start_form(mode: str, **extra: str) -> dict[str, Any]:
    return {
        "categories": [category.pk for category in Category.objects.all()],
        "question_count": "2",
        "seconds_per_item": "120",
        "mode": mode,
        **extra,
    }


def csv_rows(response: HttpResponse) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(text)))


def memory_region(client: Client, number: int) -> Node:
    response = client.get(f"/interviews/questions/{number}/attempts/", **HTMX)
    assert response.status_code == 200
    return parse(response.content).find("section", cls="memory")


def memory_rows(client: Client, number: int) -> list[list[str]]:
    rows = memory_region(client, number).find("tbody").elements
    return [[cell.words for cell in row.elements] for row in rows]


@pytest.fixture
def with_follow_up(db: None) -> Question:
    question = make_question(7)
    Scenario.objects.create(question=question, label="7.1", prompt="P", answer="A", position=0)
    return question


class TestCountTowardMySchedule:
    def test_the_form_offers_it_checked_for_practice_runs(
        self, owner_client: Client, questions: list[Question]
    ) -> None:
        page = parse(owner_client.get(NEW_URL).content)

        field = page.find("div", cls="practice-only")
        box = field.find("input", name="counts_toward_schedule")
        assert box.attrs["type"] == "checkbox" and "checked" in box.attrs
        assert field.find("label").words == "Count toward my schedule"

    def test_a_practice_run_can_be_left_out_of_the_schedule(
        self, owner_client: Client, owner: User, questions: list[Question], clock: Any
    ) -> None:
        owner_client.post(NEW_URL, start_form("practice"))  # the box unticked: not posted
        session = InterviewSession.objects.get()
        assert not session.counts_toward_schedule

        answer(session, Grade.SOLID)

        assert not Card.objects.exists()

    def test_a_ticked_practice_run_counts(
        self, owner_client: Client, owner: User, questions: list[Question], clock: Any
    ) -> None:
        owner_client.post(NEW_URL, start_form("practice", counts_toward_schedule="on"))
        session = InterviewSession.objects.get()

        answer(session, Grade.SOLID)

        assert session.counts_toward_schedule
        assert Card.objects.get().reviews == 1

    def test_a_timed_interview_always_counts(
        self, owner_client: Client, questions: list[Question]
    ) -> None:
        owner_client.post(NEW_URL, start_form("timed"))  # the box unticked, as it was hidden

        assert InterviewSession.objects.get().counts_toward_schedule

    def test_retrying_the_weak_questions_keeps_the_choice(
        self, owner_client: Client, owner: User, questions: list[Question], clock: Any
    ) -> None:
        practice = start_interview(
            owner,
            questions[:1],
            mode=InterviewSession.Mode.PRACTICE,
            counts_toward_schedule=False,
        )
        answer(practice, Grade.MISSED)

        owner_client.post(f"/interviews/{practice.pk}/retry/")

        retry = InterviewSession.objects.exclude(pk=practice.pk).get()
        assert not retry.counts_toward_schedule


class TestTheQuestionsMemory:
    def test_it_says_not_reviewed_yet_for_the_question_and_each_follow_up(
        self, owner_client: Client, with_follow_up: Question
    ) -> None:
        assert memory_rows(owner_client, 7) == [
            ["This question", "Not reviewed yet"],
            ["Follow-up 7.1", "Not reviewed yet"],
        ]

    def test_it_shows_the_cards_state_next_review_recall_today_and_reviews(
        self, owner_client: Client, owner: User, with_follow_up: Question, clock: Any
    ) -> None:
        for day, grade in [(0, Grade.SOLID), (1, Grade.EXCELLENT)]:
            answer(
                start_interview(owner, [with_follow_up], now=T0 + day * DAY),
                grade,
                now=T0 + day * DAY,
            )
        expected = library_card((fsrs.Rating.Good, T0), (fsrs.Rating.Easy, T0 + DAY))
        today = T0 + 9 * DAY
        clock.move_to(today, tick=False)

        rows = memory_rows(owner_client, 7)

        recall = recall_percent(SCHEDULER.get_card_retrievability(expected, today))
        assert 0 < recall < 100
        assert rows[0] == [
            "This question",
            "Review",
            f"{expected.due.day} {expected.due:%b %Y}",
            f"{recall}%",
            "2",
        ]
        assert rows[1] == ["Follow-up 7.1", "Not reviewed yet"]

    def test_it_never_shows_another_users_card(
        self, owner_client: Client, other_user: User, with_follow_up: Question
    ) -> None:
        session = start_interview(other_user, [with_follow_up], include_scenarios=True)
        answer(session, Grade.SOLID)
        answer(session, Grade.MISSED)

        assert [row[1] for row in memory_rows(owner_client, 7)] == ["Not reviewed yet"] * 2

    def test_a_retired_question_says_its_cards_are_never_due(
        self, owner_client: Client, owner: User, with_follow_up: Question
    ) -> None:
        answer(start_interview(owner, [with_follow_up]), Grade.SOLID)
        Question.objects.filter(pk=with_follow_up.pk).update(is_active=False)

        region = memory_region(owner_client, 7)

        assert "retired: it keeps your cards, but they are never due" in region.words
        assert region.find("tbody").elements[0].elements[1].words == "Learning"

    def test_the_question_page_loads_it_with_the_attempts(
        self, owner_client: Client, with_follow_up: Question
    ) -> None:
        page = parse(owner_client.get("/questions/7/").content)
        placeholder = page.find("section", cls="attempts")

        region = parse(owner_client.get(placeholder.attrs["hx-get"] or "", **HTMX).content)

        assert region.find("section", cls="memory").find("h2").words == "Your memory"
        assert region.find("section", cls="attempts")

    def test_it_runs_a_fixed_number_of_queries(
        self,
        owner_client: Client,
        owner: User,
        other_user: User,
        with_follow_up: Question,
        django_assert_max_num_queries: Any,
    ) -> None:
        unseen = count_queries(
            owner_client,
            "/interviews/questions/7/attempts/",
            django_assert_max_num_queries,
            MEMORY_REGION_BUDGET,
            **HTMX,
        )
        Scenario.objects.create(question=with_follow_up, label="7.2", prompt="P", answer="A")
        for user in (owner, other_user):
            for day in range(6):
                when = T0 + day * DAY
                session = start_interview(user, [with_follow_up], include_scenarios=True, now=when)
                for grade in (day % 4, 3 - day % 4, 2):
                    answer(session, grade, now=when)

        reviewed = count_queries(
            owner_client,
            "/interviews/questions/7/attempts/",
            django_assert_max_num_queries,
            unseen,
            **HTMX,
        )

        assert reviewed == unseen == MEMORY_REGION_BUDGET
        assert [row[-1] for row in memory_rows(owner_client, 7)] == ["6", "6", "6"]


class TestCardsCsv:
    def test_it_lists_the_users_cards_with_the_librarys_figures(
        self, owner_client: Client, owner: User, with_follow_up: Question, clock: Any
    ) -> None:
        other = make_question(3)
        session = start_interview(owner, [other, with_follow_up], include_scenarios=True)
        for grade in (Grade.EXCELLENT, Grade.SOLID, Grade.MISSED):
            answer(session, grade)
        now = T0 + 5 * DAY
        clock.move_to(now, tick=False)

        header, *rows = csv_rows(owner_client.get(CARDS_CSV_URL))

        assert header == export.CARDS_CSV_HEADER == [
            "question_number", "scenario", "state", "due", "stability", "difficulty",
            "retrievability", "reviews", "last_review",
        ]  # fmt: skip
        expected = [
            ("3", "", library_card((fsrs.Rating.Easy, T0))),
            ("7", "", library_card((fsrs.Rating.Good, T0))),
            ("7", "7.1", library_card((fsrs.Rating.Again, T0))),
        ]
        assert rows == [
            [
                number,
                label,
                card.state.name,
                card.due.isoformat(),
                str(card.stability),
                str(card.difficulty),
                str(round(SCHEDULER.get_card_retrievability(card, now), 4)),
                "1",
                T0.isoformat(),
            ]
            for number, label, card in expected
        ]

    def test_it_never_includes_another_users_cards(
        self, owner_client: Client, owner: User, other_user: User, questions: list[Question]
    ) -> None:
        answer(start_interview(owner, questions[:1]), Grade.SOLID)
        answer(start_interview(other_user, questions[1:]), Grade.SOLID)

        _, *rows = csv_rows(owner_client.get(CARDS_CSV_URL))

        assert [row[0] for row in rows] == ["1"]

    def test_it_defuses_a_label_a_spreadsheet_would_run_as_a_formula(
        self, owner_client: Client, owner: User
    ) -> None:
        question = make_question(1)
        Scenario.objects.create(question=question, label="=1+1", prompt="P", answer="A")
        session = start_interview(owner, [question], include_scenarios=True)
        answer(session, Grade.SOLID)
        answer(session, Grade.SOLID)

        _, _, follow_up = csv_rows(owner_client.get(CARDS_CSV_URL))

        assert follow_up[1] == "'=1+1"

    def test_it_is_a_download_for_the_signed_in_user_only(
        self, owner_client: Client, clock: Any
    ) -> None:
        response = owner_client.get(CARDS_CSV_URL)

        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            'attachment; filename="interview-cards-2025-03-01.csv"'
        )
        assert csv_rows(response) == [export.CARDS_CSV_HEADER]
        refused = anonymous().get(CARDS_CSV_URL)
        assert (refused.status_code, refused["Location"]) == (
            302,
            f"/accounts/login/?next={CARDS_CSV_URL}",
        )
        assert owner_client.post(CARDS_CSV_URL).status_code == 405


class TestTheHistoryCsvsReviews:
    def test_each_item_that_counted_has_its_rating_and_time_and_no_other_does(
        self, owner_client: Client, owner: User, questions: list[Question]
    ) -> None:
        timed = start_interview(owner, questions[:2])
        answer(timed, Grade.SOLID, now=T0)
        answer(timed, Grade.MISSED, now=T0 + timedelta(seconds=50))
        services.change_grade(
            session=timed, position=1, grade=Grade.PARTIAL, user=owner, now=T0 + DAY
        )
        left_out = start_interview(
            owner,
            questions[2:],
            mode=InterviewSession.Mode.PRACTICE,
            counts_toward_schedule=False,
            now=T0 + 2 * DAY,
        )
        answer(left_out, Grade.EXCELLENT, now=T0 + 2 * DAY)

        response = owner_client.get(HISTORY_CSV_URL)

        header, *rows = csv_rows(response)
        at = header.index("rating")
        assert header[at : at + 2] == ["rating", "reviewed_at"]
        assert [row[at : at + 2] for row in rows] == [
            ["Good", T0.isoformat()],
            ["Hard", (T0 + timedelta(seconds=50)).isoformat()],  # changed: as first given
            ["", ""],
        ]
