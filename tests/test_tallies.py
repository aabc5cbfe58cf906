"""The dashboard's tallies (sessions.tallies) agree with the items they are derived from.

Random histories are played through the services, every way an item's figures can move (grades,
undos, changed grades, time-outs, interviews ended early or abandoned, follow-ups, two users),
and at each checkpoint the tallies kept step by step must equal the ones derived afresh, and
the dashboard's category averages the summary's own rule applied to every item.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import random
from datetime import timedelta

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from questions.bank import ParsedBank
from questions.models import Category, Question
from sessions import progress, scoring, services, tallies
from sessions.models import CategoryProgress, InterviewSession, Item, QuestionProgress
from sessions.scoring import Grade
from tests.cast import LIMIT, T0, start_interview
from tests.histories import Answer, play

pytestmark = pytest.mark.django_db


def assert_tallies_derivable(users: list[User]) -> None:
    user_ids = [user.pk for user in users]
    kept = tallies.snapshot(user_ids)
    tallies.rebuild(user_ids)
    assert tallies.snapshot(user_ids) == kept
    for user in users:
        every_item = scoring.category_scores(Item.objects.filter(session__user=user))
        assert progress.category_averages(user) == sorted(
            (score for score in every_item if score.graded),
            key=lambda score: (score.points / score.graded, score.name),
        )


def pool(bank: ParsedBank) -> list[Question]:
    """Eight questions from five categories or more, four of them with follow-ups."""
    with_follow_ups = list(Question.objects.filter(scenarios__isnull=False).distinct()[:4])
    others = [
        Question.objects.filter(scenarios__isnull=True, category=category).earliest("number")
        for category in Category.objects.order_by("position")[2:6]
    ]
    assert len({question.category_id for question in with_follow_ups + others}) >= 5
    return with_follow_ups + others


def play_at_random(user: User, questions: list[Question], rng: random.Random, steps: int) -> None:
    now = T0 + timedelta(days=rng.randrange(30))
    for _ in range(steps):
        now += timedelta(seconds=rng.randrange(5, 400))
        session = (
            InterviewSession.objects.filter(user=user, status=InterviewSession.Status.IN_PROGRESS)
            .order_by("-started_at")
            .first()
        )
        if session is None:
            start_interview(
                user,
                rng.sample(questions, rng.randrange(1, 5)),
                mode=rng.choice([InterviewSession.Mode.TIMED, InterviewSession.Mode.PRACTICE]),
                include_scenarios=rng.random() < 0.5,
                now=now,
            )
            continue
        graded = list(Item.objects.filter(session__user=user, grade__isnull=False))
        roll = rng.random()
        if roll < 0.6:
            item = services.show_current_item(session=session, now=now)
            assert item is not None
            late = rng.random() < 0.3
            now += timedelta(seconds=LIMIT + 40 if late else rng.randrange(5, 60))
            services.reveal_item(session=session, position=item.position, notes="", now=now)
            services.grade_item(
                session=session, position=item.position, grade=rng.choice(Grade.values), now=now
            )
        elif roll < 0.72 and session.current_position > 0:
            # Refused once the next item was revealed: then nothing moves, which is checked too.
            with contextlib.suppress(services.NotCurrentItem):
                services.undo_grade(
                    session=session, position=session.current_position - 1, user=user, now=now
                )
        elif roll < 0.84 and graded:
            item = rng.choice(graded)
            services.change_grade(
                session=item.session,
                position=item.position,
                grade=rng.choice(Grade.values),
                user=user,
                now=now,
            )
        elif roll < 0.94:
            services.show_current_item(session=session, now=now)
            services.end_session(session=session, now=now)
        else:  # left alone long enough to be abandoned, its current item shown
            services.show_current_item(session=session, now=now)
            now += services.abandon_after() + timedelta(minutes=1)
            services.settle_open_sessions(user=user, now=now)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_tallies_kept_step_by_step_are_the_ones_the_items_give(
    bank: ParsedBank, owner: User, other_user: User, seed: int
) -> None:
    rng = random.Random(seed)
    questions = pool(bank)
    for _checkpoint in range(4):
        play_at_random(owner, questions, rng, steps=30)
        play_at_random(other_user, questions, rng, steps=10)
        assert_tallies_derivable([owner, other_user])
    # The walk did reach every kind of change it is meant to check.
    items = Item.objects.filter(session__user=owner)
    assert items.filter(grade_changes__new_grade__isnull=True).exists()  # an undo
    assert items.filter(grade_changes__new_grade__isnull=False).exists()  # a changed grade
    assert items.filter(timed_out=True, grade__isnull=False).exists()
    assert items.filter(scoring.unanswered()).exists()
    assert items.filter(kind=Item.Kind.SCENARIO, grade__isnull=False).exists()


def test_undoing_the_last_attempt_brings_back_the_one_before(bank: ParsedBank, owner: User) -> None:
    first, second = Question.objects.filter(number__in=[1, 2]).order_by("number")
    play(owner, [first], [Answer(Grade.MISSED)])
    day_two = T0 + timedelta(days=1)
    session = play(owner, [first, second], [Answer(Grade.SOLID)], at=day_two)
    assert progress.questions_to_practise(owner) == []  # Solid since the Missed

    services.undo_grade(session=session, position=0, user=owner, now=day_two)

    (listed,) = progress.questions_to_practise(owner)
    assert (listed.number, listed.last_grade, listed.attempts) == (1, Grade.MISSED, 1)


def test_a_changed_grade_of_the_last_attempt_moves_the_question_in_or_out(
    bank: ParsedBank, owner: User
) -> None:
    (question,) = Question.objects.filter(number=1)
    session = play(owner, [question], [Answer(Grade.EXCELLENT)])
    assert progress.questions_to_practise(owner) == []

    services.change_grade(session=session, position=0, grade=Grade.PARTIAL, user=owner, now=T0)

    (listed,) = progress.questions_to_practise(owner)
    assert (listed.number, listed.last_grade, listed.attempts) == (1, Grade.PARTIAL, 1)
    (average,) = progress.category_averages(owner)
    assert (average.graded, average.points) == (1, Grade.PARTIAL)


def test_a_question_moved_to_another_category_keeps_its_answers_where_they_were_given(
    bank: ParsedBank, owner: User
) -> None:
    # As the summary counts them: an item keeps the category it was asked in.
    first, second = Question.objects.filter(category__position=0).order_by("number")[:2]
    play(owner, [first, second], [Answer(Grade.MISSED), Answer(Grade.SOLID)])
    elsewhere = Question.objects.exclude(category=first.category).first()
    assert elsewhere is not None
    Question.objects.filter(pk=first.pk).update(category=elsewhere.category)

    (average,) = progress.category_averages(owner)

    assert (average.graded, average.points) == (2, Grade.SOLID)
    assert_tallies_derivable([owner])


class TestRebuildProgressCommand:
    def test_it_changes_nothing_on_a_healthy_database(
        self, bank: ParsedBank, owner: User, other_user: User
    ) -> None:
        play(owner, list(Question.objects.filter(number__in=[1, 2])), [Answer(Grade.MISSED)])
        kept = tallies.snapshot([owner.pk, other_user.pk])
        out = io.StringIO()

        call_command("rebuild_progress", stdout=out)

        assert out.getvalue().strip() == "Tallies derived again; 0 users changed."
        assert tallies.snapshot([owner.pk, other_user.pk]) == kept

    def test_it_puts_right_what_was_changed_outside_the_services(
        self, bank: ParsedBank, owner: User, other_user: User
    ) -> None:
        play(owner, list(Question.objects.filter(number__in=[1, 2])), [Answer(Grade.MISSED)])
        play(other_user, list(Question.objects.filter(number=3)), [Answer(Grade.SOLID)])
        kept = tallies.snapshot([owner.pk])
        Item.objects.filter(session__user=owner, grade=Grade.MISSED).update(grade=Grade.SOLID)
        other_kept = tallies.snapshot([other_user.pk])
        out = io.StringIO()

        call_command("rebuild_progress", "owner", stdout=out)

        assert out.getvalue().strip() == "Tallies derived again; 1 user changed."
        (category,) = progress.category_averages(owner)
        assert (category.graded, category.points) == (1, Grade.SOLID)
        assert tallies.snapshot([owner.pk]) != kept
        assert tallies.snapshot([other_user.pk]) == other_kept

    def test_an_unknown_username_is_an_error(self, owner: User) -> None:
        with pytest.raises(CommandError, match="No user named 'nobody'."):
            call_command("rebuild_progress", "nobody")


def test_the_migration_fills_the_tallies_of_every_history(
    bank: ParsedBank, owner: User, other_user: User
) -> None:
    # Histories that predate the tallies: what the migration finds on an existing database.
    play(owner, list(Question.objects.filter(number__in=[1, 2])), [Answer(Grade.MISSED)])
    play(other_user, list(Question.objects.filter(number=3)), [Answer(Grade.SOLID)])
    kept = tallies.snapshot([owner.pk, other_user.pk])
    QuestionProgress.objects.all().delete()
    CategoryProgress.objects.all().delete()
    migration = importlib.import_module("sessions.migrations.0008_progress_tallies")

    migration.fill_tallies(global_apps, None)

    assert tallies.snapshot([owner.pk, other_user.pk]) == kept


def test_a_grade_for_an_older_attempt_leaves_a_newer_one_last(
    bank: ParsedBank, owner: User
) -> None:
    # Two interviews open at once (two tabs): the one shown later is the last attempt, even
    # when the earlier one is graded after it.
    first, second = Question.objects.filter(number__in=[1, 2]).order_by("number")
    older = start_interview(owner, [first, second], now=T0)
    newer = start_interview(owner, [first], now=T0 + timedelta(minutes=1))
    for session, grade in ((newer, Grade.EXCELLENT), (older, Grade.MISSED)):
        services.reveal_item(session=session, position=0, notes="", now=T0 + timedelta(minutes=2))
        services.grade_item(session=session, position=0, grade=grade, now=T0 + timedelta(minutes=2))

    assert progress.questions_to_practise(owner) == []
    (row,) = QuestionProgress.objects.filter(user=owner, question=first)
    assert (row.attempts, row.last_item_id) == (2, newer.items.get(position=0).pk)
    assert_tallies_derivable([owner])
