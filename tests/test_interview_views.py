"""The interview pages through the test client: starting, answering, grading, ending, reviewing.

Every action is exercised as a plain form post (redirects, no JavaScript) and as an HTMX request
(fragment swaps). The clock is moved with time-machine, never slept through.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client

from questions.bank import ParsedBank
from questions.importing import import_bank
from questions.models import Category, Question
from sessions import services
from sessions.models import Grade, InterviewSession, Item
from tests.cast import (
    HTMX,
    LIMIT,
    T0,
    answer_each,
    give_key_points,
    html,
    item_url,
    logged_in,
    make_other_user,
    make_question,
    make_user,
    messages_shown,
    start_interview,
    stat,
    state,
    summary_url,
)
from tests.dom import find_all

pytestmark = pytest.mark.django_db

NEW_URL = "/interviews/new/"
# Queries the grade → next item step may spend, whatever the bank size, the number of key points
# or the user's history: 13 (the ticks' UPDATE and the two of the dashboard's tallies among
# them, the session read once with its lock, the test's savepoint pair), and 2 more for a grade
# that counts toward the schedule, as these do (test_grade_corrections has the budget of one
# that does not).
GRADE_STEP_BUDGET = 13 + 2
FRAGMENT_LIMIT = 15_000
FINISHED_MESSAGE = "This interview has finished; it can no longer be changed."
STALE_MESSAGE = "That question is no longer the current one; here is where the interview stands."
GRADE_MESSAGE = "Choose one of the four grades: Missed, Partial, Solid or Excellent."


# URLs.
def detail_url(session: InterviewSession) -> str:
    return f"/interviews/{session.pk}/"


def reveal(
    client: Client,
    session: InterviewSession,
    position: int,
    *,
    notes: str = "",
    headers: dict[str, str] | None = None,
    **data: str,
) -> HttpResponse:
    url = item_url(session, position, "reveal")
    return client.post(url, {"notes": notes, **data}, **(headers or {}))


def grade(
    client: Client, session: InterviewSession, position: int, value: object, **headers: Any
) -> HttpResponse:
    return client.post(item_url(session, position, "grade"), {"grade": value}, **headers)


# Reading pages.
def current_page(client: Client, session: InterviewSession) -> str:
    """The interview as a reload shows it: its address leads to the current item's own page."""
    response = client.get(detail_url(session))
    session.refresh_from_db()
    assert session.is_open
    assert (response.status_code, response["Location"]) == (
        302,
        item_url(session, session.current_position),
    )
    return html(client.get(response["Location"]))


def remaining_ms(markup: str) -> int:
    (timer,) = find_all(markup, "div", **{"data-timer": None})
    return int(timer.attrs["data-remaining-ms"])


def is_fragment(markup: str) -> bool:
    stripped = markup.lstrip()
    return (
        stripped.startswith('<section id="interview"')
        and stripped.rstrip().endswith("</section>")
        and "<html" not in markup
        and "<body" not in markup
    )


# Every interview URL, with what a request to it posts.
INTERVIEW_REQUESTS = [
    pytest.param("get", "", {}, id="detail"),
    pytest.param("get", "items/0/", {}, id="item"),
    pytest.param("get", "summary/", {}, id="summary"),
    pytest.param("get", "end/", {}, id="end-get"),
    pytest.param("post", "end/", {}, id="end-post"),
    pytest.param("post", "retry/", {}, id="retry"),
    pytest.param("post", "items/0/notes/", {"notes": "sneaky"}, id="notes"),
    pytest.param("post", "items/0/reveal/", {"notes": "sneaky"}, id="reveal"),
    pytest.param("post", "items/0/grade/", {"grade": "3"}, id="grade"),
]


