"""The progress pages: dashboard, Practise these, history, CSV export, per-question record.

Most tests read one story: the owner's three past interviews and one in progress, with every
figure worked out by hand below, while another user's interviews sit in between and after them
in time, so any leak of their data would change a number that is checked exactly.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings
from time_machine import TimeMachineFixture

from questions.bank import ParsedBank
from questions.models import Category, Question, Scenario
from sessions.models import Card, Grade, InterviewSession, Item, ReviewLog
from tests.cast import (
    HTMX,
    T0,
    count_queries,
    logged_in,
    make_question,
    messages_of,
    summary_url,
)
from tests.dom import Node, form_data, parse
from tests.histories import LATE, Answer, bulk_history, bulk_reviews, play

pytestmark = pytest.mark.django_db

MISSED, PARTIAL, SOLID, EXCELLENT = Grade.MISSED, Grade.PARTIAL, Grade.SOLID, Grade.EXCELLENT
DAY = timedelta(days=1)
PRACTISE_URL = "/interviews/practise/"
HISTORY_URL = "/history/"
CSV_URL = "/history/export.csv"
CARDS_CSV_URL = "/history/cards.csv"
WEAK_WARNING = "Those questions can no longer be practised; pick others."


@pytest.fixture(autouse=True)
def _settings(settings: Settings) -> None:
    settings.TIME_ZONE = "UTC"  # the dates on the pages below are written in UTC


def questions(*numbers: int) -> list[Question]:
    by_number = Question.objects.in_bulk(numbers, field_name="number")
    return [by_number[number] for number in numbers]


@dataclass
class Story:
    """The owner's interviews, oldest first, and the other user's."""

    finished: InterviewSession  # day 0, timed: 50 %
    ended: InterviewSession  # day 1, practice, ended early: 33 %, one unanswered
    perfect: InterviewSession  # day 2, timed: 100 %
    open: InterviewSession  # day 3, timed, on its second question: 67 % so far
    theirs: list[InterviewSession]


# An hour after the owner's open interview was last touched: still open, not yet abandoned.
STORY_NOW = T0 + 3 * DAY + timedelta(hours=1)


@pytest.fixture
def story(
    bank: ParsedBank, owner: User, other_user: User, time_machine: TimeMachineFixture
) -> Story:
    """The story, with the clock stopped at STORY_NOW for the pages the test then loads.

    OpenInterviewMiddleware ends an interview untouched for over a day as abandoned on its
    owner's next page load; with the real clock the open interview of 2025 would be ended by
    the first request. A test that wants a later moment moves the clock on itself.
    """
    finished = play(
        owner,
        questions(1, 2, 3, 4),
        [
            Answer(EXCELLENT, seconds=20),
            Answer(PARTIAL, seconds=LATE),
            Answer(MISSED, seconds=45),
            Answer(SOLID, seconds=LATE),
        ],
        at=T0,
    )  # 6 of 12 points: 50 %; 20 + 90 + 45 + 90 = 245 s; 2 timed out
    ended = play(
        owner,
        questions(11, 12, 13),
        [Answer(SOLID, seconds=30), Answer(MISSED, seconds=40)],
        at=T0 + DAY,
        mode=InterviewSession.Mode.PRACTICE,
        end_early=True,
    )  # question 13 on screen when ended: 3 asked, 2 graded (2 of 6 points: 33 %), 1 unanswered
    perfect = play(
        owner,
        questions(21, 22),
        [Answer(EXCELLENT, seconds=25), Answer(EXCELLENT, seconds=35)],
        at=T0 + 2 * DAY,
    )  # 100 %; 60 s
    open_session = play(
        owner, questions(1, 5), [Answer(SOLID, seconds=30)], at=T0 + 3 * DAY
    )  # now on question 5: 1 graded, 2 of 3 points so far: 67 %
    theirs = [
        play(
            other_user,
            questions(1, 11, 200),
            [Answer(MISSED, LATE, "THEIR NOTES"), Answer(MISSED), Answer(MISSED)],
            at=T0 + DAY / 2,
        ),
        play(
            other_user,
            questions(150, 160, 170),
            [Answer(MISSED, LATE), Answer(PARTIAL)],
            at=T0 + 10 * DAY,
            end_early=True,
        ),
        play(other_user, questions(2, 190), [Answer(EXCELLENT)], at=T0 + 11 * DAY),
    ]
    time_machine.move_to(STORY_NOW, tick=False)
    return Story(finished, ended, perfect, open_session, theirs)


# Reading pages -----------------------------------------------------------------------------


def page(response: HttpResponse) -> Node:
    assert response.status_code == 200, response.status_code
    return parse(response.content).find("main")


def table_rows(table: Node) -> list[list[str]]:
    return [
        [cell.words for cell in row.find_all("td")] for row in table.find("tbody").find_all("tr")
    ]


def row_links(table: Node) -> list[str]:
    return [row.find("a").attrs["href"] for row in table.find("tbody").find_all("tr")]


def csv_rows(response: StreamingHttpResponse) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# The dashboard -----------------------------------------------------------------------------


class TestDashboard:
    def test_a_newcomer_sees_a_first_step_instead_of_empty_charts(
        self, bank: ParsedBank, owner: User
    ) -> None:
        main = page(logged_in(owner).get("/"))

        card = main.find("section", cls="first-step")
        assert card.find("h2").words == "Start with a diagnostic interview"
        (diagnostic,) = card.find_all("form", action="/interviews/diagnostic/")
        assert diagnostic.find("button").words == "Start the diagnostic"
        assert [a.attrs["href"] for a in card.find_all("a")] == ["/interviews/new/", "/questions/"]
        assert main.find_all("svg") == []
        assert main.find_all("table") == []
        assert main.find_all("section", cls="in-progress") == []
        assert main.find_all("form", action=PRACTISE_URL) == []

    def test_a_newcomer_whose_interview_is_running_is_offered_resume_not_a_first_step(
        self, bank: ParsedBank, owner: User, time_machine: TimeMachineFixture
    ) -> None:
        session = play(owner, questions(7, 8), [], at=T0)
        time_machine.move_to(T0 + timedelta(minutes=10), tick=False)  # still open

        main = page(logged_in(owner).get("/"))

        assert main.find_all("section", cls="first-step") == []
        card = main.find("section", cls="in-progress")
        assert card.find("a").attrs["href"] == f"/interviews/{session.pk}/"
        assert main.find_all("svg") == []

    def test_it_offers_to_resume_the_interview_in_progress(self, story: Story, owner: User) -> None:
        main = page(logged_in(owner).get("/"))

        card = main.find("section", cls="in-progress")
        assert "Started 4 Mar 2025, 09:00 · Timed interview." in card.words
        assert card.find("a").words == "Resume"
        assert card.find("a").attrs["href"] == f"/interviews/{story.open.pk}/"
        head = main.find("div", cls="dashboard-head")
        assert head.find_all("a")[0].words == "Resume your interview"
        assert head.find_all("a")[0].attrs["href"] == f"/interviews/{story.open.pk}/"
        assert main.find_all("section", cls="first-step") == []

    def test_it_lists_the_recent_interviews_with_their_scores(
        self, story: Story, owner: User
    ) -> None:
        main = page(logged_in(owner).get("/"))

        table = main.find("table", cls="session-table")
        # The interview in progress is offered above, not listed here.
        assert table_rows(table) == [
            ["3 Mar 2025, 09:00", "Timed", "2 of 2", "100%", "1 min", "0", "Finished"],
            ["2 Mar 2025, 09:00", "Practice", "2 of 3 · 1 unanswered", "33%", "1 min 10 s", "0",
             "Ended early"],
            ["1 Mar 2025, 09:00", "Timed", "4 of 4", "50%", "4 min 05 s", "2", "Finished"],
        ]  # fmt: skip
        assert row_links(table) == [
            summary_url(story.perfect),
            summary_url(story.ended),
            summary_url(story.finished),
        ]

    def test_it_keeps_the_recent_list_short(self, bank: ParsedBank, owner: User) -> None:
        sessions = [
            play(owner, questions(number), [Answer(SOLID)], at=T0 + number * DAY)
            for number in range(1, 9)
        ]

        table = page(logged_in(owner).get("/")).find("table", cls="session-table")

        assert row_links(table) == [summary_url(s) for s in reversed(sessions[2:])]

    def test_it_draws_the_score_chart_with_a_title_and_a_table(
        self, story: Story, owner: User
    ) -> None:
        main = page(logged_in(owner).get("/"))

        assert main.find("h2", id_="trend-heading").words == "Score over your last 3 interviews"
        svg = main.find("svg", cls="score-chart")
        assert svg.attrs["role"] == "img"
        assert svg.attrs["aria-labelledby"] == "trend-title trend-desc"
        assert svg.find("title", id_="trend-title").words == "Interview scores over time"
        assert svg.find("desc", id_="trend-desc").words == (
            "Line chart of 3 scores, from 50% to 100%. The table below lists each score."
        )
        # 50 %, 33 %, 100 % from left to right: y = 16 + 196 × (1 − score). The interview in
        # progress has no final score yet, so it is not plotted.
        dots = svg.find_all("circle", cls="score-dot")
        assert [(dot.attrs["cx"], dot.attrs["cy"], dot.find("title").words) for dot in dots] == [
            ("44.0", "114.0", "1 Mar 2025: 50%"),
            ("334.0", "147.3", "2 Mar 2025: 33%"),
            ("624.0", "16.0", "3 Mar 2025: 100%"),
        ]
        assert svg.find("polyline").attrs["points"] == "44.0,114.0 334.0,147.3 624.0,16.0"
        assert [label.words for label in svg.find_all("text", cls="axis-label")] == [
            "0%",
            "25%",
            "50%",
            "75%",
            "100%",
            "1 Mar",  # under the first score
            "3 Mar",  # under the last
        ]

        alternative = main.find("details", cls="chart-table").find("table")
        assert table_rows(alternative) == [
            ["3 Mar 2025, 09:00", "100%"],
            ["2 Mar 2025, 09:00", "33%"],
            ["1 Mar 2025, 09:00", "50%"],
        ]
        assert row_links(alternative) == [
            summary_url(story.perfect),
            summary_url(story.ended),
            summary_url(story.finished),
        ]

    def test_a_single_score_is_a_dot_without_a_line(self, bank: ParsedBank, owner: User) -> None:
        play(owner, questions(1, 2), [Answer(SOLID), Answer(SOLID)], at=T0)

        svg = page(logged_in(owner).get("/")).find("svg", cls="score-chart")

        dot = svg.find("circle", cls="score-dot")
        assert (dot.attrs["cx"], dot.attrs["cy"]) == ("334.0", "80.7")  # 67 %, centred
        assert svg.find_all("polyline") == []
        assert svg.find("text", cls="date-label").words == "1 Mar"

    def test_it_shows_the_categories_weakest_first(self, story: Story, owner: User) -> None:
        main = page(logged_in(owner).get("/"))

        section = main.find("h2", id_="categories-heading")
        assert section.words == "By category, weakest first"
        # Transformers 2 + 0 of 6 points; Fundamentals 3 + 1 + 0 + 2 (+ 2 in the open
        # interview) of 15; LLMs 3 + 3 of 6.
        table = main.find("table", cls="table-compact")
        rows = [
            [row.find("th").words, *(cell.words for cell in row.find_all("td"))]
            for row in table.find("tbody").find_all("tr")
        ]
        assert rows == [
            ["Transformer Architecture", "2", "33%"],
            ["Fundamentals and Basics", "5", "53%"],
            ["Large Language Models (LLMs)", "2", "100%"],
        ]
        # Each name has a bar as wide as its average, coloured by band; the table has the
        # figures, so the bars are hidden from screen readers.
        meters = [row.find("svg", cls="bar-meter") for row in table.find("tbody").find_all("tr")]
        assert {(m.attrs["viewbox"], m.attrs["aria-hidden"]) for m in meters} == {
            ("0 0 100 4", "true")
        }
        bars = [meter.find("rect", cls="bar") for meter in meters]
        assert [(bar.attrs["width"], bar.attrs["class"]) for bar in bars] == [
            ("33", "bar bar-weak"),
            ("53", "bar bar-fair"),
            ("100", "bar bar-strong"),
        ]
        assert table.find("caption").words == "Average grade per category, weakest first"

    def test_it_lists_the_questions_to_practise_with_a_form(
        self, story: Story, owner: User
    ) -> None:
        main = page(logged_in(owner).get("/"))

        items = main.find("ol", cls="weak-list").find_all("li")
        # Unanswered first; then Missed (3 and 12, neither timed out); Partial; Solid but late.
        # Question 1 was last graded Solid in time; 5 is on screen in the open interview.
        listed = [
            (li.find("a").attrs["href"], li.find("span", cls="weak-meta").words) for li in items
        ]
        assert listed == [
            ("/questions/13/", "Last: Unanswered · 1 attempt"),
            ("/questions/3/", "Last: Missed · 1 attempt"),
            ("/questions/12/", "Last: Missed · 1 attempt"),
            ("/questions/2/", "Last: Partial · timed out 1× · 1 attempt"),
            ("/questions/4/", "Last: Solid · timed out 1× · 1 attempt"),
        ]  # fmt: skip
        assert items[0].find("a").words == ("13. What is multi-head attention?")
        form = main.find("form", action=PRACTISE_URL)
        assert form.attrs["method"] == "post"
        assert form_data(form)["numbers"] == ["13", "3", "12", "2", "4"]
        assert form.find("button").words == "Practise these"

    def test_it_says_so_when_nothing_needs_practice(self, bank: ParsedBank, owner: User) -> None:
        play(owner, questions(1, 2), [Answer(SOLID), Answer(EXCELLENT)], at=T0)

        main = page(logged_in(owner).get("/"))

        section = main.find("h2", id_="weakest-heading")
        assert section.words == "Questions to practise"
        assert "Nothing graded Missed or Partial" in main.words
        assert main.find_all("ol", cls="weak-list") == []
        assert main.find_all("form", action=PRACTISE_URL) == []

    def test_anonymous_visitors_get_the_public_home_page(self, story: Story) -> None:
        main = page(Client().get("/"))

        assert main.find_all("svg", cls="score-chart") == []
        assert main.find_all("table") == []
        assert "Your progress" not in main.words


# Practise these ----------------------------------------------------------------------------


def item_plan(numbers: list[int]) -> list[tuple[str, int]]:
    """What an interview of `numbers` asks: each question, then its follow-up scenarios."""
    plan = []
    for number in numbers:
        plan.append(("question", number))
        scenarios = Scenario.objects.filter(question__number=number).count()
        plan.extend([("scenario", number)] * scenarios)
    return plan


def plan_of(session: InterviewSession) -> list[tuple[str, int]]:
    return [
        (item.kind, item.question.number)
        for item in session.items.select_related("question").order_by("position")
    ]


class TestPractise:
    def test_it_starts_an_interview_with_exactly_those_questions_in_order(
        self, bank: ParsedBank, owner: User
    ) -> None:
        client = logged_in(owner)

        response = client.post(PRACTISE_URL, {"numbers": ["33", "5", "150", "1"]})

        session = InterviewSession.objects.get(user=owner)
        assert response.status_code == 302
        assert response["Location"] == f"/interviews/{session.pk}/"
        assert plan_of(session) == item_plan([33, 5, 150, 1])
        assert ("scenario", 1) in plan_of(session)  # question 1 has a follow-up
        assert (session.mode, session.seconds_per_item, session.status) == (
            "timed",
            120,
            "in_progress",
        )
        assert set(session.categories.values_list("slug", flat=True)) == {
            "fundamentals-and-basics",
            "training-and-fine-tuning",
            "advanced-topics",
        }

    def test_it_asks_a_repeated_number_once(self, bank: ParsedBank, owner: User) -> None:
        logged_in(owner).post(PRACTISE_URL, {"numbers": ["7", "3", "7"]})

        session = InterviewSession.objects.get(user=owner)
        assert [number for kind, number in plan_of(session) if kind == "question"] == [7, 3]

    def test_the_dashboard_form_practises_what_it_lists(self, story: Story, owner: User) -> None:
        client = logged_in(owner)
        form = page(client.get("/")).find("form", action=PRACTISE_URL)

        # The story's interview is still open: first the choice to resume it or end it.
        prompt = client.post(PRACTISE_URL, form_data(form))

        assert prompt.status_code == 409
        assert InterviewSession.objects.filter(user=owner).count() == 4
        confirm = parse(prompt.content).find("main").find("form", action=PRACTISE_URL)
        assert form_data(confirm)["end_open"] == [str(story.open.pk)]
        response = client.post(PRACTISE_URL, form_data(confirm))

        session = InterviewSession.objects.filter(user=owner).latest("pk")
        assert response["Location"] == f"/interviews/{session.pk}/"
        assert [n for kind, n in plan_of(session) if kind == "question"] == [13, 3, 12, 2, 4]
        story.open.refresh_from_db()
        assert story.open.status == InterviewSession.Status.ENDED_EARLY

    @pytest.mark.parametrize(
        "numbers",
        [
            [],
            [""],
            ["abc"],
            ["²"],  # a digit to str.isdigit(), not to int()
            ["-1"],
            ["1.5"],
            [" 3"],
            ["0"],
            ["201"],
            ["3", "201"],
            ["99999999999999999999999"],
            [str(number) for number in range(1, 32)],  # more than an interview may ask
        ],
    )
    def test_it_refuses_bad_numbers_and_creates_nothing(
        self, bank: ParsedBank, owner: User, numbers: list[str]
    ) -> None:
        response = logged_in(owner).post(PRACTISE_URL, {"numbers": numbers})

        assert (response.status_code, response["Location"]) == (302, "/")
        assert messages_of(response) == [WEAK_WARNING]
        assert not InterviewSession.objects.exists()
        assert not Item.objects.exists()

    def test_it_refuses_a_retired_question(self, bank: ParsedBank, owner: User) -> None:
        Question.objects.filter(number=5).update(is_active=False)

        response = logged_in(owner).post(PRACTISE_URL, {"numbers": ["4", "5"]})

        assert (response.status_code, response["Location"]) == (302, "/")
        assert messages_of(response) == [WEAK_WARNING]
        assert not InterviewSession.objects.exists()

    def test_thirty_questions_are_allowed(self, bank: ParsedBank, owner: User) -> None:
        numbers = list(range(41, 71))

        logged_in(owner).post(PRACTISE_URL, {"numbers": [str(n) for n in numbers]})

        session = InterviewSession.objects.get(user=owner)
        assert [n for kind, n in plan_of(session) if kind == "question"] == numbers

    def test_it_rejects_get(self, bank: ParsedBank, owner: User) -> None:
        response = logged_in(owner).get(PRACTISE_URL, {"numbers": ["1"]})

        assert (response.status_code, response["Allow"]) == (405, "POST")
        assert not InterviewSession.objects.exists()

    def test_anonymous_visitors_are_sent_to_log_in(self, bank: ParsedBank) -> None:
        response = Client().post(PRACTISE_URL, {"numbers": ["1"]})

        assert (response.status_code, response["Location"]) == (
            302,
            "/accounts/login/?next=/interviews/practise/",
        )
        assert not InterviewSession.objects.exists()


# History -----------------------------------------------------------------------------------


def history_rows(response: HttpResponse) -> list[list[str]]:
    return table_rows(page(response).find("table", cls="session-table"))


def history_links(response: HttpResponse) -> list[str]:
    return row_links(page(response).find("table", cls="session-table"))


def pager(response: HttpResponse) -> tuple[str, dict[str, str]]:
    nav = page(response).find("nav", cls="pager")
    links = {a.attrs["rel"]: a.attrs["href"] for a in nav.find_all("a")}
    return nav.find("span", cls="muted").words, links


def selected_values(main: Node, name: str) -> list[str | None]:
    options = main.find("select", name=name).find_all("option")
    return [option.attrs["value"] for option in options if "selected" in option.attrs]


@pytest.fixture
def many(bank: ParsedBank, owner: User, other_user: User) -> list[InterviewSession]:
    """45 of the owner's interviews a day apart, oldest first (and 30 of another user's).

    Each asks 4 of questions 1–20 in turn, so three in five have a Fundamentals question (1–10)
    and every fifth is a practice interview.
    """
    pool = list(Question.objects.filter(number__in=range(1, 21)).order_by("number"))
    bulk_history(other_user, pool, sessions=30, items_per_session=4, start=T0 + DAY / 2)
    return bulk_history(owner, pool, sessions=45, items_per_session=4)


class TestHistory:
    def test_it_lists_every_interview_newest_first_with_its_figures(
        self, story: Story, owner: User
    ) -> None:
        response = logged_in(owner).get(HISTORY_URL)

        assert history_rows(response) == [
            ["4 Mar 2025, 09:00", "Timed", "Fundamentals and Basics", "1 of 2", "67%",
             "30 s", "0", "In progress"],
            ["3 Mar 2025, 09:00", "Timed", "Large Language Models (LLMs)", "2 of 2", "100%",
             "1 min", "0", "Finished"],
            ["2 Mar 2025, 09:00", "Practice", "Transformer Architecture", "2 of 3 · 1 unanswered",
             "33%", "1 min 10 s", "0", "Ended early"],
            ["1 Mar 2025, 09:00", "Timed", "Fundamentals and Basics", "4 of 4", "50%",
             "4 min 05 s", "2", "Finished"],
        ]  # fmt: skip
        assert history_links(response) == [
            summary_url(story.open),
            summary_url(story.perfect),
            summary_url(story.ended),
            summary_url(story.finished),
        ]
        headers = page(response).find("table").find("thead").find_all("th")
        assert [th.words for th in headers] == [
            "Date", "Mode", "Categories", "Graded", "Score", "Time", "Timed out", "Outcome",
        ]  # fmt: skip
        assert "4 interviews" in page(response).find("p", cls="results-bar").words
        badges = [
            row.find("span", cls="badge").attrs["class"]
            for row in page(response).find("table").find("tbody").find_all("tr")
        ]
        assert badges == ["badge badge-neutral", "badge badge-ok", "badge badge-warning",
                          "badge badge-ok"]  # fmt: skip

    def test_an_interview_left_for_over_a_day_is_listed_as_abandoned(
        self, story: Story, owner: User, time_machine: TimeMachineFixture
    ) -> None:
        # The open interview was last touched at 09:00:35 on 4 Mar (question 5 shown).
        time_machine.move_to(T0 + 4 * DAY + timedelta(minutes=1), tick=False)
        client = logged_in(owner)

        response = client.get(HISTORY_URL)

        assert messages_of(response) == [
            "Your interview started 4 Mar, 09:00 was untouched for over 24 hours and has been"
            " ended as abandoned. Its graded questions still count."
        ]
        # Question 5, shown and never graded, is now unanswered; the Solid still scores.
        assert history_rows(response)[0] == [
            "4 Mar 2025, 09:00", "Timed", "Fundamentals and Basics", "1 of 2 · 1 unanswered",
            "67%", "30 s", "0", "Abandoned",
        ]  # fmt: skip
        main = page(client.get("/"))
        assert main.find_all("section", cls="in-progress") == []
        # It has a graded item, so it joins the trend as its latest point.
        dots = main.find("svg", cls="score-chart").find_all("circle", cls="score-dot")
        assert [dot.find("title").words for dot in dots] == [
            "1 Mar 2025: 50%",
            "2 Mar 2025: 33%",
            "3 Mar 2025: 100%",
            "4 Mar 2025: 67%",
        ]
        assert table_rows(main.find("table", cls="session-table"))[0][-1] == "Abandoned"
        # Its unanswered question 5 is now one to practise, first.
        numbers = form_data(main.find("form", action=PRACTISE_URL))["numbers"]
        assert numbers == ["5", "13", "3", "12", "2", "4"]

    def test_each_row_opens_its_summary(self, story: Story, owner: User) -> None:
        client = logged_in(owner)
        link = history_links(client.get(HISTORY_URL))[2]

        summary = page(client.get(link))

        assert summary.find("h1").words == "Interview summary"
        assert summary.find("span", **{"data-testid": "score"}).words == "33%"
        assert "Ended early" in summary.find("p", cls="meta-line").words

    def test_it_lists_all_categories_of_an_interview(self, bank: ParsedBank, owner: User) -> None:
        play(owner, questions(11, 1, 150), [Answer(SOLID)], at=T0)

        (row,) = history_rows(logged_in(owner).get(HISTORY_URL))

        assert row[2] == "Fundamentals and Basics, Transformer Architecture, Advanced Topics"

    def test_it_pages_twenty_at_a_time(self, many: list[InterviewSession], owner: User) -> None:
        client = logged_in(owner)
        newest_first = list(reversed(many))

        first = client.get(HISTORY_URL)
        second = client.get(HISTORY_URL, {"page": "2"})
        last = client.get(HISTORY_URL, {"page": "3"})

        assert history_links(first) == [summary_url(s) for s in newest_first[:20]]
        assert history_links(second) == [summary_url(s) for s in newest_first[20:40]]
        assert history_links(last) == [summary_url(s) for s in newest_first[40:]]
        assert history_rows(first)[0][0] == "14 Apr 2025, 09:00"  # T0 + 44 days
        assert pager(first) == ("Page 1 of 3", {"next": "?page=2"})
        assert pager(second) == ("Page 2 of 3", {"prev": "?page=1", "next": "?page=3"})
        assert pager(last) == ("Page 3 of 3", {"prev": "?page=2"})
        assert "45 interviews" in page(first).find("p", cls="results-bar").words

    def test_it_has_no_pager_for_one_page(self, story: Story, owner: User) -> None:
        assert page(logged_in(owner).get(HISTORY_URL)).find_all("nav", cls="pager") == []

    def test_it_filters_by_mode(self, many: list[InterviewSession], owner: User) -> None:
        practice = [s for s in reversed(many) if s.mode == "practice"]  # every fifth: 9

        response = logged_in(owner).get(HISTORY_URL, {"mode": "practice"})

        assert history_links(response) == [summary_url(s) for s in practice]
        assert {row[1] for row in history_rows(response)} == {"Practice"}
        bar = page(response).find("p", cls="results-bar")
        assert "9 interviews match" in bar.words
        assert bar.find("a", href=HISTORY_URL).words == "Show all"
        assert selected_values(page(response), "mode") == ["practice"]

    def test_it_filters_by_category(self, story: Story, owner: User) -> None:
        response = logged_in(owner).get(HISTORY_URL, {"category": "fundamentals-and-basics"})

        assert history_links(response) == [summary_url(story.open), summary_url(story.finished)]
        assert selected_values(page(response), "category") == ["fundamentals-and-basics"]

    def test_it_combines_the_filters(self, story: Story, owner: User) -> None:
        client = logged_in(owner)

        timed = client.get(HISTORY_URL, {"category": "transformer-architecture", "mode": "timed"})
        practice = client.get(
            HISTORY_URL, {"category": "transformer-architecture", "mode": "practice"}
        )

        main = page(timed)
        assert main.find_all("table") == []
        assert main.find("p", cls="empty").words == (
            "No interview matches those filters. Show all interviews."
        )
        assert history_links(practice) == [summary_url(story.ended)]

    def test_its_pages_keep_the_filters(self, many: list[InterviewSession], owner: User) -> None:
        timed = [
            s
            for index, s in reversed(list(enumerate(many)))
            if s.mode == "timed" and index % 5 in (0, 1, 2)
        ]
        assert len(timed) == 27
        client = logged_in(owner)
        query = {"category": "fundamentals-and-basics", "mode": "timed"}

        first = client.get(HISTORY_URL, query)
        second = client.get(HISTORY_URL, {**query, "page": "2"})

        filters = "category=fundamentals-and-basics&mode=timed"
        assert pager(first) == ("Page 1 of 2", {"next": f"?{filters}&page=2"})
        assert pager(second) == ("Page 2 of 2", {"prev": f"?{filters}&page=1"})
        assert history_links(first) + history_links(second) == [summary_url(s) for s in timed]

    @pytest.mark.parametrize(
        ("query", "shown"),
        [
            ({"category": "no-such-category"}, slice(0, 20)),
            ({"mode": "bogus"}, slice(0, 20)),
            ({"mode": "timed'; DROP TABLE x;--"}, slice(0, 20)),
            ({"category": "", "mode": ""}, slice(0, 20)),
            ({"page": "abc"}, slice(0, 20)),
            ({"page": "0"}, slice(40, 45)),  # Paginator.get_page: out of range is the last
            ({"page": "999"}, slice(40, 45)),
            ({"page": "-1"}, slice(40, 45)),
            ({"category": "nope", "mode": "bogus", "page": "x"}, slice(0, 20)),
        ],
    )
    def test_bad_values_fall_back_to_the_defaults(
        self,
        many: list[InterviewSession],
        owner: User,
        query: dict[str, str],
        shown: slice,
    ) -> None:
        response = logged_in(owner).get(HISTORY_URL, query)

        assert history_links(response) == [summary_url(s) for s in list(reversed(many))[shown]]
        main = page(response)
        assert "45 interviews" in main.find("p", cls="results-bar").words
        for name in ("category", "mode"):
            assert selected_values(main, name) in ([], [""])

    def test_a_bad_filter_leaves_the_good_one_working(self, story: Story, owner: User) -> None:
        response = logged_in(owner).get(HISTORY_URL, {"category": "nope", "mode": "practice"})

        assert history_links(response) == [summary_url(story.ended)]

    def test_a_newcomer_is_invited_to_start(self, bank: ParsedBank, owner: User) -> None:
        main = page(logged_in(owner).get(HISTORY_URL))

        assert main.find_all("table") == []
        empty = main.find("p", cls="empty")
        assert empty.words == "No interviews yet. Start your first one."
        assert empty.find("a").attrs["href"] == "/interviews/new/"

    def test_anonymous_visitors_are_sent_to_log_in(self, story: Story) -> None:
        response = Client().get(HISTORY_URL)

        assert (response.status_code, response["Location"]) == (
            302,
            "/accounts/login/?next=/history/",
        )


# CSV export --------------------------------------------------------------------------------


class TestHistoryCsv:
    def test_it_downloads_every_item_as_an_attachment(
        self, story: Story, owner: User, time_machine: TimeMachineFixture
    ) -> None:
        # Late on the day of the open interview: the file is named after that date, and the
        # interview is still open (untouched for under a day).
        time_machine.move_to(datetime(2025, 3, 4, 23, 30, tzinfo=UTC), tick=False)
        response = logged_in(owner).get(CSV_URL)

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            'attachment; filename="interview-history-2025-03-04.csv"'
        )
        header, *rows = csv_rows(response)
        assert header[:3] == ["session", "session_started_at", "mode"]
        # Oldest first: 4 + 3 + 2 + 2 items.
        assert [(int(row[0]), row[4], row[8], row[9]) for row in rows] == [
            (story.finished.pk, "1", "1", "Excellent"),
            (story.finished.pk, "2", "2", "Partial"),
            (story.finished.pk, "3", "3", "Missed"),
            (story.finished.pk, "4", "4", "Solid"),
            (story.ended.pk, "1", "11", "Solid"),
            (story.ended.pk, "2", "12", "Missed"),
            (story.ended.pk, "3", "13", "Unanswered"),
            (story.perfect.pk, "1", "21", "Excellent"),
            (story.perfect.pk, "2", "22", "Excellent"),
            (story.open.pk, "1", "1", "Solid"),
            (story.open.pk, "2", "5", "In progress"),
        ]
        assert rows[1][11] == "yes" and rows[1][16] == "90"  # timed out, 90 s

    def test_the_history_page_links_to_it(self, story: Story, owner: User) -> None:
        bar = page(logged_in(owner).get(HISTORY_URL)).find("p", cls="results-bar")

        link = bar.find("a", cls="button")
        assert link.attrs["href"] == CSV_URL
        assert "download" in link.attrs

    def test_anonymous_visitors_are_sent_to_log_in(self, story: Story) -> None:
        response = Client().get(CSV_URL)

        assert (response.status_code, response["Location"]) == (
            302,
            "/accounts/login/?next=/history/export.csv",
        )

    def test_it_rejects_post(self, story: Story, owner: User) -> None:
        response = logged_in(owner).post(CSV_URL)

        assert (response.status_code, response["Allow"]) == (405, "GET")


# The per-question record -------------------------------------------------------------------


ATTEMPTS_URL = "/interviews/questions/{}/attempts/"


def attempts_region(client: Client, number: int) -> Node:
    """The region the question's page fetches by HTMX: the section alone, no page around it."""
    response = client.get(ATTEMPTS_URL.format(number), **HTMX)
    assert response.status_code == 200, response.status_code
    fragment = parse(response.content)
    assert fragment.find_all("main") == []
    return fragment.find("section", cls="attempts")


