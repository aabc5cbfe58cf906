"""Open interviews (issue 10): one at a time, and none left "In progress" forever.

Starting an interview while another is open asks first (resume it, or end it and start the new
one); an interview untouched for longer than INTERVIEW_ABANDON_AFTER_HOURS is ended as abandoned
on its owner's next full page load (OpenInterviewMiddleware, no background worker).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from pytest_django.fixtures import Settings

from questions.models import Category, Question
from sessions import services
from sessions.models import Grade, InterviewSession
from tests.cast import (
    HTMX,
    T0,
    answer_each,
    html,
    logged_in,
    make_other_user,
    messages_shown,
    start_interview,
    state,
)
from tests.dom import find_all, form_data

pytestmark = pytest.mark.django_db

NEW_URL = "/interviews/new/"
PRACTISE_URL = "/interviews/practise/"
PROMPT = "You have an interview in progress"
Status = InterviewSession.Status


def hours(count: float) -> datetime:
    return T0 + timedelta(hours=count)


@pytest.fixture
def fundamentals(four_questions: list[Question]) -> Category:
    """The category of the four questions."""
    return four_questions[0].category


@pytest.fixture
def open_interview(owner: User, four_questions: list[Question], clock: Any) -> InterviewSession:
    """The owner's interview of questions 1 and 2, started and its first item shown at T0."""
    session = start_interview(owner, four_questions[:2])
    services.show_current_item(session=session, now=T0)
    return session


def status_of(session: InterviewSession) -> str:
    session.refresh_from_db()
    return session.status


class TestAbandoned:
    def test_it_ends_an_interview_untouched_for_over_a_day_on_the_next_page_load(
        self, owner_client: Client, open_interview: InterviewSession, clock: Any
    ) -> None:
        clock.move_to(hours(25), tick=False)

        page = html(owner_client.get("/"))

        open_interview.refresh_from_db()
        assert open_interview.status == Status.ABANDONED
        assert open_interview.finished_at == hours(25)
        assert list(open_interview.items.values_list("grade", "skipped")) == [
            (None, True),
            (None, True),
        ]
        assert messages_shown(page) == [
            "Your interview started 1 Mar, 09:00 was untouched for over 24 hours and has been"
            " ended as abandoned. Its graded questions still count."
        ]
        assert not find_all(page, "section", cls="in-progress")

    @pytest.mark.parametrize("url", ["/history/", NEW_URL, "/questions/"])
    def test_any_full_page_load_ends_it(
        self, owner_client: Client, open_interview: InterviewSession, clock: Any, url: str
    ) -> None:
        clock.move_to(hours(25), tick=False)

        assert owner_client.get(url).status_code == 200

        assert status_of(open_interview) == Status.ABANDONED

    @pytest.mark.parametrize("elapsed", [23, 24])
    def test_it_keeps_an_interview_touched_within_the_day(
        self, owner_client: Client, open_interview: InterviewSession, clock: Any, elapsed: int
    ) -> None:
        clock.move_to(hours(elapsed), tick=False)

        page = html(owner_client.get("/"))

        assert status_of(open_interview) == Status.IN_PROGRESS
        assert open_interview.finished_at is None
        assert not messages_shown(page)
        (resume,) = find_all(page, "section", cls="in-progress")
        assert resume.find_all("a", href=f"/interviews/{open_interview.pk}/")

    def test_an_htmx_request_does_not_abandon(
        self, owner_client: Client, open_interview: InterviewSession, clock: Any
    ) -> None:
        clock.move_to(hours(25), tick=False)
        before = state()

        owner_client.get(f"/interviews/{open_interview.pk}/items/0/", **HTMX)

        assert state() == before
        owner_client.get("/")  # the control: the next full page load does
        assert status_of(open_interview) == Status.ABANDONED

    def test_another_users_page_load_does_not_touch_it(
        self, open_interview: InterviewSession, clock: Any
    ) -> None:
        clock.move_to(hours(25), tick=False)
        before = state()

        logged_in(make_other_user()).get("/")

        assert state() == before

    def test_the_window_follows_the_setting(
        self,
        owner_client: Client,
        open_interview: InterviewSession,
        clock: Any,
        settings: Settings,
    ) -> None:
        settings.INTERVIEW_ABANDON_AFTER_HOURS = 2
        clock.move_to(hours(3), tick=False)

        page = html(owner_client.get("/"))

        assert status_of(open_interview) == Status.ABANDONED
        assert "was untouched for over 2 hours" in messages_shown(page)[0]

    # Starting is the first touch: the first question is shown (its clock runs) from the start.
    @pytest.mark.parametrize("touch", ["reveal", "grade"])
    def test_showing_revealing_or_grading_moves_the_window(
        self,
        owner_client: Client,
        owner: User,
        four_questions: list[Question],
        clock: Any,
        touch: str,
    ) -> None:
        session = start_interview(owner, four_questions[:2])
        if touch == "grade":
            services.reveal_item(session=session, position=0, notes="", now=T0)

        # Twenty hours later, one touch.
        if touch == "reveal":
            services.reveal_item(session=session, position=0, notes="", now=hours(20))
        else:
            services.grade_item(session=session, position=0, grade=Grade.SOLID, now=hours(20))

        clock.move_to(hours(20 + 23), tick=False)
        owner_client.get("/")
        assert status_of(session) == Status.IN_PROGRESS
        clock.move_to(hours(20 + 25), tick=False)
        owner_client.get("/")
        assert status_of(session) == Status.ABANDONED

    def test_an_undo_moves_the_window_too(
        self, owner_client: Client, owner: User, open_interview: InterviewSession, clock: Any
    ) -> None:
        # Revealed at T0, then the tab stayed open: graded and undone twenty hours later.
        services.reveal_item(session=open_interview, position=0, notes="", now=T0)
        services.grade_item(session=open_interview, position=0, grade=Grade.SOLID, now=hours(20))
        services.undo_grade(session=open_interview, position=0, user=owner, now=hours(20))

        clock.move_to(hours(20 + 23), tick=False)
        owner_client.get("/")

        assert status_of(open_interview) == Status.IN_PROGRESS

    def test_its_graded_items_keep_their_grades(
        self, owner_client: Client, open_interview: InterviewSession, clock: Any
    ) -> None:
        services.reveal_item(session=open_interview, position=0, notes="", now=T0)
        services.grade_item(session=open_interview, position=0, grade=Grade.SOLID, now=T0)
        clock.move_to(hours(25), tick=False)

        owner_client.get("/")

        assert status_of(open_interview) == Status.ABANDONED
        assert list(open_interview.items.values_list("grade", "skipped")) == [
            (Grade.SOLID, False),
            (None, True),
        ]

    def test_a_stale_interview_does_not_block_starting_a_new_one(
        self,
        owner_client: Client,
        open_interview: InterviewSession,
        fundamentals: Category,
        clock: Any,
    ) -> None:
        clock.move_to(hours(25), tick=False)

        response = owner_client.post(NEW_URL, new_interview_form(fundamentals))

        assert response.status_code == 302
        assert status_of(open_interview) == Status.ABANDONED
        assert InterviewSession.objects.filter(status=Status.IN_PROGRESS).count() == 1


