"""The memory model (issue 13): grades become FSRS reviews, and cards follow them.

Every expected card is computed by the `fsrs` library itself from the same history (ratings and
times), never typed in by hand; stored cards must equal it field for field. Times are passed to
the services explicitly, so no test waits for a clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import fsrs
import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from pytest_django.fixtures import Settings

from questions.models import Question, Scenario
from sessions import memory, services
from sessions.models import Card, Grade, InterviewSession, Item, ReviewLog
from tests.cast import T0, answer, at, make_question, reveal_current, start_interview

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
PRACTICE = InterviewSession.Mode.PRACTICE
RATING = {
    Grade.MISSED: fsrs.Rating.Again,
    Grade.PARTIAL: fsrs.Rating.Hard,
    Grade.SOLID: fsrs.Rating.Good,
    Grade.EXCELLENT: fsrs.Rating.Easy,
}


def fsrs_card(
    history: Sequence[tuple[int, datetime]], *, retention: float = 0.9
) -> tuple[Any, ...]:
    """What the library makes of these (grade, time) reviews from a new card, as card fields.

    Default parameters; fuzzing off, as the app schedules (with it, a replay could not equal the
    reviews it replays).
    """
    scheduler = fsrs.Scheduler(desired_retention=retention, enable_fuzzing=False)
    card = fsrs.Card(card_id=1)
    for grade, reviewed_at in history:
        card, _ = scheduler.review_card(card, RATING[Grade(grade)], reviewed_at)
    return (
        int(card.state),
        card.step,
        card.stability,
        card.difficulty,
        card.due,
        card.last_review,
        len(history),
    )


def stored(card: Card) -> tuple[Any, ...]:
    card.refresh_from_db()
    return (
        card.state,
        card.step,
        card.stability,
        card.difficulty,
        card.due,
        card.last_review,
        card.reviews,
    )


def question_card(user: User, question: Question) -> Card:
    return Card.objects.get(user=user, question=question, scenario=None)


def graded_once(
    user: User, questions: Sequence[Question], grade: int, when: datetime, **options: Any
) -> InterviewSession:
    """An interview of `questions` started at `when`, its first item graded then."""
    session = start_interview(user, questions, now=when, **options)
    answer(session, grade, now=when)
    return session


@pytest.fixture
def question(db: None) -> Question:
    return make_question(1)


class TestTheGradeMapping:
    def test_each_grade_maps_to_its_fsrs_rating(self) -> None:
        assert dict(memory.RATINGS) == {
            Grade.MISSED: fsrs.Rating.Again,
            Grade.PARTIAL: fsrs.Rating.Hard,
            Grade.SOLID: fsrs.Rating.Good,
            Grade.EXCELLENT: fsrs.Rating.Easy,
        }
        assert [memory.rating_for(grade) for grade in (0, 1, 2, 3)] == [1, 2, 3, 4]

    @pytest.mark.parametrize("grade", list(Grade))
    def test_a_counted_grade_is_logged_with_its_rating_time_and_time_taken(
        self, owner: User, question: Question, grade: Grade
    ) -> None:
        session = start_interview(owner, [question])
        services.show_current_item(session=session, now=T0)
        reveal_current(session, now=at(40))  # shown at T0 above: 40 s taken
        item = services.grade_item(session=session, position=0, grade=grade, now=at(45))

        log = ReviewLog.objects.get()
        assert (log.item, log.card, log.rating) == (
            item,
            question_card(owner, question),
            RATING[grade],
        )
        assert (log.reviewed_at, log.duration) == (at(45), timedelta(seconds=40))


class TestCardsFollowFsrs:
    @pytest.mark.parametrize("grade", list(Grade))
    def test_each_review_schedules_the_card_as_fsrs_does(
        self, owner: User, question: Question, grade: Grade
    ) -> None:
        history: list[tuple[int, datetime]] = []
        for when in (T0, T0 + DAY, T0 + 4 * DAY, T0 + 20 * DAY):
            graded_once(owner, [question], grade, when)
            history.append((grade, when))

            assert stored(question_card(owner, question)) == fsrs_card(history)

    def test_a_question_and_its_follow_up_have_cards_of_their_own(
        self, owner: User, question: Question
    ) -> None:
        scenario = Scenario.objects.create(question=question, label="1.1", prompt="P", answer="A")
        for when, grades in [(T0, [Grade.MISSED, Grade.EXCELLENT]), (T0 + 2 * DAY, [2, 1])]:
            session = start_interview(owner, [question], include_scenarios=True, now=when)
            for grade in grades:
                answer(session, grade, now=when)

        own = question_card(owner, question)
        follow_up = Card.objects.get(user=owner, scenario=scenario)
        assert follow_up.question == question  # so retiring the question retires it too
        assert stored(own) == fsrs_card([(Grade.MISSED, T0), (Grade.SOLID, T0 + 2 * DAY)])
        assert stored(follow_up) == fsrs_card(
            [(Grade.EXCELLENT, T0), (Grade.PARTIAL, T0 + 2 * DAY)]
        )

    def test_the_desired_retention_is_the_setting(
        self, owner: User, question: Question, settings: Settings
    ) -> None:
        settings.FSRS_DESIRED_RETENTION = 0.8
        history = [(Grade.EXCELLENT, T0), (Grade.SOLID, T0 + 9 * DAY)]
        for grade, when in history:
            graded_once(owner, [question], grade, when)

        assert stored(question_card(owner, question)) == fsrs_card(history, retention=0.8)
        # The retention matters for this history: the default would schedule it otherwise.
        assert fsrs_card(history, retention=0.8) != fsrs_card(history)

    def test_another_users_grades_never_move_my_card(
        self, owner: User, other_user: User, question: Question
    ) -> None:
        graded_once(owner, [question], Grade.SOLID, T0)
        graded_once(other_user, [question], Grade.MISSED, T0 + DAY)

        assert stored(question_card(owner, question)) == fsrs_card([(Grade.SOLID, T0)])
        assert stored(question_card(other_user, question)) == fsrs_card([(Grade.MISSED, T0 + DAY)])


class TestCorrectionsRewriteTheCard:
    def test_undoing_a_cards_only_review_forgets_the_card(
        self, owner: User, questions: list[Question]
    ) -> None:
        session = graded_once(owner, questions, Grade.SOLID, T0)
        assert Card.objects.exists()

        services.undo_grade(session=session, position=0, user=owner, now=at(5))

        assert not Card.objects.exists()
        assert not ReviewLog.objects.exists()

    def test_undo_takes_the_card_back_to_its_earlier_reviews_and_a_new_grade_counts_anew(
        self, owner: User, questions: list[Question]
    ) -> None:
        graded_once(owner, questions[:1], Grade.SOLID, T0)
        later = graded_once(owner, questions, Grade.MISSED, T0 + 2 * DAY)
        card = question_card(owner, questions[0])

        services.undo_grade(session=later, position=0, user=owner, now=T0 + 2 * DAY)

        assert stored(card) == fsrs_card([(Grade.SOLID, T0)])
        regraded_at = T0 + 2 * DAY + timedelta(minutes=1)
        services.grade_item(session=later, position=0, grade=Grade.EXCELLENT, now=regraded_at)
        assert stored(card) == fsrs_card([(Grade.SOLID, T0), (Grade.EXCELLENT, regraded_at)])
        log = ReviewLog.objects.get(item__session=later)
        assert (log.rating, log.reviewed_at) == (fsrs.Rating.Easy, regraded_at)

    def test_a_changed_grade_rewrites_the_card_as_if_it_had_been_given_at_first(
        self, owner: User, question: Question
    ) -> None:
        graded_once(owner, [question], Grade.SOLID, T0)
        middle = graded_once(owner, [question], Grade.MISSED, T0 + DAY)
        graded_once(owner, [question], Grade.SOLID, T0 + 3 * DAY)

        services.change_grade(
            session=middle, position=0, grade=Grade.EXCELLENT, user=owner, now=T0 + 10 * DAY
        )

        assert stored(question_card(owner, question)) == fsrs_card(
            [(Grade.SOLID, T0), (Grade.EXCELLENT, T0 + DAY), (Grade.SOLID, T0 + 3 * DAY)]
        )
        log = ReviewLog.objects.get(item__session=middle)
        assert (log.rating, log.reviewed_at) == (fsrs.Rating.Easy, T0 + DAY)


class TestWhichGradesCount:
    def test_a_practice_run_left_out_of_the_schedule_never_touches_the_cards(
        self, owner: User, questions: list[Question]
    ) -> None:
        graded_once(owner, questions[:1], Grade.SOLID, T0)
        before = list(Card.objects.values_list())
        practice = start_interview(
            owner, questions, mode=PRACTICE, counts_toward_schedule=False, now=T0 + DAY
        )

        for grade in (Grade.MISSED, Grade.EXCELLENT):
            answer(practice, grade, now=T0 + DAY)
        services.change_grade(
            session=practice, position=0, grade=Grade.PARTIAL, user=owner, now=T0 + DAY
        )
        services.undo_grade(session=practice, position=1, user=owner, now=T0 + DAY)

        assert list(Card.objects.values_list()) == before
        assert not ReviewLog.objects.filter(item__session=practice).exists()

    def test_a_practice_run_counts_unless_left_out(
        self, owner: User, questions: list[Question]
    ) -> None:
        practice = start_interview(owner, questions[:1], mode=PRACTICE)
        assert practice.counts_toward_schedule

        answer(practice, Grade.PARTIAL)

        assert stored(question_card(owner, questions[0])) == fsrs_card([(Grade.PARTIAL, T0)])

    def test_only_a_practice_run_can_be_left_out(
        self, owner: User, questions: list[Question]
    ) -> None:
        with pytest.raises(IntegrityError), transaction.atomic():
            start_interview(owner, questions, counts_toward_schedule=False)

    def test_skipped_and_unanswered_items_do_not_count(
        self, owner: User, questions: list[Question]
    ) -> None:
        session = graded_once(owner, questions, Grade.SOLID, T0)
        services.show_current_item(session=session, now=at(10))  # on screen: unanswered

        services.end_session(session=session, now=at(20))

        assert list(ReviewLog.objects.values_list("item__position", flat=True)) == [0]
        assert list(Card.objects.values_list("question", flat=True)) == [questions[0].pk]

    def test_a_follow_up_deleted_from_the_bank_before_its_grade_does_not_count(
        self, owner: User, question: Question
    ) -> None:
        scenario = Scenario.objects.create(question=question, label="1.1", prompt="P", answer="A")
        session = start_interview(owner, [question], include_scenarios=True)
        answer(session, Grade.SOLID)
        scenario.delete()  # the item keeps its snapshot; its scenario becomes None

        answer(session, Grade.EXCELLENT)

        assert list(ReviewLog.objects.values_list("item__position", flat=True)) == [0]
        assert Card.objects.get().scenario is None


class TestRetiredQuestions:
    def test_they_keep_their_cards_but_are_never_due(self, owner: User) -> None:
        retired, active = make_question(1), make_question(2)
        Scenario.objects.create(question=retired, label="1.1", prompt="P", answer="A")
        session = start_interview(owner, [retired, active], include_scenarios=True)
        for grade in (Grade.MISSED, Grade.MISSED, Grade.PARTIAL):
            answer(session, grade)
        month_later = T0 + 30 * DAY
        assert memory.due_cards(owner, month_later).count() == 3

        Question.objects.filter(pk=retired.pk).update(is_active=False)

        assert [card.question for card in memory.due_cards(owner, month_later)] == [active]
        assert Card.objects.filter(question=retired).count() == 2

    def test_due_means_due_by_then_longest_due_first(
        self, owner: User, questions: list[Question]
    ) -> None:
        for offset, question in zip((2, 0, 1), questions, strict=True):
            graded_once(owner, [question], Grade.SOLID, T0 + offset * DAY)
        dues = sorted(Card.objects.values_list("due", flat=True))

        assert list(memory.due_cards(owner, dues[0] - timedelta(seconds=1))) == []
        assert [card.question for card in memory.due_cards(owner, dues[-1])] == [
            questions[1],
            questions[2],
            questions[0],
        ]


class TestReviewsThatCross:
    def test_a_review_committed_between_reading_a_card_and_writing_it_is_not_lost(
        self, owner: User, question: Question
    ) -> None:
        graded_once(owner, [question], Grade.SOLID, T0)
        slow, fast = (start_interview(owner, [question], now=T0 + 2 * DAY) for _ in range(2))
        reveal_current(slow, now=T0 + 2 * DAY)
        # The slow tab has read the card with its item; the fast one grades before it writes.
        (item,) = memory.with_cards(slow.items.all(), user_id=owner.pk)
        answer(fast, Grade.MISSED, now=T0 + 2 * DAY)
        late = T0 + 2 * DAY + timedelta(seconds=30)
        Item.objects.filter(pk=item.pk).update(grade=Grade.EXCELLENT, graded_at=late)
        item.grade, item.graded_at = Grade.EXCELLENT, late

        memory.record_review(session=slow, item=item)

        assert stored(question_card(owner, question)) == fsrs_card(
            [(Grade.SOLID, T0), (Grade.MISSED, T0 + 2 * DAY), (Grade.EXCELLENT, late)]
        )

    def test_a_review_older_than_the_cards_last_is_replayed_in_time_order(
        self, owner: User, question: Question
    ) -> None:
        # Two servers whose clocks disagree: the review recorded second is the earlier one.
        graded_once(owner, [question], Grade.SOLID, T0 + 5 * DAY)
        graded_once(owner, [question], Grade.MISSED, T0 + DAY)

        assert stored(question_card(owner, question)) == fsrs_card(
            [(Grade.MISSED, T0 + DAY), (Grade.SOLID, T0 + 5 * DAY)]
        )


class TestPredictedRecall:
    def test_it_is_the_librarys_retrievability_for_every_card_in_one_pass(
        self, owner: User, questions: list[Question], django_assert_num_queries: Any
    ) -> None:
        histories = [[(Grade.MISSED, T0)], [(Grade.SOLID, T0)], [(1, T0), (3, T0 + 3 * DAY)]]
        for question, history in zip(questions, histories, strict=True):
            for grade, when in history:
                graded_once(owner, [question], grade, when)
        cards = list(Card.objects.order_by("question__number"))
        now = T0 + 12 * DAY
        scheduler = fsrs.Scheduler(enable_fuzzing=False)

        with django_assert_num_queries(0):
            recall = memory.retrievabilities(cards, now)

        expected = {}
        for card, history in zip(cards, histories, strict=True):
            library_card = fsrs.Card(card_id=1)
            for grade, when in history:
                library_card, _ = scheduler.review_card(library_card, RATING[Grade(grade)], when)
            expected[card.pk] = scheduler.get_card_retrievability(library_card, now)
        assert recall == expected
        assert len(set(recall.values())) == 3  # three different figures, each checked