class TestYourAttempts:
    def test_the_question_page_loads_the_region_and_links_to_it(
        self, story: Story, owner: User
    ) -> None:
        section = page(logged_in(owner).get("/questions/1/")).find("section", cls="attempts")

        assert section.attrs["hx-get"] == ATTEMPTS_URL.format(1)
        assert section.attrs["hx-trigger"] == "load"
        assert section.find("h2").words == "Your attempts"
        # Without JavaScript the region is one link away.
        assert section.find("a").attrs["href"] == ATTEMPTS_URL.format(1)
        assert section.find_all("table") == []

    def test_it_lists_the_users_attempts_at_the_question(self, story: Story, owner: User) -> None:
        section = attempts_region(logged_in(owner), 1)

        assert section.find("h2").words == "Your attempts"
        table = section.find("table")
        assert table_rows(table) == [
            ["4 Mar 2025, 09:00", "Solid", "30 s", "In time"],
            ["1 Mar 2025, 09:00", "Excellent", "20 s", "In time"],
        ]
        assert row_links(table) == [
            f"/interviews/{story.open.pk}/",
            f"/interviews/{story.finished.pk}/",
        ]

    def test_without_htmx_it_is_a_page_of_its_own(self, story: Story, owner: User) -> None:
        main = page(logged_in(owner).get(ATTEMPTS_URL.format(1)))

        assert main.find("h1").words == "1. What is Generative AI?"
        assert len(table_rows(main.find("section", cls="attempts").find("table"))) == 2
        assert "/questions/1/" in {a.attrs.get("href") for a in main.find_all("a")}

    def test_it_marks_attempts_that_ran_out_of_time_and_skipped_ones(
        self, story: Story, owner: User
    ) -> None:
        client = logged_in(owner)

        late = attempts_region(client, 2)
        skipped = attempts_region(client, 13)

        assert table_rows(late.find("table")) == [
            ["1 Mar 2025, 09:00", "Partial", "1 min 30 s", "Time's up"]
        ]
        assert table_rows(skipped.find("table")) == [["2 Mar 2025, 09:00", "Unanswered", "—", "—"]]

    def test_it_says_when_the_question_was_never_asked(self, story: Story, owner: User) -> None:
        # The other user answered question 200; the owner never did.
        section = attempts_region(logged_in(owner), 200)

        assert section.find_all("table") == []
        assert section.find("p").words == (
            "You have not been asked this question in an interview yet."
        )

    def test_it_404s_for_an_unknown_question(self, story: Story, owner: User) -> None:
        assert logged_in(owner).get(ATTEMPTS_URL.format(201), **HTMX).status_code == 404

    def test_anonymous_visitors_see_no_record(self, story: Story) -> None:
        main = page(Client().get("/questions/1/"))

        assert main.find("h1").words.startswith("1. What is Generative AI?")
        assert main.find_all("section", cls="attempts") == []

    def test_anonymous_visitors_are_sent_to_log_in(self, story: Story) -> None:
        url = ATTEMPTS_URL.format(1)
        response = Client().get(url)

        assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")

    def test_it_rejects_post(self, story: Story, owner: User) -> None:
        response = logged_in(owner).post(ATTEMPTS_URL.format(1))

        assert (response.status_code, response["Allow"]) == (405, "GET")