class TestAccess:
    @pytest.mark.parametrize(("method", "suffix", "data"), [*INTERVIEW_REQUESTS])
    def test_it_sends_anonymous_visitors_to_log_in(
        self, session: InterviewSession, method: str, suffix: str, data: dict[str, str]
    ) -> None:
        url = detail_url(session) + suffix
        before = state()

        response = getattr(Client(), method)(url, data)

        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"
        assert state() == before

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_the_new_interview_page_requires_login(self, method: str) -> None:
        response = getattr(Client(), method)(NEW_URL)

        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={NEW_URL}"

    @pytest.mark.parametrize(("method", "suffix", "data"), [*INTERVIEW_REQUESTS])
    def test_it_hides_other_users_sessions(
        self, session: InterviewSession, method: str, suffix: str, data: dict[str, str]
    ) -> None:
        services.reveal_item(session=session, position=0, notes="mine", now=T0)
        intruder = logged_in(make_other_user())
        before = state()

        response = getattr(intruder, method)(detail_url(session) + suffix, data)

        assert response.status_code == 404
        assert "mine" not in html(response)
        assert state() == before

    @pytest.mark.parametrize(
        ("method", "suffix", "data", "expected"),
        [
            ("get", "", {}, "→ items/0/"),
            ("get", "items/0/", {}, "mine"),
            ("get", "summary/", {}, "→ "),
            ("get", "end/", {}, "End this interview now?"),
            ("post", "end/", {}, "→ "),
            ("post", "retry/", {}, "→ summary/"),
            ("post", "items/0/notes/", {"notes": "sneaky"}, ""),
            ("post", "items/0/reveal/", {"notes": "sneaky"}, "→ items/0/"),
            ("post", "items/0/grade/", {"grade": "3"}, "→ items/1/"),
        ],
    )
    def test_the_same_urls_work_for_the_owner(
        self,
        owner_client: Client,
        session: InterviewSession,
        method: str,
        suffix: str,
        data: dict[str, str],
        expected: str,
    ) -> None:
        """The control for the test above: what 404s for the intruder works for the owner."""
        services.reveal_item(session=session, position=0, notes="mine", now=T0)

        response = getattr(owner_client, method)(detail_url(session) + suffix, data)

        if expected.startswith("→ "):
            assert response.status_code == 302
            assert response["Location"] == detail_url(session) + expected.removeprefix("→ ")
        else:
            assert response.status_code in {200, 204}
            assert expected in html(response)

    def test_it_hides_other_users_finished_sessions(self, session: InterviewSession) -> None:
        services.end_session(session=session, now=T0)
        intruder = logged_in(make_other_user())

        for suffix in ["", "summary/"]:
            assert intruder.get(detail_url(session) + suffix).status_code == 404
        assert intruder.post(detail_url(session) + "retry/").status_code == 404
        assert InterviewSession.objects.count() == 1

    @pytest.mark.parametrize(
        ("method", "url"),
        [
            ("get", "/interviews/999999/"),
            ("get", "/interviews/999999/summary/"),
            ("get", "/interviews/abc/"),
            ("post", "/interviews/999999/items/0/reveal/"),
            ("post", "/interviews/{pk}/items/x/grade/"),
            ("post", "/interviews/{pk}/items/-1/reveal/"),
            ("post", "/interviews/{pk}/items/0/grade/extra/"),
        ],
    )
    def test_it_404s_on_malformed_or_unknown_ids(
        self, owner_client: Client, session: InterviewSession, method: str, url: str
    ) -> None:
        before = state()

        response = getattr(owner_client, method)(
            url.format(pk=session.pk), {"notes": "", "grade": "1"}
        )

        assert response.status_code == 404
        assert state() == before

    def test_a_position_past_the_end_is_not_current(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        before = state()

        response = owner_client.post(item_url(session, 99, "notes"), {"notes": "nowhere"})

        assert response.status_code == 409
        assert STALE_MESSAGE in html(response)
        assert state() == before

    def test_actions_only_accept_post(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        for action in ["notes", "reveal", "grade"]:
            assert owner_client.get(item_url(session, 0, action)).status_code == 405
        assert owner_client.get(detail_url(session) + "retry/").status_code == 405
        assert Item.objects.get(session=session, position=0).revealed_at is None


class TestNewInterviewForm:
    def test_it_offers_the_defaults(self, bank: ParsedBank, owner_client: Client) -> None:
        page = html(owner_client.get(NEW_URL))

        (count,) = find_all(page, "input", name="question_count")
        # The time per question in minutes and seconds: 2 min 00 s.
        (minutes,) = find_all(page, "input", name="seconds_per_item_minutes")
        (seconds,) = find_all(page, "input", name="seconds_per_item_seconds")
        assert count.attrs["value"] == "5"
        assert (minutes.attrs["value"], seconds.attrs["value"]) == ("2", "00")
        assert (minutes.attrs["max"], seconds.attrs["max"]) == ("15", "59")
        assert find_all(page, "input", name="include_scenarios", checked=None)
        (mode,) = find_all(page, "input", name="mode", checked=None)
        assert mode.attrs["value"] == "timed"
        boxes = find_all(page, "input", name="categories")
        assert len(boxes) == Category.objects.count() == 13
        assert all("checked" in box.attrs for box in boxes)

    def test_it_starts_an_interview_with_the_chosen_settings(
        self, bank: ParsedBank, owner_client: Client, owner: User
    ) -> None:
        fundamentals = Category.objects.get(name="Fundamentals and Basics")

        response = owner_client.post(
            NEW_URL,
            {
                "categories": [fundamentals.pk],
                "question_count": "3",
                # As the page sends it: 1 min 30 s (scripts may send "seconds_per_item": "90").
                "seconds_per_item_minutes": "1",
                "seconds_per_item_seconds": "30",
                "include_scenarios": "on",
                "mode": "timed",
            },
        )

        session = InterviewSession.objects.get()
        assert response.status_code == 302
        assert response["Location"] == detail_url(session)
        assert session.user == owner
        assert (session.mode, session.seconds_per_item, session.include_scenarios) == (
            "timed",
            90,
            True,
        )
        items = list(session.items.order_by("position"))
        # Every question in this category has one follow-up, asked right after it.
        assert [item.kind for item in items] == ["question", "scenario"] * 3
        assert {item.category_id for item in items} == {fundamentals.pk}
        assert {item.time_limit_seconds for item in items} == {90}

    def test_practice_mode_shows_no_clock(self, bank: ParsedBank, owner_client: Client) -> None:
        response = owner_client.post(
            NEW_URL,
            {
                "categories": [c.pk for c in Category.objects.all()],
                "question_count": "2",
                "seconds_per_item": "120",
                "mode": "practice",
            },
            follow=True,
        )

        session = InterviewSession.objects.get()
        assert session.mode == "practice"
        assert not session.items.filter(kind=Item.Kind.SCENARIO).exists()  # box left unticked
        assert session.items.get(position=0).deadline_at is None
        page = html(response)
        assert "Practice · no clock" in page
        assert not find_all(page, "div", **{"data-timer": None})

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            pytest.param(
                {"categories": ["999999"]},
                "categories",
                "Select a valid choice. 999999 is not one of the available choices.",
                id="unknown-category",
            ),
            pytest.param(
                {"categories": ["abc"]}, "categories", "“abc” is not a valid value.", id="bad-id"
            ),
            pytest.param(
                {"categories": []}, "categories", "Choose at least one category.", id="none"
            ),
            pytest.param(
                {"question_count": "0"},
                "question_count",
                "Ensure this value is greater than or equal to 1.",
                id="count-0",
            ),
            pytest.param(
                {"question_count": "31"},
                "question_count",
                "Ensure this value is less than or equal to 30.",
                id="count-31",
            ),
            pytest.param(
                {"question_count": "eleven"},
                "question_count",
                "Enter a whole number.",
                id="count-text",
            ),
            pytest.param(
                {"categories": ["FUNDAMENTALS"], "question_count": "11"},
                "question_count",
                "The chosen categories have 10 questions; choose 10 or fewer.",
                id="count-more-than-exist",
            ),
            pytest.param(
                {"seconds_per_item": "14"},
                "seconds_per_item",
                "At least 15 s per question.",
                id="seconds-14",
            ),
            pytest.param(
                {"seconds_per_item": "901"},
                "seconds_per_item",
                "At most 15 min per question.",
                id="seconds-901",
            ),
            pytest.param(
                {"seconds_per_item_minutes": "0", "seconds_per_item_seconds": "14"},
                "seconds_per_item",
                "At least 15 s per question.",
                id="minutes-seconds-14",
            ),
            pytest.param(
                {"seconds_per_item_minutes": "15", "seconds_per_item_seconds": "01"},
                "seconds_per_item",
                "At most 15 min per question.",
                id="minutes-seconds-901",
            ),
            pytest.param(
                {"seconds_per_item_minutes": "two", "seconds_per_item_seconds": ""},
                "seconds_per_item",
                "Enter the time as whole minutes and seconds.",
                id="minutes-text",
            ),
            pytest.param(
                {"mode": "marathon"},
                "mode",
                "Select a valid choice. marathon is not one of the available choices.",
                id="mode",
            ),
        ],
    )
    def test_it_rerenders_invalid_input_with_errors_and_creates_nothing(
        self, bank: ParsedBank, owner_client: Client, changes: dict, field: str, message: str
    ) -> None:
        fundamentals = Category.objects.get(name="Fundamentals and Basics")
        data: dict[str, Any] = {
            "categories": [c.pk for c in Category.objects.all()],
            "question_count": "5",
            # The page's two boxes; a bare total in seconds (scripts) takes precedence.
            "seconds_per_item_minutes": "2",
            "seconds_per_item_seconds": "00",
            "include_scenarios": "on",
            "mode": "timed",
        }
        data.update(changes)
        data["categories"] = [
            fundamentals.pk if c == "FUNDAMENTALS" else c for c in data["categories"]
        ]

        response = owner_client.post(NEW_URL, data)

        assert response.status_code == 400
        page = html(response)
        errors = find_all(page, "ul", cls="errorlist", id=f"id_{field}_error")
        assert [li.words for ul in errors for li in ul.elements] == [message]
        assert find_all(page, "form", action=NEW_URL)
        assert not InterviewSession.objects.exists()
        assert not Item.objects.exists()

    def test_it_keeps_what_was_typed_when_rerendering(
        self, bank: ParsedBank, owner_client: Client
    ) -> None:
        response = owner_client.post(
            NEW_URL, {"question_count": "31", "seconds_per_item": "200", "mode": "practice"}
        )

        page = html(response)
        assert find_all(page, "input", name="question_count")[0].attrs["value"] == "31"
        minutes = find_all(page, "input", name="seconds_per_item_minutes")[0]
        seconds = find_all(page, "input", name="seconds_per_item_seconds")[0]
        assert (minutes.attrs["value"], seconds.attrs["value"]) == ("3", "20")
        (mode,) = find_all(page, "input", name="mode", checked=None)
        assert mode.attrs["value"] == "practice"


