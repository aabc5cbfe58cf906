"""`manage.py rebuild_schedule [USERNAME]` (issue 13): the cards replayed from the review log.

The history below is graded through the services one review at a time (with an Again, an undo
and a grade change among them), so the cards it leaves are the incremental result; replaying the
log must give exactly those rows back.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from questions.models import Question, Scenario
from sessions import services
from sessions.models import Card, Grade, InterviewSession, ReviewLog
from tests.cast import T0, answer, make_question, start_interview

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def rebuild(*args: str, verbosity: int = 1) -> str:
    out = io.StringIO()
    call_command("rebuild_schedule", *args, stdout=out, verbosity=verbosity)
    return out.getvalue()


def cards(user: User | None = None) -> list[tuple[Any, ...]]:
    """Every stored card, every column."""
    rows = Card.objects.order_by("pk")
    return list((rows if user is None else rows.filter(user=user)).values_list())


def scramble(user: User | None = None) -> None:
    """Overwrite the stored state of the cards with nonsense a rebuild must repair."""
    rows = Card.objects.all() if user is None else Card.objects.filter(user=user)
    rows.update(
        state=1, step=0, stability=50.0, difficulty=1.0, due=T0, last_review=None, reviews=9
    )


def interview(
    user: User, questions: list[Question], grades: list[int], when: Any
) -> InterviewSession:
    session = start_interview(user, questions, include_scenarios=True, now=when)
    for grade in grades:
        answer(session, grade, now=when)
    return session


@pytest.fixture
def history(owner: User, other_user: User) -> dict[str, InterviewSession]:
    """Days of the owner's reviews, with an undo and a change; a few of the other user's."""
    first, second, third = make_question(1), make_question(2), make_question(3)
    Scenario.objects.create(question=first, label="1.1", prompt="P", answer="A")
    day0 = interview(owner, [first, second], [Grade.MISSED, Grade.SOLID, Grade.EXCELLENT], T0)
    day1 = interview(owner, [first, third], [Grade.PARTIAL, Grade.MISSED], T0 + DAY)
    services.undo_grade(session=day1, position=1, user=owner, now=T0 + DAY)
    answer(day1, Grade.SOLID, now=T0 + DAY + timedelta(minutes=2))  # the follow-up, regraded
    answer(day1, Grade.SOLID, now=T0 + DAY + timedelta(minutes=3))
    day5 = interview(
        owner, [first, second], [Grade.SOLID, Grade.EXCELLENT, Grade.MISSED], T0 + 5 * DAY
    )
    services.change_grade(
        session=day0, position=2, grade=Grade.PARTIAL, user=owner, now=T0 + 6 * DAY
    )
    interview(
        other_user, [first, third], [Grade.EXCELLENT, Grade.MISSED, Grade.SOLID], T0 + 2 * DAY
    )
    return {"day0": day0, "day1": day1, "day5": day5}


class TestReplay:
    def test_replaying_the_log_gives_exactly_the_cards_the_grades_gave(
        self, history: dict[str, InterviewSession]
    ) -> None:
        incremental = cards()
        assert len(incremental) == 7  # the owner's 1, 1.1, 2, 3; the other user's 1, 1.1, 3
        assert sum(card.reviews for card in Card.objects.all()) == ReviewLog.objects.count() == 12

        output = rebuild()

        assert cards() == incremental
        assert "7 cards replayed from 12 reviews; 0 changed, 0 without reviews removed." in output

    def test_it_rebuilds_every_card_from_the_log_alone(
        self, history: dict[str, InterviewSession]
    ) -> None:
        incremental = cards()
        scramble()

        output = rebuild()

        assert cards() == incremental
        assert "7 changed" in output

    def test_deleting_an_interview_takes_its_reviews_out_of_the_cards(self, owner: User) -> None:
        question, alone = make_question(1), make_question(2)
        interview(owner, [question], [Grade.SOLID], T0)
        before = cards()
        later = interview(owner, [question, alone], [Grade.MISSED, Grade.SOLID], T0 + 2 * DAY)
        assert cards() != before

        later.delete()  # its items go, and their reviews with them
        output = rebuild()

        assert cards() == before  # the question's card as if the interview never happened
        assert not Card.objects.filter(question=alone).exists()  # no review left to remember
        assert "1 card replayed from 1 review; 1 changed, 1 without reviews removed." in output


class TestTheCommand:
    def test_it_rebuilds_only_the_named_users_cards(
        self, owner: User, other_user: User, history: dict[str, InterviewSession]
    ) -> None:
        mine, theirs = cards(owner), cards(other_user)
        scramble()

        output = rebuild("owner")

        assert cards(owner) == mine
        assert cards(other_user) != theirs
        assert "4 cards replayed from 9 reviews; 4 changed" in output

    def test_an_unknown_username_is_an_error_naming_it(
        self, history: dict[str, InterviewSession]
    ) -> None:
        before = cards()

        with pytest.raises(CommandError, match="No user named 'nobody'"):
            rebuild("nobody")

        assert cards() == before

    def test_a_dry_run_reports_and_changes_nothing(
        self, history: dict[str, InterviewSession]
    ) -> None:
        scramble()
        scrambled = cards()

        output = rebuild("--dry-run")

        assert cards() == scrambled
        assert output.startswith("Dry run: 7 cards replayed from 12 reviews; 7 would be changed")

    def test_it_names_each_user_at_verbosity_2(self, history: dict[str, InterviewSession]) -> None:
        lines = rebuild(verbosity=2).splitlines()

        assert lines[:2] == [
            "owner: 4 cards replayed from 9 reviews; 0 changed, 0 without reviews removed.",
            "other: 3 cards replayed from 3 reviews; 0 changed, 0 without reviews removed.",
        ]

    def test_with_no_cards_there_is_nothing_to_do(self, owner: User) -> None:
        assert "0 cards replayed from 0 reviews" in rebuild("owner")
