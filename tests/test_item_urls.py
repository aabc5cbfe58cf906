"""Each item's own address, and what one item's page says (issue 10).

`/interviews/<id>/items/<position>/` shows the current item live, an earlier one read-only with
its grade and a change form, and sends a later one to the current one; Back and reload land on
the item they showed (no stored stale pages). The overdue rule lives on `Item` and the page and
the reveal agree on it, grace period included. Follow-ups read as follow-ups, and the
new-interview form says how long an interview can be.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from questions.models import Category, Question, Scenario
from sessions import services
from sessions.models import Grade, InterviewSession, Item
from tests.cast import (
    HTMX,
    LIMIT,
    T0,
    anonymous,
    answer,
    html,
    item_url,
    logged_in,
    make_other_user,
    make_question,
    place_text,
    start_interview,
    state,
    summary_url,
)
from tests.dom import find_all

pytestmark = pytest.mark.django_db

RECORDED_AS_TIMED_OUT = "this question is recorded as timed out"
ALMOST_LATE = "a few seconds more and this question is recorded as timed out"
DEADLINE = T0 + timedelta(seconds=LIMIT)


class TestItemPages:
    def test_the_current_item_is_live(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        response = owner_client.get(item_url(session, 0))

        assert response.status_code == 200
        page = html(response)
        assert find_all(page, "textarea", name="notes")
        (form,) = find_all(page, "form", cls="reveal-form")
        assert form.attrs["action"] == item_url(session, 0, "reveal")
        assert find_all(page, "div", **{"data-timer": None})
        assert not find_all(page, "span", cls="grade-pill")
        assert not find_all(page, "form", cls="change-grade")

    def test_an_earlier_item_is_read_only_with_its_grade_and_the_change_form(
        self, owner_client: Client, session: InterviewSession, questions: list[Question]
    ) -> None:
        answer(session, Grade.SOLID, notes="What I said first.")

        page = html(owner_client.get(item_url(session, 0)))

        assert place_text(page) == "Question 1 of 3"
        assert questions[0].title in page
        assert not find_all(page, "textarea")
        assert not find_all(page, "form", cls="reveal-form")
        assert not find_all(page, "form", cls="grade-form")
        assert find_all(page, "span", cls="grade-pill")[0].words == "Solid"
        assert find_all(page, "div", cls="notes-text")[0].words == "What I said first."
        (form,) = find_all(page, "form", cls="change-grade")
        assert form.attrs["action"] == item_url(session, 0, "change")
        (selected,) = [o for o in form.find_all("option") if "selected" in o.attrs]
        assert selected.attrs["value"] == str(Grade.SOLID)
        back = find_all(page, "a", href=f"/interviews/{session.pk}/")
        assert [link.words for link in back] == ["Back to the current question"]

    def test_a_later_item_redirects_to_the_current_one(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        before = state()

        response = owner_client.get(item_url(session, 2))

        assert response.status_code == 302
        assert response["Location"] == item_url(session, 0)
        assert state() == before  # its clock did not start

    @pytest.mark.parametrize("position", [3, 99])
    def test_a_position_past_the_end_is_404(
        self, owner_client: Client, session: InterviewSession, position: int
    ) -> None:
        assert owner_client.get(item_url(session, position)).status_code == 404

    def test_a_position_past_the_end_of_a_finished_interview_is_404(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        for grade in (Grade.SOLID, Grade.SOLID, Grade.SOLID):
            answer(session, grade)

        assert owner_client.get(item_url(session, 2)).status_code == 200
        assert owner_client.get(item_url(session, 3)).status_code == 404

    @pytest.mark.parametrize("position", [0, 1])
    def test_another_users_item_is_404(self, session: InterviewSession, position: int) -> None:
        answer(session, Grade.SOLID, notes="private notes")
        before = state()

        response = logged_in(make_other_user()).get(item_url(session, position))

        assert response.status_code == 404
        assert "private notes" not in html(response)
        assert state() == before

    def test_anonymous_visitors_are_sent_to_log_in(self, session: InterviewSession) -> None:
        url = item_url(session, 0)

        response = anonymous().get(url)

        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"

    def test_the_interview_address_leads_to_the_current_item(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        answer(session, Grade.EXCELLENT)

        response = owner_client.get(f"/interviews/{session.pk}/")

        assert response.status_code == 302
        assert response["Location"] == item_url(session, 1)

    def test_an_item_page_over_htmx_replaces_its_own_address(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        url = item_url(session, 0)

        response = owner_client.get(url, HTTP_HX_CURRENT_URL=f"http://testserver{url}", **HTMX)

        assert response["HX-Replace-Url"] == url
        assert "HX-Push-Url" not in response

    def test_interview_pages_are_never_stored(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        answer(session, Grade.SOLID)
        urls = [item_url(session, 1), item_url(session, 0), "/interviews/new/"]
        services.end_session(session=session, now=T0)
        urls += [f"/interviews/{session.pk}/", summary_url(session)]

        for url in urls:
            response = owner_client.get(url)
            assert response.status_code == 200, url
            assert "no-store" in response["Cache-Control"], url


class TestGracePeriod:
    """After the deadline, a reveal within the grace is on time; the page says the same."""

    def test_a_reload_inside_the_grace_does_not_say_timed_out(
        self, owner_client: Client, session: InterviewSession, clock: Any
    ) -> None:
        clock.move_to(DEADLINE + timedelta(seconds=2), tick=False)

        page = html(owner_client.get(item_url(session, 0)))

        assert ALMOST_LATE in page
        assert RECORDED_AS_TIMED_OUT not in page.replace(ALMOST_LATE, "")
        response = owner_client.post(item_url(session, 0, "reveal"), {"notes": "", "timed_out": ""})
        assert response.status_code == 302
        assert session.items.get(position=0).timed_out is False

    def test_a_reload_after_the_grace_says_timed_out_and_the_reveal_records_it(
        self, owner_client: Client, session: InterviewSession, clock: Any
    ) -> None:
        clock.move_to(DEADLINE + timedelta(seconds=4), tick=False)

        page = html(owner_client.get(item_url(session, 0)))

        assert "Time's up. Reveal the answer to see how you did; " + RECORDED_AS_TIMED_OUT in page
        assert ALMOST_LATE not in page
        owner_client.post(item_url(session, 0, "reveal"), {"notes": "", "timed_out": ""})
        assert session.items.get(position=0).timed_out is True

    def test_the_grace_comes_from_the_setting(
        self, owner_client: Client, session: InterviewSession, clock: Any, settings: Settings
    ) -> None:
        settings.INTERVIEW_GRACE_SECONDS = 10
        clock.move_to(DEADLINE + timedelta(seconds=8), tick=False)

        page = html(owner_client.get(item_url(session, 0)))

        assert ALMOST_LATE in page
        owner_client.post(item_url(session, 0, "reveal"), {"notes": ""})
        assert session.items.get(position=0).timed_out is False

    def test_before_the_deadline_the_page_says_nothing_about_time(
        self, owner_client: Client, session: InterviewSession, clock: Any
    ) -> None:
        clock.move_to(DEADLINE - timedelta(seconds=1), tick=False)

        page = html(owner_client.get(item_url(session, 0)))

        assert "Time's up" not in page
        (timer,) = find_all(page, "div", **{"data-timer": None})
        assert timer.attrs["data-remaining-ms"] == "1000"


def timed_item(deadline: datetime | None = DEADLINE) -> Item:
    return Item(shown_at=T0, deadline_at=deadline, time_limit_seconds=LIMIT)


GRACE = timedelta(seconds=3)  # settings.INTERVIEW_GRACE_SECONDS, by default
TICK = timedelta(microseconds=1)


class TestTheOverdueRule:
    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (T0, timedelta(seconds=LIMIT)),
            (DEADLINE - TICK, TICK),
            (DEADLINE, timedelta(0)),
            (DEADLINE + timedelta(hours=1), timedelta(0)),  # never negative
        ],
    )
    def test_remaining(self, now: datetime, expected: timedelta) -> None:
        assert timed_item().remaining(now) == expected

    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (DEADLINE, False),
            (DEADLINE + GRACE, False),  # the last instant of the grace is still on time
            (DEADLINE + GRACE + TICK, True),
        ],
    )
    def test_is_overdue(self, now: datetime, expected: bool) -> None:
        assert timed_item().is_overdue(now) is expected

    @pytest.mark.parametrize(
        ("now", "browser_saw_zero", "expected"),
        [
            (DEADLINE + GRACE, False, False),
            (DEADLINE + GRACE + TICK, False, True),
            # The browser's countdown may reach zero a little early, never hide a late reveal.
            (DEADLINE - GRACE, True, True),
            (DEADLINE - GRACE - TICK, True, False),
            (DEADLINE + GRACE + TICK, True, True),
        ],
    )
    def test_times_out(self, now: datetime, browser_saw_zero: bool, expected: bool) -> None:
        assert timed_item().times_out(now, browser_saw_zero=browser_saw_zero) is expected

    def test_an_item_without_a_clock_is_never_late(self) -> None:
        untimed = timed_item(deadline=None)
        late = DEADLINE + timedelta(days=1)

        assert untimed.remaining(late) is None
        assert untimed.is_overdue(late) is False
        assert untimed.times_out(late, browser_saw_zero=True) is False

    def test_the_grace_follows_the_setting(self, settings: Settings) -> None:
        settings.INTERVIEW_GRACE_SECONDS = 0

        assert timed_item().is_overdue(DEADLINE + TICK) is True
        assert timed_item().times_out(DEADLINE, browser_saw_zero=True) is True
        assert timed_item().times_out(DEADLINE - TICK, browser_saw_zero=True) is False


@pytest.fixture
def with_followups(owner: User, clock: Any) -> InterviewSession:
    """Question 1 with two follow-up scenarios, then question 2 with none."""
    first, second = make_question(1, title="Explain attention."), make_question(2)
    for position, label in enumerate(["1.1", "1.2"]):
        Scenario.objects.create(
            question=first,
            label=label,
            position=position,
            prompt=f"Scenario {label}: the context window is full.",
            answer="Truncate.",
        )
    return start_interview(owner, [first, second], include_scenarios=True)


class TestFollowUpLabels:
    def test_progress_counts_questions_and_follow_ups_apart(
        self, owner_client: Client, with_followups: InterviewSession
    ) -> None:
        shown = []
        for position in range(4):
            page = html(owner_client.get(item_url(with_followups, position)))
            shown.append(place_text(page))
            if position < 3:
                answer(with_followups, Grade.SOLID)

        assert shown == [
            "Question 1 of 2",
            "Question 1 of 2 · follow-up 1 of 2",
            "Question 1 of 2 · follow-up 2 of 2",
            "Question 2 of 2",
        ]

    def test_a_follow_up_repeats_its_parent_questions_title(
        self, owner_client: Client, with_followups: InterviewSession
    ) -> None:
        answer(with_followups, Grade.SOLID)
        # The title as it was asked: an editor's later revision does not change it.
        Question.objects.filter(number=1).update(title="Explain attention, revised.")

        page = html(owner_client.get(item_url(with_followups, 1)))

        (parent,) = find_all(page, "span", cls="item-parent")
        assert parent.words == "Explain attention."
        assert find_all(page, "div", id_="item-prompt")[0].words == (
            "Scenario 1.1: the context window is full."
        )
        assert find_all(page, "span", cls="tag-scenario")

    def test_a_plain_question_has_no_parent_line(
        self, owner_client: Client, with_followups: InterviewSession
    ) -> None:
        for _ in range(3):
            answer(with_followups, Grade.SOLID)

        page = html(owner_client.get(item_url(with_followups, 3)))

        assert not find_all(page, "span", cls="item-parent")
        assert find_all(page, "span", cls="item-title")[0].words == "Question 2?"


@pytest.fixture
def small_bank() -> Category:
    """Six active questions, the first with two follow-ups and the second with one; a retired
    question with many follow-ups does not count."""
    category = Category.objects.create(name="Fundamentals", slug="fundamentals")
    questions = [make_question(number, category=category) for number in range(1, 7)]
    retired = make_question(7, category=category, is_active=False)
    for question, labels in [
        (questions[0], ["1.1", "1.2"]),
        (questions[1], ["2.1"]),
        (retired, ["7.1", "7.2", "7.3", "7.4"]),
    ]:
        for label in labels:
            Scenario.objects.create(question=question, label=label, prompt="?", answer="!")
    return category


def length_line(markup: str) -> str:
    (output,) = find_all(markup, "output", id_="interview-length")
    return output.words


class TestInterviewLength:
    def test_the_new_interview_form_says_how_long_at_most(
        self, owner_client: Client, small_bank: Category
    ) -> None:
        # The defaults: 5 questions of 120 s, with follow-ups, timed: (5 + 3) × 2 min.
        page = html(owner_client.get("/interviews/new/"))

        assert length_line(page) == "5 questions + up to 3 follow-ups, at most 16 min"

    @pytest.mark.parametrize(
        ("settings_", "expected"),
        [
            ({"question_count": "2"}, "2 questions + up to 3 follow-ups, at most 2 min 30 s"),
            ({"question_count": "1"}, "1 question + up to 2 follow-ups, at most 1 min 30 s"),
            ({"include_scenarios": None}, "2 questions, at most 1 min"),
            ({"mode": "practice"}, "2 questions + up to 3 follow-ups, no clock"),
        ],
    )
    def test_the_length_line_follows_the_settings(
        self,
        owner_client: Client,
        small_bank: Category,
        settings_: dict[str, str | None],
        expected: str,
    ) -> None:
        query: dict[str, str | None] = {
            "categories": str(small_bank.pk),
            "question_count": "2",
            "seconds_per_item": "30",
            "include_scenarios": "on",
            "mode": "timed",
            **settings_,
        }
        params = {name: value for name, value in query.items() if value is not None}

        response = owner_client.get("/interviews/new/length/", params)

        assert response.status_code == 200
        assert response.content.decode() == expected

    @pytest.mark.parametrize(
        ("settings_", "problem"),
        [
            ({"question_count": "0"}, "Ensure this value is greater than or equal to 1."),
            ({"question_count": "7"}, "The chosen categories have 6 questions; choose 6 or fewer."),
            ({"seconds_per_item": "x"}, "Enter the time as whole minutes and seconds."),
            ({"categories": None}, "Choose at least one category."),
        ],
    )
    def test_invalid_settings_get_the_fix_the_fields_line_instead_of_a_length(
        self,
        owner_client: Client,
        small_bank: Category,
        settings_: dict[str, str | None],
        problem: str,
    ) -> None:
        query = {
            "categories": str(small_bank.pk),
            "question_count": "2",
            "seconds_per_item": "30",
            "mode": "timed",
            **settings_,
        }

        response = owner_client.get(
            "/interviews/new/length/", {k: v for k, v in query.items() if v is not None}
        )

        line = response.content.decode()
        assert response.status_code == 200
        assert line.startswith(problem)
        assert "at most" not in line
        assert "follow-up" not in line

    def test_the_form_asks_for_the_length_line_as_it_changes(
        self, owner_client: Client, small_bank: Category
    ) -> None:
        (form,) = find_all(html(owner_client.get("/interviews/new/")), "form", cls="form-stack")

        assert form.attrs["hx-get"] == "/interviews/new/length/"
        assert form.attrs["hx-target"] == "#interview-length"

    def test_the_length_line_needs_a_login(self, small_bank: Category) -> None:
        response = anonymous().get("/interviews/new/length/", {"question_count": "2"})

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