# Isolation ---------------------------------------------------------------------------------


class TestIsolation:
    def test_nothing_of_another_user_appears_anywhere(
        self, story: Story, owner: User, other_user: User
    ) -> None:
        client = logged_in(owner)
        theirs = {f"/interviews/{s.pk}/" for s in story.theirs} | {
            summary_url(s) for s in story.theirs
        }
        pages = {
            url: client.get(url)
            for url in (
                "/",
                HISTORY_URL,
                "/questions/1/",
                *(ATTEMPTS_URL.format(number) for number in (1, 2, 11)),
            )
        }

        for url, response in pages.items():
            hrefs = {a.attrs.get("href") for a in page(response).find_all("a")}
            assert not hrefs & theirs, url
        dashboard = page(pages["/"])
        assert len(dashboard.find("svg", cls="score-chart").find_all("circle")) == 3
        # Their Missed answers in Advanced Topics (and in these three) count for nothing here.
        categories = dashboard.find("table", cls="category-table").find("tbody").find_all("tr")
        assert [(row.find("th").words, row.find_all("td")[1].words) for row in categories] == [
            ("Transformer Architecture", "33%"),
            ("Fundamentals and Basics", "53%"),
            ("Large Language Models (LLMs)", "100%"),
        ]
        assert form_data(dashboard.find("form", action=PRACTISE_URL))["numbers"] == [
            "13", "3", "12", "2", "4",
        ]  # fmt: skip
        assert len(history_links(pages[HISTORY_URL])) == 4
        # Question 11: the owner's Solid, never the other user's Missed.
        record = attempts_region(client, 11).find("table")
        assert table_rows(record) == [["2 Mar 2025, 09:00", "Solid", "30 s", "In time"]]
        rows = csv_rows(client.get(CSV_URL))[1:]
        owner_sessions = {story.finished.pk, story.ended.pk, story.perfect.pk, story.open.pk}
        assert {int(row[0]) for row in rows} == owner_sessions
        assert all(row[-1] != "THEIR NOTES" for row in rows)

    def test_the_other_user_sees_only_their_own(
        self, story: Story, other_user: User, time_machine: TimeMachineFixture
    ) -> None:
        # Soon after their own open interview (11 Mar), which must stay open for this.
        time_machine.move_to(T0 + 11 * DAY + timedelta(hours=1), tick=False)
        client = logged_in(other_user)
        first, ended, opened = story.theirs

        main = page(client.get("/"))
        history = client.get(HISTORY_URL)
        record = attempts_region(client, 1)

        # 0 of 9 points, then 0 + 1 of 6: three asked, the third unanswered and not a zero.
        assert [(dot.find("title").words) for dot in main.find_all("circle", cls="score-dot")] == [
            "1 Mar 2025: 0%",
            "11 Mar 2025: 17%",
        ]
        assert (main.find("section", cls="in-progress").find("a").attrs["href"]) == (
            f"/interviews/{opened.pk}/"
        )
        assert history_links(history) == [summary_url(s) for s in (opened, ended, first)]
        assert table_rows(record.find("table")) == [
            ["1 Mar 2025, 21:00", "Missed", "1 min 30 s", "Time's up"]
        ]
        numbers = form_data(main.find("form", action=PRACTISE_URL))["numbers"]
        assert numbers == ["170", "1", "150", "11", "200", "160"]