def new_interview_form(category: Category, **fields: str) -> dict[str, Any]:
    return {
        "categories": [str(category.pk)],
        "question_count": "2",
        "seconds_per_item": "60",
        "include_scenarios": "on",
        "mode": "timed",
        **fields,
    }


def prompt_form(markup: str) -> Any:
    """The "End it and start the new one" form of the open-interview prompt."""
    (form,) = [
        form
        for form in find_all(markup, "form", method="post")
        if form.find_all("input", name="end_open")
    ]
    return form


def confirm(client: Client, markup: str) -> HttpResponse:
    form = prompt_form(markup)
    return client.post(form.attrs["action"], form_data(form))


class TestOpenInterviewPrompt:
    def test_starting_a_new_interview_while_one_is_open_asks_first(
        self, owner_client: Client, open_interview: InterviewSession, fundamentals: Category
    ) -> None:
        before = state()

        response = owner_client.post(NEW_URL, new_interview_form(fundamentals))

        assert response.status_code == 409
        page = html(response)
        assert find_all(page, "h1")[0].words == PROMPT
        (resume,) = find_all(page, "a", href=f"/interviews/{open_interview.pk}/")
        assert resume.words == "Resume it"
        form = prompt_form(page)
        assert form.attrs["action"] == NEW_URL
        submitted = form_data(form)
        submitted.pop("csrfmiddlewaretoken")
        assert submitted == {
            "categories": [str(fundamentals.pk)],
            "question_count": ["2"],
            "seconds_per_item": ["60"],
            "include_scenarios": ["on"],
            "mode": ["timed"],
            "end_open": [str(open_interview.pk)],
        }
        assert state() == before

    def test_ending_the_open_one_starts_the_new_one(
        self,
        owner_client: Client,
        open_interview: InterviewSession,
        fundamentals: Category,
        clock: Any,
    ) -> None:
        asked = html(owner_client.post(NEW_URL, new_interview_form(fundamentals)))
        clock.move_to(T0 + timedelta(minutes=5), tick=False)

        response = confirm(owner_client, asked)

        new = InterviewSession.objects.exclude(pk=open_interview.pk).get()
        assert response.status_code == 302
        assert response["Location"] == f"/interviews/{new.pk}/"
        assert (new.status, new.seconds_per_item, new.items.count()) == (Status.IN_PROGRESS, 60, 2)
        open_interview.refresh_from_db()
        assert open_interview.status == Status.ENDED_EARLY
        assert open_interview.finished_at == T0 + timedelta(minutes=5)
        assert not open_interview.items.filter(grade__isnull=True, skipped=False).exists()

    def test_a_confirmation_for_another_interview_asks_again(
        self,
        owner_client: Client,
        owner: User,
        open_interview: InterviewSession,
        four_questions: list[Question],
        fundamentals: Category,
    ) -> None:
        asked = html(owner_client.post(NEW_URL, new_interview_form(fundamentals)))
        services.end_session(session=open_interview, now=T0)  # ended in another tab…
        opened_since = start_interview(owner, four_questions[2:])  # …and another one started
        before = state()

        response = confirm(owner_client, asked)  # still names the first one

        assert response.status_code == 409
        assert prompt_form(html(response)).find("input", name="end_open").attrs["value"] == str(
            opened_since.pk
        )
        assert state() == before

    @pytest.mark.parametrize("end_open", ["999999", "x", ""])
    def test_an_end_open_that_names_no_open_interview_asks_again(
        self,
        owner_client: Client,
        open_interview: InterviewSession,
        fundamentals: Category,
        end_open: str,
    ) -> None:
        before = state()

        response = owner_client.post(NEW_URL, new_interview_form(fundamentals, end_open=end_open))

        assert response.status_code == 409
        assert state() == before

    def test_practise_asks_too(
        self, owner_client: Client, open_interview: InterviewSession, four_questions: list[Question]
    ) -> None:
        before = state()

        asked = owner_client.post(PRACTISE_URL, {"numbers": ["4", "3"]})

        assert asked.status_code == 409
        form = prompt_form(html(asked))
        assert form.attrs["action"] == PRACTISE_URL
        assert form_data(form)["numbers"] == ["4", "3"]
        assert state() == before

        response = confirm(owner_client, html(asked))

        new = InterviewSession.objects.exclude(pk=open_interview.pk).get()
        assert response["Location"] == f"/interviews/{new.pk}/"
        asked_numbers = list(new.items.order_by("position").values_list("question__number"))
        assert asked_numbers == [(4,), (3,)]
        assert status_of(open_interview) == Status.ENDED_EARLY

    def test_retry_asks_too(
        self,
        owner_client: Client,
        owner: User,
        four_questions: list[Question],
        clock: Any,
    ) -> None:
        finished = start_interview(owner, four_questions[2:])
        answer_each(finished, [Grade.PARTIAL, Grade.PARTIAL])
        open_interview = start_interview(owner, four_questions[:2])
        retry_url = f"/interviews/{finished.pk}/retry/"
        before = state()

        asked = owner_client.post(retry_url)

        assert asked.status_code == 409
        assert find_all(html(asked), "h1")[0].words == PROMPT
        assert prompt_form(html(asked)).attrs["action"] == retry_url
        assert state() == before

        response = confirm(owner_client, html(asked))

        retry = InterviewSession.objects.exclude(pk__in=[finished.pk, open_interview.pk]).get()
        assert response["Location"] == f"/interviews/{retry.pk}/"
        retried = list(retry.items.order_by("position").values_list("question_id", flat=True))
        assert retried == [four_questions[2].pk, four_questions[3].pk]
        assert status_of(open_interview) == Status.ENDED_EARLY

    def test_the_new_interview_page_mentions_the_open_one(
        self, owner_client: Client, open_interview: InterviewSession
    ) -> None:
        page = html(owner_client.get(NEW_URL))

        (notice,) = find_all(page, "p", cls="message-info")
        assert notice.words.startswith(PROMPT)
        assert [link.words for link in notice.find_all("a")] == ["Resume it"]
        assert notice.find("a").attrs["href"] == f"/interviews/{open_interview.pk}/"

    def test_without_an_open_interview_it_neither_asks_nor_mentions_one(
        self,
        owner_client: Client,
        fundamentals: Category,
        four_questions: list[Question],
        clock: Any,
    ) -> None:
        assert not find_all(html(owner_client.get(NEW_URL)), "p", cls="message-info")

        response = owner_client.post(NEW_URL, new_interview_form(fundamentals))

        assert response.status_code == 302
        assert InterviewSession.objects.get().status == Status.IN_PROGRESS
