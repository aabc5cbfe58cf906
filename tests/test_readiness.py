"""The readiness page (issue 13): seen, predicted recall today and on the interview date, due now,
per category and overall; the 14-day forecast; "Practise this category".

Expected recall comes from the `fsrs` library for the same reviews, never from typed numbers;
the clock stands still (time-machine) and is moved, never waited for.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import fsrs
import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from time_machine import TimeMachineFixture

from questions.bank import ParsedBank
from questions.models import Category, Question, Scenario
from sessions import plan, readiness
from sessions.models import Card, Grade, InterviewSession, Preferences
from sessions.scoring import recall_percent
from tests.cast import (
    T0,
    answer,
    count_queries,
    logged_in,
    make_question,
    start_interview,
)
from tests.dom import Node, parse
from tests.histories import bulk_full_memory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
URL = "/readiness/"
PRACTISE_URL = "/readiness/practise/"
SCHEDULER = fsrs.Scheduler(enable_fuzzing=False)  # the library's defaults, as the app schedules
RATING = {
    Grade.MISSED: fsrs.Rating.Again,
    Grade.PARTIAL: fsrs.Rating.Hard,
    Grade.SOLID: fsrs.Rating.Good,
    Grade.EXCELLENT: fsrs.Rating.Easy,
}
# The login session, the user, the open interview, the preferences, the plan's two counts,
# the categories, the cards' counts, the cards, the forecast.
BUDGET = 10


def category(name: str, position: int) -> Category:
    return Category.objects.create(name=name, slug=name.lower(), position=position)


def graded(user: User, questions: list[Question], grades: list[int], at: datetime = T0) -> None:
    session = start_interview(user, questions, now=at)
    for grade in grades:
        answer(session, grade, now=at)


def library_recall(grade: int, reviewed_at: datetime, at: datetime) -> float:
    card, _ = SCHEDULER.review_card(fsrs.Card(card_id=1), RATING[Grade(grade)], reviewed_at)
    return SCHEDULER.get_card_retrievability(card, at)


def set_preferences(user: User, **fields: object) -> None:
    Preferences.objects.update_or_create(user=user, defaults=fields)


def rows(page: Node) -> dict[str, dict[str, str]]:
    """The readiness table: each row's figures by column (data-label), under the row's name."""
    table = page.find("table", cls="readiness-table")
    found = {}
    for row in table.find_all("tr"):
        heads = row.find_all("th", scope="row")
        if not heads:
            continue
        name = heads[0].text.split("Not practised yet")[0].strip()
        cells = {cell.attrs.get("data-label") or "": cell.words for cell in row.find_all("td")}
        cells["note"] = " ".join(note.words for note in heads[0].find_all(cls="row-note"))
        found[name] = {key: value for key, value in cells.items() if key}
    return found


@pytest.fixture
def two_categories(db: None) -> tuple[list[Question], list[Question]]:
    """Prompting (three questions) and Agents (two), in that order."""
    prompting, agents = category("Prompting", 0), category("Agents", 1)
    return (
        [make_question(n, category=prompting) for n in (1, 2, 3)],
        [make_question(n, category=agents) for n in (4, 5)],
    )


class TestReadiness:
    def test_recall_is_the_mean_over_every_active_question_unseen_counting_as_zero(
        self, owner: User, two_categories: tuple[list[Question], list[Question]]
    ) -> None:
        prompting, agents = two_categories
        graded(owner, prompting[:2], [Grade.MISSED, Grade.EXCELLENT])
        now = T0 + 3 * DAY

        ready = readiness.readiness(owner, now)

        missed = library_recall(Grade.MISSED, T0, now)
        excellent = library_recall(Grade.EXCELLENT, T0, now)
        first, second = ready.categories
        assert (first.category, first.seen, first.total) == (prompting[0].category, 2, 3)
        assert first.recall == pytest.approx((missed + excellent + 0) / 3)
        assert (second.category, second.seen, second.total, second.recall) == (
            agents[0].category,
            0,
            2,
            0,
        )
        assert ready.overall.recall == pytest.approx((missed + excellent) / 5)
        assert (ready.overall.seen, ready.overall.total) == (2, 5)

    def test_the_page_shows_every_category_the_never_practised_too(
        self,
        owner: User,
        owner_client: Client,
        two_categories: tuple[list[Question], list[Question]],
        clock: TimeMachineFixture,
    ) -> None:
        prompting, _ = two_categories
        graded(owner, prompting[:2], [Grade.MISSED, Grade.EXCELLENT])
        now = T0 + 3 * DAY
        clock.move_to(now, tick=False)

        table = rows(parse(owner_client.get(URL).content))

        expected = recall_percent(
            (library_recall(Grade.MISSED, T0, now) + library_recall(Grade.EXCELLENT, T0, now)) / 3
        )
        assert list(table) == ["Prompting", "Agents", "Overall"]
        assert table["Prompting"]["Seen"] == "2 / 3"
        assert table["Prompting"]["Recall today"] == f"{expected}%"
        assert table["Prompting"]["note"] == ""
        assert table["Agents"] == {
            "Seen": "0 / 2",
            "Recall today": "0%",
            "Due now": "0",
            "note": "Not practised yet",
        }
        assert table["Overall"]["Seen"] == "2 / 5"

    def test_retired_questions_and_follow_ups_count_for_nothing_but_due(
        self, owner: User, two_categories: tuple[list[Question], list[Question]]
    ) -> None:
        prompting, _ = two_categories
        Scenario.objects.create(question=prompting[0], label="1.1", prompt="P", answer="A")
        session = start_interview(owner, prompting, include_scenarios=True, now=T0)
        for _ in range(4):  # question 1, its follow-up, questions 2 and 3
            answer(session, Grade.SOLID, now=T0)
        Question.objects.filter(pk=prompting[2].pk).update(is_active=False)
        now = T0 + 30 * DAY  # everything due

        first = readiness.readiness(owner, now).categories[0]

        solid = library_recall(Grade.SOLID, T0, now)
        assert (first.seen, first.total) == (2, 2)  # question 3 retired, the follow-up not one
        assert first.recall == pytest.approx(solid)
        assert first.due_now == 3  # questions 1 and 2 and the follow-up
        assert plan.daily_plan(owner, now).due_now == 3

    def test_due_now_counts_the_cards_due_by_now(
        self, owner: User, two_categories: tuple[list[Question], list[Question]]
    ) -> None:
        prompting, agents = two_categories
        graded(owner, [*prompting, *agents], [Grade.SOLID] * 5)
        Card.objects.filter(question=prompting[0]).update(due=T0 + DAY)
        Card.objects.filter(question=prompting[1]).update(due=T0 + DAY + timedelta(seconds=1))
        Card.objects.filter(question=agents[0]).update(due=T0 - DAY)
        Card.objects.filter(question__in=[prompting[2], agents[1]]).update(due=T0 + 9 * DAY)

        ready = readiness.readiness(owner, T0 + DAY)

        assert [row.due_now for row in ready.categories] == [1, 1]
        assert ready.overall.due_now == 2

    def test_another_users_cards_are_not_mine(
        self,
        owner: User,
        other_user: User,
        owner_client: Client,
        two_categories: tuple[list[Question], list[Question]],
        clock: TimeMachineFixture,
    ) -> None:
        prompting, _ = two_categories
        graded(other_user, prompting, [Grade.EXCELLENT] * 3)
        Card.objects.update(due=T0 - DAY)

        table = rows(parse(owner_client.get(URL).content))
        days = plan.forecast(owner, T0)

        assert table["Prompting"] == {
            "Seen": "0 / 3",
            "Recall today": "0%",
            "Due now": "0",
            "note": "Not practised yet",
        }
        assert sum(day.due for day in days) == 0

    def test_it_needs_a_login(self, client: Client) -> None:
        response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


class TestOnTheInterviewDate:
    def test_recall_is_judged_at_local_noon_on_the_day(
        self,
        owner: User,
        owner_client: Client,
        two_categories: tuple[list[Question], list[Question]],
        clock: TimeMachineFixture,
    ) -> None:
        prompting, _ = two_categories
        graded(owner, prompting, [Grade.MISSED, Grade.SOLID, Grade.EXCELLENT])
        interview = date(2025, 3, 20)
        set_preferences(owner, interview_date=interview, time_zone="America/New_York")
        noon = datetime.combine(interview, time(12), tzinfo=ZoneInfo("America/New_York"))

        ready = readiness.readiness(owner, T0)
        table = rows(parse(owner_client.get(URL).content))

        expected = sum(
            library_recall(grade, T0, noon)
            for grade in (Grade.MISSED, Grade.SOLID, Grade.EXCELLENT)
        )
        assert ready.interview_at == noon
        assert ready.categories[0].recall_sum_on_date == pytest.approx(expected)
        assert table["Prompting"]["On the day"] == f"{recall_percent(expected / 3)}%"
        assert table["Agents"]["On the day"] == "0%"
        assert table["Overall"]["On the day"] == f"{recall_percent(expected / 5)}%"
        # Forgetting goes on: less is recalled on the day than today.
        assert ready.categories[0].recall_sum_on_date < ready.categories[0].recall_sum

    def test_on_the_day_itself_after_noon_it_is_judged_now(self, owner: User) -> None:
        set_preferences(owner, interview_date=T0.date())
        afternoon = T0.replace(hour=15)
        assert plan.interview_moment(plan.preferences_for(owner), afternoon) == afternoon

    @pytest.mark.parametrize("interview_date", [None, T0.date() - DAY])
    def test_without_a_date_ahead_there_is_no_column(
        self,
        owner: User,
        owner_client: Client,
        two_categories: tuple[list[Question], list[Question]],
        clock: TimeMachineFixture,
        interview_date: date | None,
    ) -> None:
        set_preferences(owner, interview_date=interview_date)

        page = parse(owner_client.get(URL).content)

        headers = [th.words for th in page.find("table", cls="readiness-table").find_all("th")]
        assert "On the day" not in headers
        assert "On the day" not in rows(page)["Prompting"]


class TestPlanSummary:
    def test_it_says_the_days_left_and_todays_new_questions(
        self,
        owner: User,
        owner_client: Client,
        two_categories: tuple[list[Question], list[Question]],
        clock: TimeMachineFixture,
    ) -> None:
        set_preferences(owner, interview_date=T0.date() + 4 * DAY, new_per_day=1)

        summary = parse(owner_client.get(URL).content).find("section", cls="plan-summary")

        assert summary.find(**{"data-testid": "days-left"}).words == "4 days left"
        # Five unseen over four days needs two a day; the limit is one.
        assert "takes 2 new questions a day, and your plan allows 1" in summary.words
        assert "1 new question, to see the 5 you have not seen" in summary.words

    def test_without_a_date_it_offers_to_set_one(
        self, owner_client: Client, two_categories: object, clock: TimeMachineFixture
    ) -> None:
        summary = parse(owner_client.get(URL).content).find("section", cls="plan-summary")
        assert "No interview date set" in summary.words
        assert summary.find("a").attrs["href"] == "/readiness/plan/"


class TestForecast:
    def test_it_counts_each_local_day_overdue_on_today(self, owner: User) -> None:
        questions = [make_question(n) for n in range(1, 8)]
        graded(owner, questions, [Grade.SOLID] * 7)
        set_preferences(owner, time_zone="Asia/Tokyo")  # 9:00 UTC is 18:00 there
        due = {
            1: T0 - 2 * DAY,  # overdue: today
            2: T0 + timedelta(hours=5),  # 23:00 local: today
            3: T0 + timedelta(hours=7),  # 01:00 local tomorrow (still 1 March in UTC)
            4: T0 + 13 * DAY + timedelta(hours=5),  # 23:00 on 14 March, the last day
            5: T0 + 12 * DAY + timedelta(hours=7),  # 01:00 on 14 March
            6: T0 + 13 * DAY + timedelta(hours=7),  # 01:00 on 15 March: past the forecast
            7: T0 + 3 * DAY,
        }
        for number, moment in due.items():
            Card.objects.filter(question__number=number).update(due=moment)
        Question.objects.filter(number=7).update(is_active=False)  # never due

        days = plan.forecast(owner, T0)

        assert [day.day for day in days] == [date(2025, 3, 1) + n * DAY for n in range(14)]
        assert [day.due for day in days] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]

    def test_a_day_the_clocks_change_is_a_local_day(self, owner: User) -> None:
        # New York springs forward on 9 March 2025: that day has 23 hours.
        question = make_question(1)
        graded(owner, [question], [Grade.SOLID])
        set_preferences(owner, time_zone="America/New_York")
        late_on_the_9th = datetime(2025, 3, 9, 23, 30, tzinfo=ZoneInfo("America/New_York"))
        Card.objects.update(due=late_on_the_9th)

        days = plan.forecast(owner, T0)

        assert {day.day: day.due for day in days if day.due} == {date(2025, 3, 9): 1}

    def test_the_page_draws_the_bars_and_lists_the_days(
        self, owner: User, owner_client: Client, clock: TimeMachineFixture
    ) -> None:
        questions = [make_question(n) for n in range(1, 4)]
        graded(owner, questions, [Grade.SOLID] * 3)
        Card.objects.filter(question__number__in=[1, 2]).update(due=T0 - DAY)
        Card.objects.filter(question__number=3).update(due=T0 + 2 * DAY)

        page = parse(owner_client.get(URL).content)

        svg = page.find("svg", cls="forecast-chart")
        assert svg.attrs["role"] == "img"
        title, desc = svg.elements[:2]
        assert (title.tag, title.words) == ("title", "Reviews due per day")
        assert desc.tag == "desc" and "3 reviews over 14 days" in desc.words
        bars = svg.find_all("rect", cls="forecast-bar")
        assert [bar.find("title").words for bar in bars[:3]] == [
            "Sat 1 Mar: 2 due",
            "Sun 2 Mar: 0 due",
            "Mon 3 Mar: 1 due",
        ]
        assert float(bars[0].attrs["height"] or 0) == 2 * float(bars[2].attrs["height"] or 0)
        table = page.find("table", cls="forecast-table")
        cells = [[cell.words for cell in row.elements] for row in table.find("tbody").elements]
        assert len(cells) == 14
        assert cells[:3] == [["Today, Sat 1 Mar", "2"], ["Sun 2 Mar", "0"], ["Mon 3 Mar", "1"]]

    def test_with_nothing_due_it_says_so_instead_of_an_empty_chart(
        self, owner_client: Client, questions: list[Question], clock: TimeMachineFixture
    ) -> None:
        page = parse(owner_client.get(URL).content)
        assert not page.find_all("svg", cls="forecast-chart")
        assert "Nothing falls due in the next 14 days" in page.find("p", cls="empty").words


class TestPractiseThisCategory:
    def test_it_starts_a_timed_interview_of_that_category(
        self,
        owner: User,
        owner_client: Client,
        two_categories: tuple[list[Question], list[Question]],
        clock: TimeMachineFixture,
    ) -> None:
        _, agents = two_categories

        response = owner_client.post(PRACTISE_URL, {"category": "agents"})

        session = InterviewSession.objects.get(user=owner)
        assert response["Location"] == session.get_absolute_url()
        assert session.mode == InterviewSession.Mode.TIMED
        assert {item.question_id for item in session.items.all()} == {q.pk for q in agents}

    def test_with_an_interview_open_it_asks_first(
        self,
        owner: User,
        owner_client: Client,
        two_categories: tuple[list[Question], list[Question]],
        clock: TimeMachineFixture,
    ) -> None:
        prompting, _ = two_categories
        open_one = start_interview(owner, prompting, now=T0)

        response = owner_client.post(PRACTISE_URL, {"category": "agents"})

        assert response.status_code == 409
        assert InterviewSession.objects.filter(user=owner).count() == 1
        page = parse(response.content)
        assert page.find("input", name="category").attrs["value"] == "agents"

        owner_client.post(PRACTISE_URL, {"category": "agents", "end_open": str(open_one.pk)})
        open_one.refresh_from_db()
        assert not open_one.is_open
        assert InterviewSession.objects.filter(user=owner).count() == 2

    @pytest.mark.parametrize("slug", ["", "no-such-category", "x" * 500])
    def test_an_unknown_category_is_refused_on_the_page(
        self, owner_client: Client, two_categories: object, clock: TimeMachineFixture, slug: str
    ) -> None:
        response = owner_client.post(PRACTISE_URL, {"category": slug})

        assert response.status_code == 400
        alert = parse(response.content).find("p", cls="message-error")
        assert alert.words == "That category is not in the bank; choose one below."
        assert not InterviewSession.objects.exists()

    def test_a_category_left_without_questions_is_refused(
        self,
        owner_client: Client,
        two_categories: tuple[list[Question], list[Question]],
        clock: TimeMachineFixture,
    ) -> None:
        _, agents = two_categories
        Question.objects.filter(pk__in=[q.pk for q in agents]).update(is_active=False)

        response = owner_client.post(PRACTISE_URL, {"category": "agents"})

        assert response.status_code == 400
        assert (
            "Agents has no questions to ask"
            in parse(response.content).find("p", cls="message-error").words
        )

    def test_it_refuses_get(self, owner_client: Client) -> None:
        assert owner_client.get(PRACTISE_URL).status_code == 405


def test_the_queries_do_not_grow_with_cards_and_reviews(
    bank: ParsedBank,
    owner: User,
    other_user: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    time_machine: TimeMachineFixture,
) -> None:
    client = logged_in(owner)
    set_preferences(owner, interview_date=date(2026, 1, 10), time_zone="Europe/Berlin")
    time_machine.move_to(T0 + 230 * DAY, tick=False)
    small = count_queries(client, URL, django_assert_max_num_queries, BUDGET)

    pool = list(Question.objects.order_by("number"))
    bulk_full_memory(owner, other_user, pool)
    large = count_queries(client, URL, django_assert_max_num_queries, small)

    assert large == small
    page = parse(client.get(URL).content)
    assert rows(page)["Overall"]["Seen"] == "200 / 200"
    assert len(page.find("svg", cls="forecast-chart").find_all("rect", cls="forecast-bar")) == 14


def test_the_navigation_links_to_it(owner_client: Client, clock: TimeMachineFixture) -> None:
    nav = parse(owner_client.get(URL).content).find("nav", cls="site-nav")
    (link,) = [a for a in nav.find_all("a") if a.attrs.get("href") == URL]
    assert link.words == "Readiness" and link.attrs.get("aria-current") == "page"


def test_utc_is_the_default_day(owner: User) -> None:
    # Before any preferences are saved the forecast's days are UTC days.
    assert plan.forecast(owner, datetime(2025, 3, 1, 23, 59, tzinfo=UTC))[0].day == date(2025, 3, 1)