# Query budgets -----------------------------------------------------------------------------

# Queries each page may spend, however many interviews the user has. Each includes the two
# that load the login session and the user, and every full (non-HTMX) page load one more:
# OpenInterviewMiddleware's look for the user's open interviews (which ends forgotten ones).
# On "/" that query replaces the dashboard's own; on the other pages it is new with issue 10,
# hence one more than before on each of them.
BUDGETS = {
    # open interview (the middleware's), recent, series, categories, to practise, flag notices,
    # and today's plan: the preferences, the cards' counts, the unseen questions
    "/": 11,
    HISTORY_URL: 7,  # open interview, count, page, its categories, the filter's category list
    f"{HISTORY_URL}?page=5": 7,
    f"{HISTORY_URL}?mode=timed&category=fundamentals-and-basics": 8,  # + the category filter
    f"{HISTORY_URL}?mode=practice&page=2": 7,
    "/questions/5/": 8,  # the question page's own; it fetches the attempts separately
    # Open interview, the question, its cards, its follow-ups' labels, its attempts (without HTMX).
    ATTEMPTS_URL.format(5): 7,
    CSV_URL: 4,  # open interview, then one streamed query for every item with its review
    CARDS_CSV_URL: 4,  # open interview, then the cards
}
ATTEMPTS_REGION_BUDGET = 6  # fetched by HTMX, as the question page does: no middleware query


