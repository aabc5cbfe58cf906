"""Today's plan (sessions.plan): what is due in the candidate's own day, and how many new
questions a day reach every question before the interview date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError

from questions.models import Question, Scenario
from sessions import plan
from sessions.models import Card, Grade, Preferences
from tests.cast import T0, answer, make_question, start_interview

pytestmark = pytest.mark.django_db

TODAY = T0.date()


def set_preferences(user: User, **fields: object) -> Preferences:
    preferences, _ = Preferences.objects.update_or_create(user=user, defaults=fields)
    return preferences


def graded(user: User, questions: list[Question], grade: int = Grade.SOLID) -> None:
    session = start_interview(user, questions, now=T0)
    for _ in questions:
        answer(session, grade, now=T0)


def due_at(user: User, question: Question, moment: datetime) -> None:
    Card.objects.filter(user=user, question=question).update(due=moment)


class TestPreferences:
    def test_before_saving_any_the_defaults_apply(self, owner: User) -> None:
        preferences = plan.preferences_for(owner)
        assert preferences.pk is None
        assert (preferences.time_zone, preferences.interview_date, preferences.new_per_day) == (
            "UTC",
            None,
            10,
        )

    def test_saved_ones_are_read_back(self, owner: User) -> None:
        set_preferences(owner, new_per_day=4, time_zone="Asia/Tokyo")
        owner = User.objects.get(pk=owner.pk)
        assert (plan.preferences_for(owner).new_per_day, owner.preferences.time_zone) == (
            4,
            "Asia/Tokyo",
        )

    def test_the_database_refuses_more_new_questions_a_day_than_the_limit(
        self, owner: User
    ) -> None:
        with pytest.raises(IntegrityError):
            Preferences.objects.create(user=owner, new_per_day=51)


class TestLocalDay:
    @pytest.mark.parametrize(
        ("time_zone", "expected"),
        [
            ("UTC", date(2025, 3, 1)),
            ("Australia/Sydney", date(2025, 3, 2)),
            ("America/Los_Angeles", date(2025, 3, 1)),
        ],
    )
    def test_today_is_the_candidates_own_day(
        self, owner: User, time_zone: str, expected: date
    ) -> None:
        late_evening_utc = datetime(2025, 3, 1, 22, 30, tzinfo=UTC)
        assert plan.local_today(Preferences(time_zone=time_zone), late_evening_utc) == expected

    def test_a_day_begins_at_local_midnight(self) -> None:
        begins = plan.start_of_day(Preferences(time_zone="Asia/Tokyo"), date(2025, 3, 2))
        assert begins == datetime(2025, 3, 1, 15, 0, tzinfo=UTC)


class TestDue:
    def test_due_now_today_and_overdue_are_counted_in_the_local_day(self, owner: User) -> None:
        questions = [make_question(n) for n in range(1, 6)]
        graded(owner, questions)
        set_preferences(owner, time_zone="Asia/Tokyo")  # 9:00 UTC is 18:00 there
        now = T0
        due_at(owner, questions[0], now - timedelta(days=2))  # overdue
        due_at(owner, questions[1], now - timedelta(hours=1))  # due now, since 17:00 today
        due_at(owner, questions[2], now + timedelta(hours=5))  # 23:00 local: later today
        due_at(owner, questions[3], now + timedelta(hours=7))  # 01:00 local tomorrow
        due_at(owner, questions[4], now + timedelta(days=9))
        today = plan.daily_plan(owner, now)
        assert (today.due_now, today.due_today, today.overdue) == (2, 3, 1)

    def test_a_retired_questions_card_is_never_due(self, owner: User) -> None:
        questions = [make_question(1), make_question(2)]
        graded(owner, questions)
        due_at(owner, questions[0], T0 - timedelta(days=1))
        due_at(owner, questions[1], T0 - timedelta(days=1))
        Question.objects.filter(pk=questions[0].pk).update(is_active=False)
        assert plan.daily_plan(owner, T0).due_now == 1

    def test_another_users_cards_are_not_mine(self, owner: User, other_user: User) -> None:
        question = make_question(1)
        graded(other_user, [question])
        due_at(other_user, question, T0 - timedelta(days=1))
        today = plan.daily_plan(owner, T0)
        assert (today.due_now, today.unseen) == (0, 1)


class TestNewQuestions:
    def test_unseen_means_active_and_without_a_card(self, owner: User) -> None:
        questions = [make_question(n) for n in range(1, 6)]
        graded(owner, questions[:2], grade=Grade.MISSED)
        Question.objects.filter(pk=questions[4].pk).update(is_active=False)
        assert plan.daily_plan(owner, T0).unseen == 2

    def test_only_my_own_card_of_the_question_makes_it_seen(
        self, owner: User, other_user: User
    ) -> None:
        # My card of its follow-up and someone else's card of the question itself, together,
        # are not my card of the question.
        question = make_question(1)
        scenario = Scenario.objects.create(question=question, label="1.1", prompt="P", answer="A")
        Card.objects.create(user=owner, question=question, scenario=scenario, state=1, due=T0)
        Card.objects.create(user=other_user, question=question, state=1, due=T0)
        assert plan.daily_plan(owner, T0).unseen == 1

    def test_without_a_date_a_day_adds_up_to_the_limit(self, owner: User) -> None:
        for n in range(1, 16):
            make_question(n)
        today = plan.daily_plan(owner, T0)
        assert (today.unseen, today.new_today, today.days_left, today.too_close) == (
            15,
            10,
            None,
            False,
        )
        set_preferences(owner, new_per_day=20)
        assert plan.daily_plan(owner, T0).new_today == 15

    @pytest.mark.parametrize(
        ("unseen", "days_left", "expected"),
        [
            (200, 20, 10),
            (200, 30, 7),
            (7, 1, 7),
            (7, 0, 7),
            (0, 5, 0),
            (200, -1, None),
            (200, None, None),
        ],
    )
    def test_needed_per_day_spreads_the_unseen_evenly(
        self, unseen: int, days_left: int | None, expected: int | None
    ) -> None:
        assert plan.needed_per_day(unseen, days_left) == expected

    def test_a_far_date_spreads_the_questions_over_the_days_left(self, owner: User) -> None:
        for n in range(1, 31):
            make_question(n)
        set_preferences(owner, interview_date=TODAY + timedelta(days=7))
        today = plan.daily_plan(owner, T0)
        assert (today.days_left, today.needed_per_day, today.new_today, today.too_close) == (
            7,
            5,  # 30 questions over 7 days, rounded up
            5,
            False,
        )

    def test_a_near_date_is_capped_by_the_limit_and_says_so(self, owner: User) -> None:
        for n in range(1, 31):
            make_question(n)
        set_preferences(owner, interview_date=TODAY + timedelta(days=2), new_per_day=10)
        today = plan.daily_plan(owner, T0)
        assert (today.needed_per_day, today.new_today, today.too_close) == (15, 10, True)

    def test_a_past_date_plans_as_if_there_were_none(self, owner: User) -> None:
        for n in range(1, 31):
            make_question(n)
        set_preferences(owner, interview_date=TODAY - timedelta(days=1), new_per_day=8)
        today = plan.daily_plan(owner, T0)
        assert (today.days_left, today.needed_per_day, today.new_today, today.too_close) == (
            -1,
            None,
            8,
            False,
        )

    def test_it_takes_three_queries_whatever_the_cards(
        self, owner: User, django_assert_num_queries: object
    ) -> None:
        questions = [make_question(n) for n in range(1, 21)]
        graded(owner, questions)
        owner = User.objects.get(pk=owner.pk)
        with django_assert_num_queries(3):  # type: ignore[operator]
            plan.daily_plan(owner, T0)
