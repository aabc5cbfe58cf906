"""The interview workflow in sessions/services.py: drawing, starting, the clock, grading, ending.

Time is passed in as `now` (fixed instants), never slept through.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User

from questions.bank import ParsedBank
from questions.models import Category, Question, Scenario
from sessions import services
from sessions.models import Grade, InterviewSession, Item
from tests.cast import (
    LIMIT,
    T0,
    answer,
    at,
    make_other_user,
    make_question,
    start_interview,
)

pytestmark = pytest.mark.django_db

GRACE = timedelta(seconds=3)  # settings.INTERVIEW_GRACE_SECONDS
# Session + categories + scenarios + items + their key points (read, then copied) + the rows of
# the dashboard's tallies (questions, categories), inside one transaction (savepoint in tests).
START_BUDGET = 11


# The cast and the props.
def make_category(name: str, position: int = 0) -> Category:
    return Category.objects.create(
        name=name, slug=name.lower().replace(" ", "-"), position=position
    )


def make_scenario(question: Question, label: str, **fields: object) -> Scenario:
    defaults = {"prompt": f"Scenario {label}?", "answer": f"Scenario answer {label}."}
    defaults.update(fields)
    return Scenario.objects.create(question=question, label=label, **defaults)


def make_history(user: User, grades: Sequence[tuple[Question, int]], *, now: datetime) -> None:
    """A finished past interview in which `user` graded each question as given."""
    session = start_interview(user, [q for q, _ in grades], now=now)
    for offset, (_, grade) in enumerate(grades):
        answer(session, grade, now=now + timedelta(seconds=offset))
    session.refresh_from_db()
    assert session.status == InterviewSession.Status.FINISHED


def item_at(session: InterviewSession, position: int) -> Item:
    return session.items.get(position=position)


def state(session: InterviewSession) -> tuple[object, ...]:
    """Everything a refused action must leave untouched."""
    session.refresh_from_db()
    return (
        session.status,
        session.current_position,
        session.finished_at,
        list(session.items.order_by("position").values_list()),
    )


class TestDrawQuestions:
    def test_it_never_draws_the_same_question_twice(self, bank: ParsedBank, owner: User) -> None:
        categories = Category.objects.all()
        for _ in range(5):
            drawn = services.draw_questions(user=owner, categories=categories, count=30, now=T0)
            assert len(drawn) == 30
            assert len({question.pk for question in drawn}) == 30

    def test_it_draws_only_from_the_chosen_categories(self, bank: ParsedBank, owner: User) -> None:
        chosen = list(Category.objects.order_by("position")[1:3])
        drawn = services.draw_questions(user=owner, categories=chosen, count=20, now=T0)
        in_chosen = Question.objects.filter(category__in=chosen)
        assert in_chosen.count() == 20
        assert {q.pk for q in drawn} == set(in_chosen.values_list("pk", flat=True))

        drawn = services.draw_questions(user=owner, categories=chosen[:1], count=5, now=T0)
        assert {q.category_id for q in drawn} == {chosen[0].pk}

    def test_it_draws_only_active_questions(self, owner: User) -> None:
        questions = [make_question(number) for number in range(1, 7)]
        Question.objects.filter(number__in=[2, 4, 5]).update(is_active=False)

        drawn = services.draw_questions(
            user=owner, categories=Category.objects.all(), count=len(questions), now=T0
        )

        assert sorted(q.number for q in drawn) == [1, 3, 6]

    def test_it_prefers_questions_the_user_has_never_seen(self, owner: User) -> None:
        questions = [make_question(number) for number in range(1, 7)]
        seen, unseen = questions[:3], questions[3:]
        # The worst grades on the seen ones must still not outrank "never seen".
        make_history(owner, [(q, Grade.MISSED) for q in seen], now=T0 - timedelta(days=2))
        # Another user's history is not the owner's.
        make_history(make_other_user(), [(q, Grade.EXCELLENT) for q in unseen], now=T0)

        for _ in range(5):
            drawn = services.draw_questions(
                user=owner, categories=Category.objects.all(), count=3, now=T0
            )
            assert {q.pk for q in drawn} == {q.pk for q in unseen}

    def test_a_question_shown_but_not_graded_counts_as_seen(self, owner: User) -> None:
        skipped, unseen = make_question(1), make_question(2)
        past = start_interview(owner, [skipped], now=T0 - timedelta(days=1), include_scenarios=True)
        services.show_current_item(session=past, now=T0 - timedelta(days=1))
        services.end_session(session=past, now=T0 - timedelta(days=1))

        for _ in range(10):
            drawn = services.draw_questions(
                user=owner, categories=Category.objects.all(), count=1, now=T0
            )
            assert drawn == [unseen]

    def test_a_question_never_reached_still_counts_as_unseen(self, owner: User) -> None:
        reached, never_reached, graded = make_question(1), make_question(2), make_question(3)
        make_history(owner, [(graded, Grade.MISSED)], now=T0 - timedelta(days=2))
        past = start_interview(
            owner, [reached, never_reached], now=T0 - timedelta(days=1), include_scenarios=True
        )
        services.show_current_item(session=past, now=T0 - timedelta(days=1))
        services.end_session(session=past, now=T0 - timedelta(days=1))  # before the second one

        for _ in range(10):
            drawn = services.draw_questions(
                user=owner, categories=Category.objects.all(), count=1, now=T0
            )
            assert drawn == [never_reached]

    def test_it_prefers_the_lowest_last_grade_among_seen_questions(self, owner: User) -> None:
        q1, q2, q3, q4, q5 = (make_question(number) for number in range(1, 6))
        # q1 was missed once, but the latest grade is what counts.
        make_history(owner, [(q1, Grade.MISSED)], now=T0 - timedelta(days=3))
        make_history(
            owner,
            [(q1, Grade.EXCELLENT), (q2, Grade.SOLID), (q3, Grade.MISSED), (q4, Grade.PARTIAL)],
            now=T0 - timedelta(days=1),
        )
        make_history(owner, [(q5, Grade.EXCELLENT)], now=T0 - timedelta(days=2))
        categories = Category.objects.all()

        drawn = services.draw_questions(user=owner, categories=categories, count=3, now=T0)
        assert [q.number for q in drawn] == [3, 4, 2]

        drawn = services.draw_questions(user=owner, categories=categories, count=5, now=T0)
        assert [q.number for q in drawn][:3] == [3, 4, 2]
        assert {q.number for q in drawn[3:]} == {1, 5}

    def test_the_session_keeps_the_order_it_drew(self, bank: ParsedBank, owner: User) -> None:
        drawn = services.draw_questions(
            user=owner, categories=Category.objects.all(), count=12, now=T0
        )
        session = start_interview(owner, drawn)

        asked = list(
            Item.objects.filter(session=session).order_by("position").values_list("question_id")
        )
        assert [pk for (pk,) in asked] == [q.pk for q in drawn]
        # Drawing again does not reorder a started session.
        services.draw_questions(user=owner, categories=Category.objects.all(), count=12, now=T0)
        again = list(session.items.order_by("position").values_list("question_id", flat=True))
        assert again == [q.pk for q in drawn]


class TestStartSession:
    def test_it_puts_each_scenario_right_after_its_question(
        self, bank: ParsedBank, owner: User
    ) -> None:
        picked = [Question.objects.get(number=n) for n in (2, 14, 1)]

        session = start_interview(owner, picked, include_scenarios=True)

        items = list(session.items.order_by("position"))
        assert [(i.position, i.kind, i.label) for i in items] == [
            (0, Item.Kind.QUESTION, "Bank question 2"),
            (1, Item.Kind.SCENARIO, "Follow-up scenario 2.1"),
            (2, Item.Kind.QUESTION, "Bank question 14"),
            (3, Item.Kind.QUESTION, "Bank question 1"),
            (4, Item.Kind.SCENARIO, "Follow-up scenario 1.1"),
        ]
        scenario = Scenario.objects.get(label="1.1")
        assert items[4].question_id == picked[2].pk
        assert items[4].scenario_id == scenario.pk
        assert items[4].category_id == picked[2].category_id
        assert (items[4].prompt, items[4].answer) == (scenario.prompt, scenario.answer)
        assert (items[3].prompt, items[3].answer) == (picked[2].title, picked[2].answer)
        assert session.current_position == 0
        assert session.status == InterviewSession.Status.IN_PROGRESS
        assert session.started_at == T0
        assert all(i.time_limit_seconds == LIMIT for i in items)
        # The first question's clock starts with the interview; the others' when reached.
        assert (items[0].shown_at, items[0].deadline_at) == (T0, at(LIMIT))
        assert all(i.shown_at is None and i.deadline_at is None for i in items[1:])

    def test_it_asks_no_scenarios_when_follow_ups_are_off(
        self, bank: ParsedBank, owner: User
    ) -> None:
        picked = [Question.objects.get(number=n) for n in (1, 2, 3)]

        session = start_interview(owner, picked)

        items = session.items.order_by("position")
        assert [i.label for i in items] == ["Bank question 1", "Bank question 2", "Bank question 3"]
        assert not session.items.filter(kind=Item.Kind.SCENARIO).exists()

    def test_it_records_the_categories_asked(self, owner: User) -> None:
        other = make_category("Ethics", position=1)
        q1, q2 = make_question(1), make_question(2, category=other)

        session = start_interview(owner, [q1, q2], include_scenarios=True)

        assert set(session.categories.all()) == {q1.category, other}

    def test_practice_mode_has_no_time_limit(
        self, owner: User, four_questions: list[Question]
    ) -> None:
        session = start_interview(
            owner, four_questions, mode=InterviewSession.Mode.PRACTICE, include_scenarios=True
        )
        assert not session.is_timed

        item = services.show_current_item(session=session, now=T0)
        assert item.time_limit_seconds is None
        assert item.deadline_at is None
        revealed = services.reveal_item(
            session=session, position=0, notes="", now=at(3 * 3600), browser_timed_out=True
        )
        assert revealed.timed_out is False
        assert revealed.time_taken == timedelta(hours=3)

    def test_it_snapshots_what_it_shows(self, bank: ParsedBank, owner: User) -> None:
        question = Question.objects.get(number=1)
        scenario = question.scenarios.get()
        original = (question.title, question.answer, scenario.prompt, scenario.answer)
        session = start_interview(owner, [question], include_scenarios=True)

        question.title, question.answer = "Edited title?", "Edited answer."
        question.save()
        scenario.prompt, scenario.answer = "Edited scenario?", "Edited scenario answer."
        scenario.save()

        first, follow_up = session.items.order_by("position")
        assert (first.prompt, first.answer, follow_up.prompt, follow_up.answer) == original
        # And the snapshot is what a reveal shows.
        services.show_current_item(session=session, now=T0)
        revealed = services.reveal_item(session=session, position=0, notes="", now=at(5))
        assert (revealed.prompt, revealed.answer) == original[:2]

    def test_it_refuses_to_start_without_questions(self, owner: User) -> None:
        with pytest.raises(services.InterviewError):
            start_interview(owner, [], include_scenarios=True)
        assert not InterviewSession.objects.exists()

    def test_it_runs_a_fixed_number_of_queries(
        self, bank: ParsedBank, owner: User, django_assert_max_num_queries
    ) -> None:
        def start(numbers: Sequence[int]) -> int:
            picked = list(Question.objects.filter(number__in=numbers).order_by("number"))
            with django_assert_max_num_queries(START_BUDGET) as captured:
                session = start_interview(owner, picked, include_scenarios=True)
            follow_ups = Scenario.objects.filter(question__in=picked).count()
            assert session.items.count() == len(picked) + follow_ups
            return len(captured)

        few = start([1, 2, 3])
        many = start(range(1, 21))  # 13 of these have a scenario: 33 items
        most = start(range(101, 131))  # the largest session the form allows
        assert few == many == most


class TestClock:
    @pytest.fixture
    def session(self, owner: User, four_questions: list[Question]) -> InterviewSession:
        return start_interview(owner, four_questions, include_scenarios=True)

    def test_the_first_clock_starts_with_the_interview(
        self, owner: User, four_questions: list[Question]
    ) -> None:
        session = start_interview(owner, four_questions, now=at(10))
        first = item_at(session, 0)
        assert (first.shown_at, first.deadline_at) == (at(10), at(10 + LIMIT))

        # Its page loaded later does not restart it; a reveal posted without loading it keeps
        # the deadline (and times out past it).
        services.show_current_item(session=session, now=at(30))
        late = services.reveal_item(session=session, position=0, notes="", now=at(10 + LIMIT + 4))
        assert (late.shown_at, late.timed_out) == (at(10), True)
        assert item_at(session, 1).shown_at is None  # only the current item's clock runs

    def test_a_second_show_never_restarts_the_clock(self, session: InterviewSession) -> None:
        services.show_current_item(session=session, now=T0)

        again = services.show_current_item(session=session, now=at(45))

        assert (again.shown_at, again.deadline_at) == (T0, at(LIMIT))
        stored = item_at(session, 0)
        assert (stored.shown_at, stored.deadline_at) == (T0, at(LIMIT))

    def test_a_reveal_before_the_deadline_is_in_time(self, session: InterviewSession) -> None:
        services.show_current_item(session=session, now=T0)

        item = services.reveal_item(session=session, position=0, notes="n", now=at(LIMIT - 1))

        assert item.timed_out is False

    def test_a_reveal_within_the_grace_period_is_in_time(self, session: InterviewSession) -> None:
        services.show_current_item(session=session, now=T0)
        late_but_forgiven = at(LIMIT) + GRACE - timedelta(seconds=1)

        item = services.reveal_item(session=session, position=0, notes="", now=late_but_forgiven)

        assert item.timed_out is False
        assert item_at(session, 0).timed_out is False

    def test_a_reveal_after_the_grace_period_is_timed_out_whatever_the_browser_says(
        self, session: InterviewSession
    ) -> None:
        services.show_current_item(session=session, now=T0)
        too_late = at(LIMIT) + GRACE + timedelta(seconds=1)

        item = services.reveal_item(
            session=session, position=0, notes="", now=too_late, browser_timed_out=False
        )

        assert item.timed_out is True
        assert item_at(session, 0).timed_out is True

    def test_the_browsers_timeout_counts_near_the_deadline(self, session: InterviewSession) -> None:
        services.show_current_item(session=session, now=T0)

        item = services.reveal_item(
            session=session, position=0, notes="", now=at(LIMIT - 1), browser_timed_out=True
        )

        assert item.timed_out is True

    def test_the_browser_cannot_claim_a_timeout_long_before_the_deadline(
        self, session: InterviewSession
    ) -> None:
        services.show_current_item(session=session, now=T0)

        item = services.reveal_item(
            session=session, position=0, notes="", now=at(5), browser_timed_out=True
        )

        assert item.timed_out is False

    def test_it_follows_the_grace_setting(self, session: InterviewSession, settings) -> None:
        settings.INTERVIEW_GRACE_SECONDS = 0
        services.show_current_item(session=session, now=T0)

        item = services.reveal_item(session=session, position=0, notes="", now=at(LIMIT + 1))

        assert item.timed_out is True

    def test_it_stores_exact_uncapped_times(self, session: InterviewSession) -> None:
        services.show_current_item(session=session, now=T0)
        revealed_at = T0 + timedelta(hours=2, seconds=7, microseconds=250_000)
        graded_at = revealed_at + timedelta(seconds=30)

        services.reveal_item(session=session, position=0, notes="", now=revealed_at)
        services.grade_item(session=session, position=0, grade=Grade.SOLID, now=graded_at)

        item = item_at(session, 0)
        assert (item.shown_at, item.revealed_at, item.graded_at) == (T0, revealed_at, graded_at)
        assert item.time_taken == timedelta(hours=2, seconds=7, microseconds=250_000)
        assert item.timed_out is True
        # The next item's clock starts when the grade moves the interview on to it.
        following = item_at(session, 1)
        assert (following.shown_at, following.deadline_at) == (
            graded_at,
            graded_at + timedelta(seconds=LIMIT),
        )


class TestNotesAndReveal:
    @pytest.fixture
    def session(self, owner: User, four_questions: list[Question]) -> InterviewSession:
        session = start_interview(owner, four_questions, include_scenarios=True)
        services.show_current_item(session=session, now=T0)
        return session

    def test_it_saves_a_draft_of_the_notes(self, session: InterviewSession) -> None:
        services.save_notes(session=session, position=0, notes="Draft: attention is")

        assert item_at(session, 0).notes == "Draft: attention is"
        assert item_at(session, 0).revealed_at is None

    def test_it_refuses_notes_over_ten_thousand_characters(self, session: InterviewSession) -> None:
        services.save_notes(session=session, position=0, notes="x" * 10_000)
        before = state(session)

        with pytest.raises(services.InterviewError, match="10,000"):
            services.save_notes(session=session, position=0, notes="y" * 10_001)
        with pytest.raises(services.InterviewError, match="10,000"):
            services.reveal_item(session=session, position=0, notes="y" * 10_001, now=at(1))

        assert state(session) == before

    def test_a_draft_cannot_overwrite_revealed_notes(self, session: InterviewSession) -> None:
        services.reveal_item(session=session, position=0, notes="final", now=at(5))

        services.save_notes(session=session, position=0, notes="late autosave")

        assert item_at(session, 0).notes == "final"

    def test_a_second_reveal_keeps_the_first(self, session: InterviewSession) -> None:
        services.reveal_item(session=session, position=0, notes="first", now=at(5))

        again = services.reveal_item(
            session=session, position=0, notes="second", now=at(500), browser_timed_out=True
        )

        assert (again.notes, again.revealed_at, again.timed_out) == ("first", at(5), False)
        stored = item_at(session, 0)
        assert (stored.notes, stored.revealed_at, stored.timed_out) == ("first", at(5), False)

    def test_it_refuses_to_reveal_an_item_that_is_not_current(
        self, session: InterviewSession
    ) -> None:
        before = state(session)

        with pytest.raises(services.NotCurrentItem):
            services.reveal_item(session=session, position=1, notes="ahead", now=at(5))
        with pytest.raises(services.NotCurrentItem):
            services.save_notes(session=session, position=2, notes="ahead")

        assert state(session) == before


class TestGrade:
    @pytest.fixture
    def session(self, owner: User, four_questions: list[Question]) -> InterviewSession:
        session = start_interview(owner, four_questions[:3], include_scenarios=True)
        services.show_current_item(session=session, now=T0)
        return session

    def test_it_requires_a_reveal_first(self, session: InterviewSession) -> None:
        before = state(session)

        with pytest.raises(services.InterviewError, match="Reveal"):
            services.grade_item(session=session, position=0, grade=Grade.SOLID, now=at(5))

        assert state(session) == before

    @pytest.mark.parametrize("grade", [-1, 4, 7])
    def test_it_refuses_a_grade_outside_zero_to_three(
        self, session: InterviewSession, grade: int
    ) -> None:
        services.reveal_item(session=session, position=0, notes="", now=at(5))
        before = state(session)

        with pytest.raises(services.InterviewError, match="one of the four grades"):
            services.grade_item(session=session, position=0, grade=grade, now=at(6))

        assert state(session) == before

    def test_grading_moves_on_to_the_next_item(self, session: InterviewSession) -> None:
        services.reveal_item(session=session, position=0, notes="", now=at(5))

        graded = services.grade_item(session=session, position=0, grade=Grade.PARTIAL, now=at(9))

        assert (graded.grade, graded.graded_at) == (Grade.PARTIAL, at(9))
        assert session.current_position == 1  # the caller's object is refreshed
        session.refresh_from_db()
        assert session.current_position == 1
        assert session.status == InterviewSession.Status.IN_PROGRESS
        assert session.finished_at is None
        assert item_at(session, 0).grade == Grade.PARTIAL
        assert services.current_item(session).position == 1

    def test_the_last_grade_finishes_the_session(self, session: InterviewSession) -> None:
        answer(session, Grade.SOLID, now=at(10))
        answer(session, Grade.EXCELLENT, now=at(20))

        answer(session, Grade.MISSED, now=at(30))

        session.refresh_from_db()
        assert session.status == InterviewSession.Status.FINISHED
        assert session.finished_at == at(30)
        assert session.current_position == 3
        assert services.current_item(session) is None
        assert list(session.items.order_by("position").values_list("grade", flat=True)) == [2, 3, 0]
        assert not session.items.filter(skipped=True).exists()

    def test_grading_a_stale_position_changes_nothing(self, session: InterviewSession) -> None:
        answer(session, Grade.SOLID, now=at(10))
        services.reveal_item(session=session, position=1, notes="", now=at(15))
        before = state(session)

        with pytest.raises(services.NotCurrentItem):
            services.grade_item(session=session, position=0, grade=Grade.MISSED, now=at(20))
        with pytest.raises(services.NotCurrentItem):
            services.grade_item(session=session, position=2, grade=Grade.MISSED, now=at(20))

        assert state(session) == before

    def test_a_double_grade_records_one_grade(self, session: InterviewSession) -> None:
        services.reveal_item(session=session, position=0, notes="", now=at(5))
        services.grade_item(session=session, position=0, grade=Grade.SOLID, now=at(6))

        with pytest.raises(services.NotCurrentItem):
            services.grade_item(session=session, position=0, grade=Grade.SOLID, now=at(6))

        session.refresh_from_db()
        assert session.current_position == 1
        assert list(session.items.order_by("position").values_list("grade", flat=True)) == [
            Grade.SOLID,
            None,
            None,
        ]

    def test_a_stale_session_object_cannot_skip_an_item(self, session: InterviewSession) -> None:
        # Two tabs: each holds the session as it was loaded.
        other_tab = InterviewSession.objects.get(pk=session.pk)
        services.reveal_item(session=session, position=0, notes="", now=at(5))
        services.grade_item(session=session, position=0, grade=Grade.SOLID, now=at(6))

        with pytest.raises(services.NotCurrentItem):
            services.grade_item(session=other_tab, position=0, grade=Grade.MISSED, now=at(7))

        session.refresh_from_db()
        assert session.current_position == 1
        assert item_at(session, 0).grade == Grade.SOLID


class TestCompareAndSet:
    """Each UPDATE's WHERE clause refuses on its own, as it must where rows cannot be locked.

    The row lock normally refreshes the session first; here the request's view is stale (as on
    a database without row locks, read before the other request committed), so only the WHERE
    clause stands between the request and a second grade, a double advance or a second reveal.
    """

    @pytest.fixture
    def without_row_lock(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def check_only(session: InterviewSession) -> None:
            if not session.is_open:
                raise services.SessionClosed(services.SESSION_CLOSED_MESSAGE)

        monkeypatch.setattr(services, "_lock_open_session", check_only)

    @pytest.fixture
    def revealed(self, owner: User, four_questions: list[Question]) -> InterviewSession:
        session = start_interview(owner, four_questions)
        services.show_current_item(session=session, now=at(0))
        services.reveal_item(session=session, position=0, notes="", now=at(5))
        return session

    def test_an_item_graded_meanwhile_is_not_graded_again(self, revealed: InterviewSession) -> None:
        # The session still points at the item (its advance not seen): only `grade IS NULL`
        # refuses. Even with the row lock in place, nothing else checks the grade.
        Item.objects.filter(session=revealed, position=0).update(grade=Grade.SOLID, graded_at=at(6))
        before = state(revealed)

        with pytest.raises(services.NotCurrentItem):
            services.grade_item(session=revealed, position=0, grade=Grade.MISSED, now=at(7))

        assert state(revealed) == before

    @pytest.mark.usefixtures("without_row_lock")
    def test_a_stale_position_does_not_advance_twice(self, revealed: InterviewSession) -> None:
        stale = InterviewSession.objects.get(pk=revealed.pk)
        # Another request moved the interview on (its grade of item 0 is not needed here: only
        # `current_position = 0` refuses).
        InterviewSession.objects.filter(pk=revealed.pk).update(current_position=1)
        before = state(revealed)

        with pytest.raises(services.NotCurrentItem):
            services.grade_item(session=stale, position=0, grade=Grade.MISSED, now=at(7))

        assert state(revealed) == before

    @pytest.mark.usefixtures("without_row_lock")
    def test_a_stale_open_session_ended_meanwhile_is_not_graded(
        self, revealed: InterviewSession
    ) -> None:
        stale = InterviewSession.objects.get(pk=revealed.pk)
        services.end_session(session=revealed, now=at(6))  # another tab ended it
        before = state(revealed)

        with pytest.raises(services.NotCurrentItem):
            services.grade_item(session=stale, position=0, grade=Grade.MISSED, now=at(7))

        assert state(revealed) == before
        assert revealed.status == InterviewSession.Status.ENDED_EARLY

    def test_an_item_revealed_meanwhile_is_not_revealed_again(
        self, owner: User, four_questions: list[Question], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        session = start_interview(owner, four_questions)
        services.show_current_item(session=session, now=at(0))
        stale_item = item_at(session, 0)  # read before the other request's reveal
        services.reveal_item(session=session, position=0, notes="first tab", now=at(5))
        before = state(session)
        monkeypatch.setattr(services, "_current_item_at", lambda session, position: stale_item)

        with pytest.raises(services.NotCurrentItem, match="already revealed"):
            services.reveal_item(
                session=session, position=0, notes="second tab", now=at(LIMIT + 30)
            )

        assert state(session) == before

    def test_a_clock_started_meanwhile_is_not_restarted(
        self, owner: User, four_questions: list[Question], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        session = start_interview(owner, four_questions)
        stale_item = item_at(session, 0)  # read before the other request showed it
        services.show_current_item(session=session, now=at(0))
        monkeypatch.setattr(services, "current_item", lambda session: stale_item)

        item = services.show_current_item(session=session, now=at(20))

        assert (item.shown_at, item.deadline_at) == (at(0), at(LIMIT))
        stored = item_at(session, 0)
        assert (stored.shown_at, stored.deadline_at) == (at(0), at(LIMIT))


class TestEndSession:
    @pytest.fixture
    def session(self, owner: User, four_questions: list[Question]) -> InterviewSession:
        session = start_interview(owner, four_questions, include_scenarios=True)
        answer(session, Grade.SOLID, now=at(10))
        services.reveal_item(session=session, position=1, notes="halfway", now=at(20))
        return session

    def test_it_marks_ungraded_items_skipped(self, session: InterviewSession) -> None:
        ended = services.end_session(session=session, now=at(30))

        assert ended.status == InterviewSession.Status.ENDED_EARLY
        assert ended.finished_at == at(30)
        items = list(session.items.order_by("position"))
        assert [(i.grade, i.skipped) for i in items] == [
            (Grade.SOLID, False),
            (None, True),
            (None, True),
            (None, True),
        ]
        # Shown but never graded reads "Unanswered"; never reached, "Not asked".
        assert [i.shown_at is not None for i in items] == [True, True, False, False]
        assert [i.grade_label for i in items] == ["Solid", "Unanswered", "Not asked", "Not asked"]
        assert items[1].notes == "halfway"

    def test_ending_twice_is_harmless(self, session: InterviewSession) -> None:
        services.end_session(session=session, now=at(30))
        before = state(session)

        again = services.end_session(session=session, now=at(90))

        assert again.finished_at == at(30)
        assert state(session) == before

    def test_it_does_not_reopen_or_relabel_a_finished_session(self, owner: User) -> None:
        session = start_interview(owner, [make_question(9)])
        answer(session, Grade.EXCELLENT, now=at(5))
        before = state(session)

        services.end_session(session=session, now=at(60))

        assert state(session) == before
        assert session.status == InterviewSession.Status.FINISHED

    def test_every_action_after_the_end_raises_session_closed(
        self, session: InterviewSession
    ) -> None:
        services.end_session(session=session, now=at(30))
        before = state(session)

        with pytest.raises(services.SessionClosed):
            services.save_notes(session=session, position=1, notes="more")
        with pytest.raises(services.SessionClosed):
            services.reveal_item(session=session, position=1, notes="more", now=at(31))
        with pytest.raises(services.SessionClosed):
            services.grade_item(session=session, position=1, grade=Grade.SOLID, now=at(32))
        # Showing a closed session starts no clock.
        services.show_current_item(session=session, now=at(33))
        assert services.show_current_item(session=session, now=at(34)).position == 1

        assert state(session) == before

    def test_a_finished_session_refuses_actions_too(self, owner: User) -> None:
        session = start_interview(owner, [make_question(9)])
        answer(session, Grade.EXCELLENT, now=at(5))

        with pytest.raises(services.SessionClosed):
            services.reveal_item(session=session, position=0, notes="", now=at(6))
        with pytest.raises(services.SessionClosed):
            services.grade_item(session=session, position=0, grade=Grade.MISSED, now=at(6))
        assert item_at(session, 0).grade == Grade.EXCELLENT


class TestWeakQuestions:
    def test_it_returns_missed_and_partial_questions_in_order(self, owner: User) -> None:
        q1, q2, q3, q4, q5, q6 = (make_question(number) for number in range(1, 7))
        make_scenario(q4, "4.1")
        make_scenario(q5, "5.1")
        session = start_interview(owner, [q6, q1, q2, q3, q4, q5], include_scenarios=True)
        # Items: q6, q1, q2, q3, q4, 4.1, q5, 5.1
        for grade in [
            Grade.PARTIAL,  # q6
            Grade.EXCELLENT,  # q1
            Grade.MISSED,  # q2
            Grade.SOLID,  # q3
            Grade.SOLID,  # q4 ...
            Grade.MISSED,  # ... but its scenario 4.1 was missed: q4 comes back
        ]:
            answer(session, grade, now=at(0))
        services.end_session(session=session, now=at(60))  # q5 and 5.1 skipped: not weak

        weak = services.weak_questions(session)

        assert [q.number for q in weak] == [6, 2, 4]

    def test_a_weak_question_and_its_weak_scenario_come_back_once(self, owner: User) -> None:
        question = make_question(1)
        make_scenario(question, "1.1")
        session = start_interview(owner, [question], include_scenarios=True)
        answer(session, Grade.MISSED, now=at(0))
        answer(session, Grade.PARTIAL, now=at(10))

        assert services.weak_questions(session) == [question]

    def test_it_leaves_out_retired_questions(self, owner: User) -> None:
        q1, q2 = make_question(1), make_question(2)
        session = start_interview(owner, [q1, q2], include_scenarios=True)
        answer(session, Grade.MISSED, now=at(0))
        answer(session, Grade.MISSED, now=at(10))
        Question.objects.filter(pk=q1.pk).update(is_active=False)

        assert services.weak_questions(session) == [q2]