def test_the_pages_run_a_fixed_number_of_queries(
    bank: ParsedBank,
    owner: User,
    other_user: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    time_machine: TimeMachineFixture,
) -> None:
    client = logged_in(owner)
    # Two interviews that every filter above matches: nothing is skipped for being empty.
    play(owner, questions(5, 6), [Answer(MISSED), Answer(SOLID)], at=T0 - 3 * DAY)
    play(
        owner,
        questions(5, 7),
        [Answer(PARTIAL)],
        at=T0 - 2 * DAY,
        mode=InterviewSession.Mode.PRACTICE,
    )  # in progress
    # Soon after it, so it stays open throughout: these are the budgets of every page load
    # (abandoning a forgotten interview is a one-off, counted in test_open_interviews).
    time_machine.move_to(T0 - 2 * DAY + timedelta(hours=1), tick=False)
    small = {
        url: count_queries(client, url, django_assert_max_num_queries, budget)
        for url, budget in BUDGETS.items()
    }
    region_url = ATTEMPTS_URL.format(5)
    small_region = count_queries(
        client, region_url, django_assert_max_num_queries, ATTEMPTS_REGION_BUDGET, **HTMX
    )

    pool = list(Question.objects.order_by("number"))
    bulk_history(owner, pool, sessions=200, items_per_session=10)
    bulk_history(other_user, pool, sessions=50, items_per_session=10)
    bulk_reviews(owner)
    bulk_reviews(other_user)
    assert Item.objects.filter(session__user=owner).count() == 2004
    card_count = Card.objects.filter(user=owner).count()
    assert card_count > 150 and ReviewLog.objects.filter(card__user=owner).count() > 1800
    large = {
        url: count_queries(client, url, django_assert_max_num_queries, small[url])
        for url in BUDGETS
    }

    assert large == small
    assert (
        count_queries(client, region_url, django_assert_max_num_queries, small_region, **HTMX)
        == small_region
    )
    # The large history really was read: the pages are full and the CSV has every item.
    assert len(history_links(client.get(f"{HISTORY_URL}?page=5"))) == 20
    assert len(csv_rows(client.get(CSV_URL))) == 1 + 2004
    assert len(csv_rows(client.get(CARDS_CSV_URL))) == 1 + card_count


def test_the_queries_do_not_grow_with_the_number_of_categories(
    bank: ParsedBank, owner: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client = logged_in(owner)
    play(owner, questions(1), [Answer(MISSED)], at=T0)
    small = count_queries(client, "/", django_assert_max_num_queries, BUDGETS["/"])
    everything = list(Category.objects.values_list("pk", flat=True))
    pool = [Question.objects.filter(category=pk).first() for pk in everything]
    play(owner, pool, [Answer(MISSED)] * len(pool), at=T0 + DAY)

    large = count_queries(client, "/", django_assert_max_num_queries, small)

    assert large == small


def test_the_csv_streams_in_chunks_of_lines(owner: User, owner_client: Client) -> None:
    # One write per chunk, not per row; each chunk ends at a line's end.
    pool = [make_question(number) for number in range(1, 11)]
    bulk_history(owner, pool, sessions=45, items_per_session=10)

    response = owner_client.get(CSV_URL)
    chunks = list(response.streaming_content)

    assert [chunk.count(b"\r\n") for chunk in chunks] == [200, 200, 51]  # 1 header + 450 rows
    assert all(chunk.endswith(b"\r\n") for chunk in chunks)