class TestInterviewPage:
    def test_it_shows_one_item_with_progress_and_a_notes_box(
        self, owner_client: Client, session: InterviewSession, questions: list[Question]
    ) -> None:
        page = current_page(owner_client, session)

        assert "Question 1 of 3" in page
        (heading,) = find_all(page, "h1", id="item-heading")
        assert questions[0].title in heading.words
        assert questions[1].title not in page
        (notes,) = find_all(page, "textarea", name="notes")
        assert find_all(page, "label", for_="notes")
        assert notes.attrs["maxlength"] == "10000"
        (form,) = find_all(page, "form", action=item_url(session, 0, "reveal"))
        assert "Reveal answer" in form.words
        assert remaining_ms(page) == LIMIT * 1000
        assert questions[0].answer not in page  # not before the reveal

    def test_it_shows_the_answer_and_grade_buttons_after_the_reveal(
        self, owner_client: Client, session: InterviewSession, questions: list[Question]
    ) -> None:
        reveal(owner_client, session, 0, notes="My <b>answer</b>")
        page = current_page(owner_client, session)

        assert "My &lt;b&gt;answer&lt;/b&gt;" in page
        assert questions[0].answer in page
        buttons = find_all(page, "button", name="grade")
        assert [b.attrs["value"] for b in buttons] == ["0", "1", "2", "3"]
        assert [b.attrs["aria-keyshortcuts"] for b in buttons] == ["1", "2", "3", "4"]
        labels = [b.words for b in buttons]
        assert labels[1].startswith("2 Partial Right direction")
        assert [label.split()[1] for label in labels] == ["Missed", "Partial", "Solid", "Excellent"]
        assert not find_all(page, "textarea", name="notes")

    def test_a_follow_up_scenario_is_labelled(
        self, bank: ParsedBank, owner_client: Client, owner: User, clock: Any
    ) -> None:
        session = start_interview(owner, [Question.objects.get(number=1)], include_scenarios=True)
        answer_each(session, [Grade.SOLID])

        page = current_page(owner_client, session)

        # Follow-ups are counted apart from questions: one question, and its one follow-up.
        assert "Question 1 of 1 · follow-up 1 of 1" in page
        assert "Question 2 of 2" not in page
        assert "Follow-up scenario 1.1" in page
        assert find_all(page, "span", cls="tag-scenario")

    def test_the_notes_draft_is_saved_and_shown_on_reload(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        response = owner_client.post(item_url(session, 0, "notes"), {"notes": "Draft <i>one</i>"})

        assert response.status_code == 204
        assert session.items.get(position=0).notes == "Draft <i>one</i>"
        page = current_page(owner_client, session)
        (notes,) = find_all(page, "textarea", name="notes")
        assert notes.words == "Draft <i>one</i>"  # escaped in the page, parsed back here
        assert "Draft &lt;i&gt;one&lt;/i&gt;" in page

    def test_a_reload_neither_stops_nor_restarts_the_clock(
        self, owner_client: Client, session: InterviewSession, clock: Any
    ) -> None:
        clock.move_to(T0 + timedelta(seconds=20), tick=False)

        page = current_page(owner_client, session)

        assert remaining_ms(page) == (LIMIT - 20) * 1000
        assert session.items.get(position=0).deadline_at == T0 + timedelta(seconds=LIMIT)
        assert "Time's up" not in page

    def test_a_reload_after_the_deadline_shows_times_up_and_the_reveal_is_timed_out(
        self, owner_client: Client, session: InterviewSession, clock: Any
    ) -> None:
        clock.move_to(T0 + timedelta(seconds=LIMIT + 1), tick=False)

        page = current_page(owner_client, session)

        assert remaining_ms(page) == 0
        assert "Time's up. Reveal the answer" in page
        clock.move_to(T0 + timedelta(seconds=LIMIT + 4), tick=False)  # past the grace, too
        response = reveal(owner_client, session, 0, notes="late", timed_out="", headers=HTMX)
        assert response.status_code == 200
        assert find_all(html(response), "span", cls="badge-danger")
        item = session.items.get(position=0)
        assert (item.timed_out, item.revealed_at) == (True, T0 + timedelta(seconds=LIMIT + 4))
        assert item.time_taken == timedelta(seconds=LIMIT + 4)


class TestPlainFormFlow:
    def test_a_whole_interview_works_without_javascript(
        self, bank: ParsedBank, owner_client: Client, clock: Any
    ) -> None:
        fundamentals = Category.objects.get(name="Fundamentals and Basics")
        response = owner_client.post(
            NEW_URL,
            {
                "categories": [fundamentals.pk],
                "question_count": "2",
                "seconds_per_item": str(LIMIT),
                "include_scenarios": "on",
                "mode": "timed",
            },
        )
        session = InterviewSession.objects.get()
        assert response["Location"] == detail_url(session)
        # (seconds since T0 to reveal, to grade, grade) for the four items.
        script = [(30, 35, Grade.EXCELLENT), (99, 100, Grade.PARTIAL), (110, 111, Grade.SOLID)]
        script.append((121, 122, Grade.MISSED))

        # Two questions, each with its one follow-up.
        places = [
            "Question 1 of 2",
            "Question 1 of 2 · follow-up 1 of 1",
            "Question 2 of 2",
            "Question 2 of 2 · follow-up 1 of 1",
        ]

        for position, (reveal_at, grade_at, value) in enumerate(script):
            page = current_page(owner_client, session)
            assert places[position] in page
            clock.move_to(T0 + timedelta(seconds=reveal_at), tick=False)
            response = reveal(owner_client, session, position, notes=f"notes {position}")
            assert (response.status_code, response["Location"]) == (
                302,
                item_url(session, position),
            )
            assert "Model answer" in html(owner_client.get(response["Location"]))
            clock.move_to(T0 + timedelta(seconds=grade_at), tick=False)
            response = grade(owner_client, session, position, int(value))
            # On to the next item's page; after the last one, to the interview (its summary).
            after = item_url(session, position + 1) if position < 3 else detail_url(session)
            assert (response.status_code, response["Location"]) == (302, after)

        session.refresh_from_db()
        assert session.status == InterviewSession.Status.FINISHED
        assert session.finished_at == T0 + timedelta(seconds=122)
        items = list(session.items.order_by("position"))
        assert [i.grade for i in items] == [3, 1, 2, 0]
        assert [i.timed_out for i in items] == [False, True, False, False]
        assert [i.notes for i in items] == ["notes 0", "notes 1", "notes 2", "notes 3"]
        summary = html(owner_client.get(detail_url(session)))
        assert "Interview summary" in summary
        assert stat(summary, "score") == "50%"  # 6 of 12 points
        assert "Score (6 of 12 points)" in summary
        assert stat(summary, "graded") == "4"
        assert stat(summary, "unanswered") == "0"
        assert stat(summary, "timed-out") == "1"
        assert stat(summary, "total-time") == "1 min 54 s"  # 30 + 64 + 10 + 10 seconds
        summary_page = html(owner_client.get(summary_url(session)))
        for name in ["score", "graded", "unanswered", "timed-out", "total-time"]:
            assert stat(summary_page, name) == stat(summary, name)


class TestHtmxFlow:
    def test_reveal_returns_only_the_interview_fragment(
        self, owner_client: Client, session: InterviewSession, questions: list[Question]
    ) -> None:
        response = reveal(owner_client, session, 0, notes="typed", headers=HTMX)

        assert response.status_code == 200
        fragment = html(response)
        assert is_fragment(fragment)
        assert questions[0].answer in fragment
        assert find_all(fragment, "form", action=item_url(session, 0, "grade"))
        assert session.items.get(position=0).revealed_at == T0

    def test_grade_returns_the_next_items_fragment(
        self, owner_client: Client, session: InterviewSession, questions: list[Question], clock: Any
    ) -> None:
        reveal(owner_client, session, 0, headers=HTMX)
        clock.move_to(T0 + timedelta(seconds=12), tick=False)

        response = grade(owner_client, session, 0, 2, **HTMX)

        assert response.status_code == 200
        fragment = html(response)
        assert is_fragment(fragment)
        assert "Question 2 of 3" in fragment
        assert questions[1].title in fragment
        assert questions[0].title not in fragment
        assert find_all(fragment, "form", action=item_url(session, 1, "reveal"))
        assert remaining_ms(fragment) == LIMIT * 1000
        shown = session.items.get(position=1)
        assert (shown.shown_at, shown.deadline_at) == (
            T0 + timedelta(seconds=12),
            T0 + timedelta(seconds=12 + LIMIT),
        )

    def test_the_last_grade_redirects_the_browser_to_the_session_page(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        for position in range(3):
            reveal(owner_client, session, position, headers=HTMX)
            response = grade(owner_client, session, position, 3, **HTMX)

        assert response.status_code == 200
        assert response["HX-Redirect"] == detail_url(session)
        session.refresh_from_db()
        assert session.status == InterviewSession.Status.FINISHED
        assert stat(html(owner_client.get(response["HX-Redirect"])), "score") == "100%"

    def test_the_fragments_stay_small(
        self, bank: ParsedBank, owner_client: Client, owner: User, clock: Any
    ) -> None:
        longest = sorted(Question.objects.all(), key=lambda q: len(q.answer))[-2:]
        with_scenario = max(
            Question.objects.filter(scenarios__isnull=False),
            key=lambda q: len(q.scenarios.get().answer),
        )
        session = start_interview(owner, [*longest, with_scenario], include_scenarios=True)
        current_page(owner_client, session)
        sizes = []
        for position in range(4):
            revealed = reveal(owner_client, session, position, notes="x" * 200, headers=HTMX)
            graded = grade(owner_client, session, position, 1, **HTMX)
            # Real steps, not refusals: every reveal shows the answer, every grade moves on.
            assert revealed.status_code == graded.status_code == 200
            assert session.items.get(position=position).grade == 1
            sizes.append(len(revealed.content))
            if position < 3:
                sizes.append(len(graded.content))

        assert max(sizes) < FRAGMENT_LIMIT, sizes


class TestGradeStepQueries:
    def grade_step(self, client: Client, session: InterviewSession, budget_fixture: Any) -> int:
        current_page(client, session)
        assert reveal(client, session, 0, headers=HTMX).status_code == 200
        ticks = {"grade": "2", "key_points_listed": "on", "covered": ["0"]}
        with budget_fixture(GRADE_STEP_BUDGET) as captured:
            response = client.post(item_url(session, 0, "grade"), ticks, **HTMX)
        assert response.status_code == 200
        # The step moved on: the next item (a question or a follow-up) is live.
        assert find_all(html(response), "form", action=item_url(session, 1, "reveal"))
        return len(captured)

    def test_it_runs_a_fixed_number_of_queries(
        self, parsed_bank: ParsedBank, django_assert_max_num_queries, clock: Any
    ) -> None:
        newcomer = make_user("newcomer")
        tiny_bank = [make_question(number) for number in range(1001, 1004)]
        for question in tiny_bank:
            give_key_points(question, "The one point.")
        first = self.grade_step(
            logged_in(newcomer), start_interview(newcomer, tiny_bank), django_assert_max_num_queries
        )

        import_bank(parsed_bank)
        veteran = make_user("veteran")
        bank_questions = list(Question.objects.order_by("number"))
        for offset in range(30):
            past = start_interview(veteran, bank_questions[offset * 3 : offset * 3 + 3])
            answer_each(past, [Grade.PARTIAL, Grade.SOLID, Grade.MISSED])
        assert InterviewSession.objects.filter(user=veteran).count() == 30
        current = start_interview(veteran, bank_questions[:4], include_scenarios=True)
        later = self.grade_step(logged_in(veteran), current, django_assert_max_num_queries)

        assert current.items.get(position=0).key_points.count() > 1  # more than the tiny bank's
        assert first == later <= GRADE_STEP_BUDGET


class TestRefusals:
    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
    def test_it_refuses_notes_over_ten_thousand_characters(
        self, owner_client: Client, session: InterviewSession, headers: dict
    ) -> None:
        owner_client.post(item_url(session, 0, "notes"), {"notes": "kept draft"})
        before = state()

        too_long = reveal(owner_client, session, 0, notes="y" * 10_001, headers=headers)
        autosave = owner_client.post(
            item_url(session, 0, "notes"), {"notes": "y" * 10_001}, **headers
        )

        message = "Ensure this value has at most 10000 characters (it has 10001)."
        assert too_long.status_code == 400
        assert message in html(too_long)
        assert is_fragment(html(too_long)) == bool(headers)
        assert autosave.status_code == 400
        assert html(autosave) == message
        assert state() == before
        assert session.items.get(position=0).notes == "kept draft"

    def test_it_accepts_exactly_ten_thousand_characters(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        assert (
            owner_client.post(item_url(session, 0, "notes"), {"notes": "z" * 10_000}).status_code
            == 204
        )
        assert reveal(owner_client, session, 0, notes="z" * 10_000).status_code == 302
        assert session.items.get(position=0).notes == "z" * 10_000

    @pytest.mark.parametrize("value", ["7", "abc", "", "-1", "2.5", "4"])
    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
    def test_it_refuses_grades_outside_the_four(
        self, owner_client: Client, session: InterviewSession, value: str, headers: dict
    ) -> None:
        reveal(owner_client, session, 0)
        before = state()

        response = grade(owner_client, session, 0, value, **headers)

        assert response.status_code == 400
        assert GRADE_MESSAGE in html(response)
        assert state() == before

    @pytest.mark.parametrize(
        ("action", "data"),
        [("reveal", {"notes": "after the end"}), ("grade", {"grade": "3"})],
    )
    def test_it_refuses_to_change_a_finished_session_with_a_message(
        self, owner_client: Client, session: InterviewSession, action: str, data: dict
    ) -> None:
        reveal(owner_client, session, 0)
        services.end_session(session=session, now=T0)
        before = state()

        plain = owner_client.post(item_url(session, 0, action), data, follow=True)
        htmx = owner_client.post(item_url(session, 0, action), data, **HTMX)

        assert plain.redirect_chain == [(detail_url(session), 302)]
        assert FINISHED_MESSAGE in messages_shown(html(plain))
        assert "Interview summary" in html(plain)
        assert htmx["HX-Redirect"] == detail_url(session)
        assert FINISHED_MESSAGE in messages_shown(html(owner_client.get(detail_url(session))))
        assert state() == before

    def test_autosave_on_a_finished_session_is_refused(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        services.end_session(session=session, now=T0)
        before = state()

        response = owner_client.post(item_url(session, 0, "notes"), {"notes": "late"})

        assert response.status_code == 409
        assert html(response) == FINISHED_MESSAGE
        assert state() == before

    def test_a_stale_position_gets_409_and_the_current_item_over_htmx(
        self, owner_client: Client, session: InterviewSession, questions: list[Question]
    ) -> None:
        reveal(owner_client, session, 0, headers=HTMX)
        grade(owner_client, session, 0, 2, **HTMX)
        before = state()

        again = grade(owner_client, session, 0, 0, **HTMX)  # a double click, or a second tab
        ahead = reveal(owner_client, session, 2, headers=HTMX)

        for response in (again, ahead):
            assert response.status_code == 409
            fragment = html(response)
            assert is_fragment(fragment)
            assert STALE_MESSAGE in fragment
            assert "Question 2 of 3" in fragment
            assert questions[1].title in fragment
        assert state() == before

    def test_a_stale_position_redirects_with_a_message_for_plain_posts(
        self, owner_client: Client, session: InterviewSession, questions: list[Question]
    ) -> None:
        reveal(owner_client, session, 0)
        grade(owner_client, session, 0, 2)
        before = state()

        response = owner_client.post(item_url(session, 0, "grade"), {"grade": "0"}, follow=True)

        assert response.redirect_chain == [(item_url(session, 1), 302)]
        assert STALE_MESSAGE in messages_shown(html(response))
        assert "Question 2 of 3" in html(response)
        assert state() == before

    def test_grading_before_the_reveal_is_refused(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        before = state()

        response = grade(owner_client, session, 0, 3, **HTMX)

        assert response.status_code == 400
        assert "Reveal the model answer before grading yourself." in html(response)
        assert state() == before


class TestCsrf:
    @pytest.fixture
    def guarded(self, owner: User) -> Client:
        return logged_in(owner, enforce_csrf_checks=True)

    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
    @pytest.mark.parametrize(
        ("suffix", "data"),
        [
            ("items/0/notes/", {"notes": "forged"}),
            ("items/0/reveal/", {"notes": "forged"}),
            ("items/0/grade/", {"grade": "3"}),
            ("end/", {}),
            ("retry/", {}),
        ],
    )
    def test_it_rejects_posts_without_a_token(
        self, guarded: Client, session: InterviewSession, suffix: str, data: dict, headers: dict
    ) -> None:
        services.reveal_item(session=session, position=0, notes="", now=T0)
        before = state()

        response = guarded.post(detail_url(session) + suffix, data, **headers)

        assert response.status_code == 403
        assert state() == before

    def test_it_rejects_starting_an_interview_without_a_token(
        self, guarded: Client, questions: list[Question]
    ) -> None:
        data = {
            "categories": [questions[0].category_id],
            "question_count": "1",
            "seconds_per_item": "60",
            "mode": "timed",
        }
        assert guarded.post(NEW_URL, data).status_code == 403
        assert not InterviewSession.objects.exists()

    def test_htmx_posts_with_the_token_from_hx_headers_succeed(
        self, guarded: Client, session: InterviewSession
    ) -> None:
        page = current_page(guarded, session)
        (body,) = find_all(page, "body")
        token = json.loads(body.attrs["hx-headers"])["X-CSRFToken"]

        response = reveal(
            guarded, session, 0, notes="with token", headers={**HTMX, "HTTP_X_CSRFTOKEN": token}
        )

        assert response.status_code == 200
        assert is_fragment(html(response))
        assert session.items.get(position=0).notes == "with token"

    def test_plain_posts_with_the_forms_token_succeed(
        self, guarded: Client, session: InterviewSession
    ) -> None:
        page = current_page(guarded, session)
        (form,) = find_all(page, "form", action=item_url(session, 0, "reveal"))
        (field,) = find_all(form, "input", name="csrfmiddlewaretoken")
        token = field.attrs["value"]

        response = reveal(guarded, session, 0, notes="form", csrfmiddlewaretoken=token)

        assert (response.status_code, response["Location"]) == (302, item_url(session, 0))
        assert session.items.get(position=0).revealed_at == T0


class TestEndInterview:
    def test_it_asks_for_confirmation_first(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        answer_each(session, [Grade.SOLID])

        page = html(owner_client.get(detail_url(session) + "end/"))

        assert "End this interview now?" in page
        assert "2 questions not yet graded will be left unanswered" in page
        (form,) = find_all(page, "form", action=detail_url(session) + "end/")
        assert form.attrs["method"] == "post"
        session.refresh_from_db()
        assert session.status == InterviewSession.Status.IN_PROGRESS

    def test_the_confirmed_end_records_the_rest_as_skipped(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        answer_each(session, [Grade.SOLID])

        response = owner_client.post(detail_url(session) + "end/", follow=True)

        assert response.redirect_chain == [(detail_url(session), 302)]
        page = html(response)
        assert (
            "Interview ended. What you had not graded is left unanswered and not scored."
            in messages_shown(page)
        )
        assert "Ended early" in page
        session.refresh_from_db()
        assert session.status == InterviewSession.Status.ENDED_EARLY
        assert list(session.items.order_by("position").values_list("skipped", flat=True)) == [
            False,
            True,
            True,
        ]
        # Ending again changes nothing and says nothing new.
        before = state()
        assert owner_client.post(detail_url(session) + "end/")["Location"] == detail_url(session)
        assert state() == before

    def test_the_end_page_of_a_finished_session_leads_to_the_summary(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        answer_each(session, [Grade.SOLID] * 3)

        response = owner_client.get(detail_url(session) + "end/")

        assert response["Location"] == detail_url(session)


class TestSummary:
    @pytest.fixture
    def finished(self, session: InterviewSession) -> InterviewSession:
        services.reveal_item(
            session=session, position=0, notes='<script>alert("x")</script>', now=T0
        )
        services.grade_item(session=session, position=0, grade=Grade.MISSED, now=T0)
        answer_each(session, [Grade.EXCELLENT, Grade.PARTIAL], now=T0 + timedelta(seconds=5))
        return session

    def test_it_shows_every_item_with_grade_notes_and_collapsed_answer(
        self, owner_client: Client, finished: InterviewSession, questions: list[Question]
    ) -> None:
        page = html(owner_client.get(summary_url(finished)))

        assert '<script>alert("x")</script>' not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
        cards = find_all(page, "li", cls="item-card")
        assert len(cards) == 3
        assert [find_all(card, "span", cls="grade-pill")[0].words for card in cards] == [
            "Missed",
            "Excellent",
            "Partial",
        ]
        for card, question in zip(cards, questions, strict=True):
            (details,) = find_all(card, "details")
            assert "open" not in details.attrs
            assert find_all(details, "summary")[0].words == "Model answer"
            assert question.answer in details.words
        assert stat(page, "score") == "44%"  # (0 + 3 + 1) / 9
        assert find_all(page, "form", action=detail_url(finished) + "retry/")

    def test_an_open_session_has_no_summary_yet(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        response = owner_client.get(summary_url(session))

        assert response["Location"] == detail_url(session)

    def test_retry_weak_questions_starts_a_session_with_exactly_those(
        self,
        owner_client: Client,
        finished: InterviewSession,
        questions: list[Question],
        owner: User,
    ) -> None:
        response = owner_client.post(detail_url(finished) + "retry/")

        retry = InterviewSession.objects.exclude(pk=finished.pk).get()
        assert response["Location"] == detail_url(retry)
        assert retry.user == owner
        assert retry.status == InterviewSession.Status.IN_PROGRESS
        asked = list(retry.items.order_by("position").values_list("question_id", flat=True))
        assert asked == [questions[0].pk, questions[2].pk]  # Missed, Partial; not Excellent
        assert (retry.mode, retry.seconds_per_item) == (finished.mode, finished.seconds_per_item)

    def test_retry_without_weak_questions_says_so_and_creates_nothing(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        answer_each(session, [Grade.SOLID, Grade.EXCELLENT, Grade.SOLID])

        response = owner_client.post(detail_url(session) + "retry/", follow=True)

        assert InterviewSession.objects.count() == 1
        assert (
            "Nothing in that interview is left to retry: no active question was graded Missed "
            "or Partial." in messages_shown(html(response))
        )
        assert not find_all(html(response), "form", action=detail_url(session) + "retry/")
