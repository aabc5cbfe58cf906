"""Two requests at the same instant: a double click, two tabs, a retry racing the original.

These need real concurrent transactions, so they run on PostgreSQL only: every thread talks to
the database through its own connection, and a barrier releases them together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from questions.models import Question
from sessions import services
from sessions.models import Grade, InterviewSession, Item
from tests.cast import T0, answer, make_question, start_interview

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent transactions with row locks: set DATABASE_URL to PostgreSQL",
    ),
]

ROUNDS = 5


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None


def race(*actions: Callable[[], Any]) -> list[Outcome]:
    """Run the actions in threads released at the same moment; each gets its own connection."""
    barrier = threading.Barrier(len(actions))
    outcomes = [Outcome() for _ in actions]

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index].value = action()
        except BaseException as error:  # reported to the test thread, which asserts on it
            outcomes[index].error = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    return outcomes


def fresh(session: InterviewSession) -> InterviewSession:
    """The session as a separate request would load it (in the calling thread's connection)."""
    return InterviewSession.objects.get(pk=session.pk)


def grader(session: InterviewSession, grade: int, position: int = 0) -> Callable[[], Item]:
    loaded = fresh(session)  # loaded before the race, like a request that read the page state
    return lambda: services.grade_item(
        session=loaded, position=position, grade=grade, now=T0 + timedelta(seconds=10)
    )


def revealer(session: InterviewSession, notes: str, now: datetime) -> Callable[[], Item]:
    loaded = fresh(session)
    return lambda: services.reveal_item(session=loaded, position=0, notes=notes, now=now)


def ender(session: InterviewSession) -> Callable[[], InterviewSession]:
    loaded = fresh(session)
    return lambda: services.end_session(session=loaded, now=T0 + timedelta(seconds=10))


def htmx_grader(user: User, session: InterviewSession, grade: int) -> Callable[[], Any]:
    """A browser tab of `user` about to click a grade button on the first item."""
    tab = Client()
    tab.force_login(user)
    url = f"/interviews/{session.pk}/items/0/grade/"
    return lambda: tab.post(url, {"grade": grade}, HTTP_HX_REQUEST="true")


def htmx_revealer(
    user: User, session: InterviewSession, position: int, notes: str
) -> Callable[[], Any]:
    """A browser tab of `user` about to reveal the item at `position`: the view's path, whose one
    read of the session is its lock."""
    tab = Client()
    tab.force_login(user)
    url = f"/interviews/{session.pk}/items/{position}/reveal/"
    return lambda: tab.post(url, {"notes": notes}, HTTP_HX_REQUEST="true")


def htmx_undoer(user: User, session: InterviewSession) -> Callable[[], Any]:
    """A browser tab of `user` about to press Z after the first item was graded: the view's path,
    whose one read of the session is its lock."""
    tab = Client()
    tab.force_login(user)
    url = f"/interviews/{session.pk}/items/0/undo/"
    return lambda: tab.post(url, HTTP_HX_REQUEST="true")


def undoer(user: User, session: InterviewSession) -> Callable[[], Item]:
    """A tab pressing Z right after the first item was graded."""
    loaded = fresh(session)
    return lambda: services.undo_grade(
        session=loaded, position=0, user=user, now=T0 + timedelta(seconds=20)
    )


def assert_undone_once(session: InterviewSession) -> None:
    """The first item's Excellent taken back exactly once: revealed again with its notes."""
    session.refresh_from_db()
    assert session.current_position == 0
    first = session.items.get(position=0)
    assert (first.grade, first.notes, first.revealed_at) == (None, "kept", T0)
    assert list(first.grade_changes.values_list("old_grade", "new_grade")) == [
        (Grade.EXCELLENT, None)
    ]


def test_two_concurrent_grades_record_one(owner: User, questions: list[Question]) -> None:
    for _ in range(ROUNDS):
        session = start_interview(owner, questions)
        services.show_current_item(session=session, now=T0)
        services.reveal_item(session=session, position=0, notes="", now=T0)

        first, second = race(grader(session, Grade.SOLID), grader(session, Grade.MISSED))

        winners = [o for o in (first, second) if o.error is None]
        losers = [o for o in (first, second) if o.error is not None]
        assert len(winners) == 1, (first, second)
        assert isinstance(losers[0].error, services.NotCurrentItem), losers[0].error
        session.refresh_from_db()
        assert session.current_position == 1
        assert session.status == InterviewSession.Status.IN_PROGRESS
        grades = list(session.items.order_by("position").values_list("grade", flat=True))
        assert grades == [winners[0].value.grade, None, None]
        assert session.items.get(position=1).shown_at is not None


def test_two_concurrent_grades_of_the_last_item_finish_once(owner: User) -> None:
    for _ in range(ROUNDS):
        session = start_interview(owner, [make_question(Question.objects.count() + 1)])
        services.show_current_item(session=session, now=T0)
        services.reveal_item(session=session, position=0, notes="", now=T0)

        outcomes = race(grader(session, Grade.EXCELLENT), grader(session, Grade.PARTIAL))

        errors = [o.error for o in outcomes if o.error is not None]
        assert len(errors) == 1 and isinstance(errors[0], services.InterviewError), outcomes
        session.refresh_from_db()
        assert session.status == InterviewSession.Status.FINISHED
        assert session.current_position == 1
        assert session.items.filter(grade__isnull=False).count() == 1


def test_two_concurrent_reveals_record_one(owner: User, questions: list[Question]) -> None:
    for _ in range(ROUNDS):
        session = start_interview(owner, questions)
        services.show_current_item(session=session, now=T0)

        outcomes = race(
            revealer(session, "from tab A", T0 + timedelta(seconds=5)),
            revealer(session, "from tab B", T0 + timedelta(seconds=6)),
        )

        stored = session.items.get(position=0)
        assert (stored.notes, stored.revealed_at) in [
            ("from tab A", T0 + timedelta(seconds=5)),
            ("from tab B", T0 + timedelta(seconds=6)),
        ]
        # A repeated reveal changes nothing: the loser sees the winner's reveal (or is told).
        for outcome in outcomes:
            if outcome.error is None:
                assert (outcome.value.notes, outcome.value.revealed_at) == (
                    stored.notes,
                    stored.revealed_at,
                )
            else:
                assert isinstance(outcome.error, services.NotCurrentItem), outcome.error
        session.refresh_from_db()
        assert session.current_position == 0


def test_grade_racing_end_never_both_grades_and_skips(
    owner: User, questions: list[Question]
) -> None:
    seen = set()
    for _ in range(ROUNDS):
        session = start_interview(owner, questions)
        services.show_current_item(session=session, now=T0)
        services.reveal_item(session=session, position=0, notes="", now=T0)

        graded, ended = race(grader(session, Grade.SOLID), ender(session))

        assert ended.error is None, ended.error
        session.refresh_from_db()
        assert session.status == InterviewSession.Status.ENDED_EARLY
        first = session.items.get(position=0)
        if graded.error is None:  # the grade got in first; the end skipped the rest
            seen.add("grade first")
            assert (first.grade, first.skipped) == (Grade.SOLID, False)
            assert session.current_position == 1
        else:  # the end got in first; the grade was refused
            seen.add("end first")
            assert isinstance(graded.error, services.SessionClosed), graded.error
            assert (first.grade, first.skipped) == (None, True)
            assert session.current_position == 0
        rest = session.items.exclude(position=0)
        assert list(rest.values_list("grade", "skipped")) == [(None, True), (None, True)]
        assert not session.items.filter(grade__isnull=False, skipped=True).exists()
    assert seen  # either order is correct; which one won is up to the scheduler


def test_two_concurrent_htmx_grade_requests_record_one(
    owner: User, questions: list[Question]
) -> None:
    for _ in range(ROUNDS):
        session = start_interview(owner, questions)
        services.show_current_item(session=session, now=T0)
        services.reveal_item(session=session, position=0, notes="", now=T0)

        responses = race(
            htmx_grader(owner, session, Grade.SOLID), htmx_grader(owner, session, Grade.PARTIAL)
        )

        assert all(r.error is None for r in responses), responses
        statuses = sorted(r.value.status_code for r in responses)
        assert statuses == [200, 409]
        loser = next(r.value for r in responses if r.value.status_code == 409)
        assert "no longer the current one" in loser.content.decode()
        session.refresh_from_db()
        assert session.current_position == 1
        assert session.items.filter(grade__isnull=False).count() == 1


def test_two_htmx_grades_of_the_last_item_finish_once(owner: User) -> None:
    for _ in range(ROUNDS):
        session = start_interview(owner, [make_question(Question.objects.count() + 1)])
        services.show_current_item(session=session, now=T0)
        services.reveal_item(session=session, position=0, notes="", now=T0)

        responses = race(
            htmx_grader(owner, session, Grade.EXCELLENT), htmx_grader(owner, session, Grade.PARTIAL)
        )

        # Both tabs go to the summary: the winner's grade finished the interview, and the loser
        # found it closed (told so by a warning on the next page).
        assert all(r.error is None for r in responses), responses
        assert [r.value["HX-Redirect"] for r in responses] == [f"/interviews/{session.pk}/"] * 2
        session.refresh_from_db()
        assert session.status == InterviewSession.Status.FINISHED
        assert session.items.filter(grade__isnull=False).count() == 1


def test_two_tabs_undoing_the_same_grade_undo_it_once(
    owner: User, questions: list[Question]
) -> None:
    for _ in range(ROUNDS):
        session = start_interview(owner, questions)
        answer(session, Grade.EXCELLENT, notes="kept")

        outcomes = race(undoer(owner, session), undoer(owner, session))

        errors = [o.error for o in outcomes if o.error is not None]
        assert len(errors) == 1 and isinstance(errors[0], services.NotCurrentItem), outcomes
        assert_undone_once(session)


def test_an_undo_racing_the_next_grade_never_leaves_both(
    owner: User, questions: list[Question]
) -> None:
    seen = set()
    for _ in range(ROUNDS):
        session = start_interview(owner, questions)
        answer(session, Grade.SOLID)
        services.reveal_item(session=session, position=1, notes="", now=T0)

        undone, graded = race(undoer(owner, session), grader(session, Grade.MISSED, position=1))

        session.refresh_from_db()
        first, second = session.items.filter(position__in=[0, 1]).order_by("position")
        # The next item was revealed before the race, so the undo can never win it.
        assert isinstance(undone.error, services.NotCurrentItem), undone.error
        assert graded.error is None, graded.error
        seen.add("grade kept")
        assert (first.grade, second.grade, session.current_position) == (
            Grade.SOLID,
            Grade.MISSED,
            2,
        )
        assert not first.grade_changes.exists()
    assert seen


def test_two_concurrent_htmx_reveals_record_one(owner: User, questions: list[Question]) -> None:
    for _ in range(ROUNDS):
        session = start_interview(owner, questions)
        services.show_current_item(session=session, now=T0)

        responses = race(
            htmx_revealer(owner, session, 0, "from tab A"),
            htmx_revealer(owner, session, 0, "from tab B"),
        )

        assert all(r.error is None for r in responses), responses
        # A repeated reveal changes nothing: both tabs show the one reveal that was recorded.
        assert [r.value.status_code for r in responses] == [200, 200]
        stored = session.items.get(position=0)
        assert stored.notes in {"from tab A", "from tab B"}
        for response in responses:
            assert f">{stored.notes}</div>" in response.value.content.decode()
        session.refresh_from_db()
        assert session.current_position == 0


def test_a_reveal_racing_the_undo_of_the_grade_before_never_leaves_both(
    owner: User, questions: list[Question]
) -> None:
    seen = set()
    for _ in range(ROUNDS):
        session = start_interview(owner, questions)
        answer(session, Grade.SOLID)

        undone, revealed = race(undoer(owner, session), htmx_revealer(owner, session, 1, "next"))

        assert revealed.error is None, revealed.error
        session.refresh_from_db()
        first, second = session.items.filter(position__in=[0, 1]).order_by("position")
        if undone.error is None:  # the undo got in first: the reveal is told the item moved back
            seen.add("undo first")
            assert revealed.value.status_code == 409
            assert (first.grade, second.revealed_at, session.current_position) == (None, None, 0)
        else:  # the reveal got in first: the grade before it can no longer be undone
            seen.add("reveal first")
            assert isinstance(undone.error, services.NotCurrentItem), undone.error
            assert revealed.value.status_code == 200
            assert (first.grade, second.notes, session.current_position) == (Grade.SOLID, "next", 1)
    assert seen  # either order is correct; which one won is up to the scheduler


def test_two_htmx_undos_of_the_same_grade_undo_it_once(
    owner: User, questions: list[Question]
) -> None:
    for _ in range(ROUNDS):
        session = start_interview(owner, questions)
        answer(session, Grade.EXCELLENT, notes="kept")

        responses = race(htmx_undoer(owner, session), htmx_undoer(owner, session))

        assert all(r.error is None for r in responses), responses
        assert sorted(r.value.status_code for r in responses) == [200, 409]
        loser = next(r.value for r in responses if r.value.status_code == 409)
        assert "can no longer be undone" in loser.content.decode()
        assert_undone_once(session)
