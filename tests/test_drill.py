"""The daily drill, the dashboard's "Today", balanced draws and the diagnostic (issue 13).

What is due and how overdue comes from cards made by grading through the services (the `fsrs`
library schedules them), never from typed dates; the clock stands still (time-machine) and is
moved, never waited for.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from time_machine import TimeMachineFixture

from questions.bank import ParsedBank
from questions.models import Category, Question, Scenario
from sessions import memory, plan, readiness, services
from sessions.models import Card, Grade, InterviewSession, Item, Preferences, ReviewLog
from tests.cast import T0, answer, count_queries, logged_in, make_question, start_interview
from tests.dom import Node, parse
from tests.histories import bulk_full_memory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
DRILL_URL = "/interviews/drill/"
DIAGNOSTIC_URL = "/interviews/diagnostic/"
SECONDS = 120


def graded(user: User, questions: list[Question], grade: int, at: datetime) -> None:
    """An interview at `at` in which `user` gave each question `grade`."""
    session = start_interview(user, questions, now=at)
    for _ in questions:
        answer(session, grade, now=at)


def asked(session: InterviewSession) -> list[int]:
    """The question numbers a session asks, in order."""
    return list(
        session.items.filter(kind=Item.Kind.QUESTION)
        .order_by("position")
        .values_list("question__number", flat=True)
    )


def set_preferences(user: User, **fields: object) -> None:
    Preferences.objects.update_or_create(user=user, defaults=fields)


def drill(user: User, now: datetime = T0, *, timed: bool = False) -> InterviewSession:
    return services.start_drill(user, now=now, seconds_per_item=SECONDS, timed=timed)


def today_card(client: Client) -> Node:
    return parse(client.get("/").content).find("section", cls="today")


@pytest.fixture
def numbered(db: None) -> dict[int, Question]:
    """Questions 1 to 8, in the default category."""
    return {number: make_question(number) for number in range(1, 9)}


class TestDrillOrder:
    def test_overdue_before_less_overdue_before_new(
        self, owner: User, numbered: dict[int, Question]
    ) -> None:
        graded(owner, [numbered[3]], Grade.MISSED, T0 - 1 * DAY)
        graded(owner, [numbered[5]], Grade.MISSED, T0 - 10 * DAY)
        graded(owner, [numbered[1]], Grade.MISSED, T0 - 4 * DAY)
        # Not due: an Easy first review waits days.
        graded(owner, [numbered[2]], Grade.EXCELLENT, T0 - 1 * DAY)

        session = drill(owner)

        order = asked(session)
        assert order[:3] == [5, 1, 3]  # ten days overdue, then four, then one
        assert sorted(order[3:]) == [4, 6, 7, 8]  # then every never-seen one (the limit is 10)
        recall = memory.retrievabilities(memory.due_cards(owner, T0), T0)
        by_question = {
            card.question.number: recall[card.pk] for card in memory.due_cards(owner, T0)
        }
        assert by_question[5] < by_question[1] < by_question[3]  # lowest predicted recall first
        assert session.mode == InterviewSession.Mode.DRILL

    def test_new_questions_are_capped_by_the_daily_limit(
        self, owner: User, numbered: dict[int, Question]
    ) -> None:
        set_preferences(owner, new_per_day=2)
        graded(owner, [numbered[1]], Grade.MISSED, T0 - 2 * DAY)

        order = asked(drill(owner))

        assert order[0] == 1 and len(order) == 3
        assert set(order[1:]) <= {2, 3, 4, 5, 6, 7, 8}

    def test_new_questions_follow_the_interview_date(
        self, owner: User, numbered: dict[int, Question]
    ) -> None:
        # Eight unseen, four days left: two a day, though the limit allows ten.
        set_preferences(owner, interview_date=(T0 + 4 * DAY).date())
        assert plan.daily_plan(owner, T0).new_today == 2

        assert len(asked(drill(owner))) == 2

    def test_new_questions_seen_today_count_against_today(
        self, owner: User, numbered: dict[int, Question], clock: TimeMachineFixture
    ) -> None:
        set_preferences(owner, new_per_day=3)
        first = drill(owner)
        for _ in asked(first):
            answer(first, Grade.EXCELLENT, now=T0)  # not due again for days

        assert plan.daily_plan(owner, T0).new_left_today == 0
        with pytest.raises(services.InterviewError):
            drill(owner, T0 + timedelta(hours=1))
        # The next local day brings three more.
        assert len(asked(drill(owner, T0 + DAY))) == 3

    def test_retired_questions_are_never_drilled(
        self, owner: User, numbered: dict[int, Question]
    ) -> None:
        graded(owner, [numbered[1], numbered[2]], Grade.MISSED, T0 - 2 * DAY)
        Question.objects.filter(number__in=[2, 4, 5, 6, 7, 8]).update(is_active=False)

        assert asked(drill(owner)) == [1, 3]

    def test_a_due_follow_up_brings_its_question(self, owner: User) -> None:
        question = make_question(1)
        Scenario.objects.create(question=question, label="1.1", prompt="What if?", answer="Then.")
        set_preferences(owner, new_per_day=0)
        session = start_interview(owner, [question], now=T0 - 3 * DAY, include_scenarios=True)
        answer(session, Grade.EXCELLENT, now=T0 - 3 * DAY)  # the question: not due
        answer(session, Grade.MISSED, now=T0 - 3 * DAY)  # its follow-up: due

        session = drill(owner)

        labels = list(session.items.order_by("position").values_list("label", flat=True))
        assert labels == ["Bank question 1", "Follow-up scenario 1.1"]

    def test_another_users_cards_are_not_mine(
        self, owner: User, other_user: User, numbered: dict[int, Question]
    ) -> None:
        set_preferences(owner, new_per_day=0)
        graded(other_user, [numbered[1], numbered[2]], Grade.MISSED, T0 - 2 * DAY)
        graded(owner, [numbered[3]], Grade.MISSED, T0 - 2 * DAY)

        assert asked(drill(owner)) == [3]
        theirs = asked(drill(other_user))
        assert theirs[:2] == [1, 2] and sorted(theirs[2:]) == [3, 4, 5, 6, 7, 8]


class TestDrillFlow:
    def test_it_is_untimed_by_default_and_timed_on_request(
        self, owner: User, numbered: dict[int, Question]
    ) -> None:
        untimed = drill(owner)
        assert set(untimed.items.values_list("time_limit_seconds", flat=True)) == {None}
        assert untimed.items.get(position=0).deadline_at is None

        timed = drill(owner, timed=True)
        assert set(timed.items.values_list("time_limit_seconds", flat=True)) == {SECONDS}
        first = timed.items.get(position=0)
        assert first.deadline_at == T0 + timedelta(seconds=SECONDS)

    def test_every_graded_item_counts_toward_the_schedule(
        self, owner: User, numbered: dict[int, Question]
    ) -> None:
        graded(owner, [numbered[1]], Grade.MISSED, T0 - 2 * DAY)
        before = Card.objects.get(user=owner, question=numbered[1])

        session = drill(owner)
        answer(session, Grade.SOLID, now=T0)
        answer(session, Grade.PARTIAL, now=T0)

        card = Card.objects.get(user=owner, question=numbered[1])
        assert card.reviews == before.reviews + 1 and card.due > T0
        expected = memory.replay(
            ReviewLog.objects.filter(card=card)
            .order_by(*memory.REPLAY_ORDER)
            .values_list("rating", "reviewed_at")
        )
        assert card.due == expected["due"]
        assert ReviewLog.objects.filter(item__session=session).count() == 2

    def test_a_counting_grade_adds_at_most_two_queries(
        self,
        owner: User,
        numbered: dict[int, Question],
        django_assert_max_num_queries: DjangoAssertNumQueries,
    ) -> None:
        def grade_queries(session: InterviewSession) -> int:
            item = services.show_current_item(session=session, now=T0)
            assert item is not None
            services.reveal_item(session=session, position=item.position, notes="", now=T0)
            with django_assert_max_num_queries(50) as captured:
                services.grade_item(session=session, position=item.position, grade=2, now=T0)
            return len(captured.captured_queries)

        not_counting = start_interview(
            owner, [numbered[1], numbered[2]], mode="practice", counts_toward_schedule=False
        )
        drilled = drill(owner)

        assert grade_queries(drilled) <= grade_queries(not_counting) + 2


class TestDrillPage:
    def test_it_starts_the_drill(self, owner_client: Client, numbered: dict[int, Question]) -> None:
        response = owner_client.post(DRILL_URL)

        session = InterviewSession.objects.get(mode=InterviewSession.Mode.DRILL)
        assert response.status_code == 302 and response["Location"] == f"/interviews/{session.pk}/"
        assert session.items.filter(time_limit_seconds__isnull=False).count() == 0

    def test_the_clock_is_a_choice(
        self, owner_client: Client, numbered: dict[int, Question]
    ) -> None:
        owner_client.post(
            DRILL_URL,
            {"timed": "on", "seconds_per_item_minutes": "1", "seconds_per_item_seconds": "30"},
        )

        session = InterviewSession.objects.get(mode=InterviewSession.Mode.DRILL)
        assert set(session.items.values_list("time_limit_seconds", flat=True)) == {90}

    def test_a_bad_time_is_refused_only_with_a_clock(
        self, owner_client: Client, numbered: dict[int, Question]
    ) -> None:
        bad = {"seconds_per_item_minutes": "x", "seconds_per_item_seconds": ""}
        refused = owner_client.post(DRILL_URL, {"timed": "on", **bad})
        assert refused.status_code == 400
        assert "whole minutes and seconds" in parse(refused.content).find("fieldset").words
        assert not InterviewSession.objects.exists()

        assert owner_client.post(DRILL_URL, bad).status_code == 302

    def test_the_page_says_what_the_drill_holds(
        self, owner: User, owner_client: Client, numbered: dict[int, Question]
    ) -> None:
        set_preferences(owner, new_per_day=3)
        graded(owner, [numbered[1]], Grade.MISSED, T0 - 2 * DAY)
        graded(owner, [numbered[2]], Grade.MISSED, T0 - 2 * DAY)

        holds = parse(owner_client.get(DRILL_URL).content).find(**{"data-testid": "drill-holds"})

        assert holds.words.startswith(
            "2 reviews due (2 overdue), the most overdue first, then 3 new"
        )

    def test_with_nothing_left_it_says_when_the_next_review_is_and_offers_new_ones(
        self,
        owner: User,
        owner_client: Client,
        numbered: dict[int, Question],
        clock: TimeMachineFixture,
    ) -> None:
        set_preferences(owner, new_per_day=1, time_zone="Australia/Sydney")
        graded(owner, [numbered[1]], Grade.EXCELLENT, T0)  # a new question seen today, not due

        page = parse(owner_client.get(DRILL_URL).content)

        nothing = page.find(**{"data-testid": "nothing-due"})
        due = Card.objects.get(user=owner).due.astimezone(ZoneInfo("Australia/Sydney"))
        assert f"due {due:%A} {due.day} {due:%B, %H:%M}." in nothing.words
        assert "you have seen today's 1 new question" in nothing.words
        (form,) = page.find_all("form", action=DRILL_URL)
        assert form.find("button").words == "Learn new questions instead"

        response = owner_client.post(DRILL_URL, {"more_new": "on"})

        session = InterviewSession.objects.get(mode=InterviewSession.Mode.DRILL)
        assert response["Location"] == f"/interviews/{session.pk}/"
        assert len(asked(session)) == 1 and asked(session)[0] != 1

    def test_with_every_question_seen_it_offers_an_interview(
        self, owner: User, owner_client: Client, clock: TimeMachineFixture
    ) -> None:
        question = make_question(1)
        graded(owner, [question], Grade.EXCELLENT, T0)

        page = parse(owner_client.get(DRILL_URL).content)

        assert page.find_all("form", action=DRILL_URL) == []
        assert "Start a mock interview" in [
            a.words for a in page.find_all("a", href="/interviews/new/")
        ]
        refused = owner_client.post(DRILL_URL)
        assert refused.status_code == 400
        assert services.NOTHING_TO_DRILL_MESSAGE in parse(refused.content).find(role="alert").words

    def test_it_needs_a_login(self, client: Client) -> None:
        assert client.post(DRILL_URL).status_code == 302
        assert not InterviewSession.objects.exists()

    def test_with_an_interview_open_it_asks_first(
        self,
        owner: User,
        owner_client: Client,
        numbered: dict[int, Question],
        clock: TimeMachineFixture,
    ) -> None:
        open_one = start_interview(owner, [numbered[1]], now=T0)

        response = owner_client.post(DRILL_URL)

        assert response.status_code == 409
        assert list(InterviewSession.objects.values_list("pk", flat=True)) == [open_one.pk]


class TestDashboard:
    def test_it_counts_due_today_and_overdue_and_offers_the_drill(
        self,
        owner: User,
        owner_client: Client,
        numbered: dict[int, Question],
        clock: TimeMachineFixture,
    ) -> None:
        graded(owner, [numbered[1]], Grade.MISSED, T0 - 2 * DAY)  # overdue
        graded(owner, [numbered[2]], Grade.MISSED, T0)  # due in a minute: later today
        clock.move_to(T0 + timedelta(seconds=20), tick=False)

        card = today_card(owner_client)

        assert card.find(**{"data-testid": "due-today"}).words == "2 due today"
        assert card.find(**{"data-testid": "overdue"}).words == "1 overdue"
        assert "1 due now" in card.find("p", cls="today-due").words
        (form,) = card.find_all("form", action=DRILL_URL)
        assert form.find("button").words == "Review due"
        assert card.find("a", href="/readiness/") is not None

    def test_with_nothing_due_it_says_when_the_next_review_is(
        self,
        owner: User,
        owner_client: Client,
        numbered: dict[int, Question],
        clock: TimeMachineFixture,
    ) -> None:
        set_preferences(owner, new_per_day=1, time_zone="America/New_York")
        graded(owner, [numbered[1]], Grade.EXCELLENT, T0)

        card = today_card(owner_client)

        due = Card.objects.get(user=owner).due.astimezone(ZoneInfo("America/New_York"))
        assert (
            card.find(**{"data-testid": "next-review"}).words
            == f"{due:%A} {due.day} {due:%B, %H:%M}"
        )
        assert card.find_all("form", action=DRILL_URL) == []
        assert card.find("a", href=DRILL_URL).words == "Learn new questions instead"

    def test_the_next_day_the_review_is_due(
        self,
        owner: User,
        owner_client: Client,
        numbered: dict[int, Question],
        clock: TimeMachineFixture,
    ) -> None:
        graded(owner, [numbered[1]], Grade.SOLID, T0)
        due = Card.objects.get(user=owner).due
        clock.move_to(due + timedelta(seconds=1), tick=False)

        card = today_card(owner_client)

        assert card.find(**{"data-testid": "due-today"}).words == "1 due today"
        assert card.find("button").words == "Review due"

    def test_with_a_date_it_says_the_days_left_and_todays_plan(
        self,
        owner: User,
        owner_client: Client,
        numbered: dict[int, Question],
        clock: TimeMachineFixture,
    ) -> None:
        set_preferences(owner, interview_date=date(2025, 3, 11))

        card = today_card(owner_client)

        assert card.find(**{"data-testid": "days-left"}).words == "10 days left"
        assert (
            "Today: 0 reviews due and 1 new question, to see the 8 you have not seen" in card.words
        )

    def test_it_says_when_the_date_is_too_close(
        self,
        owner: User,
        owner_client: Client,
        numbered: dict[int, Question],
        clock: TimeMachineFixture,
    ) -> None:
        set_preferences(owner, interview_date=date(2025, 3, 3), new_per_day=2)

        card = today_card(owner_client)

        assert card.find(**{"data-testid": "days-left"}).words == "2 days left"
        warning = card.find("p", cls="message-warning").words
        assert "takes 4 new questions a day, and your plan allows 2" in warning

    def test_it_says_when_the_date_has_passed(
        self,
        owner: User,
        owner_client: Client,
        numbered: dict[int, Question],
        clock: TimeMachineFixture,
    ) -> None:
        set_preferences(owner, interview_date=date(2025, 2, 20))

        assert (
            "Your interview date, Thursday 20 February 2025, has passed."
            in today_card(owner_client).words
        )

    def test_another_users_reviews_are_not_mine(
        self,
        owner: User,
        other_user: User,
        owner_client: Client,
        numbered: dict[int, Question],
        clock: TimeMachineFixture,
    ) -> None:
        graded(other_user, [numbered[1], numbered[2]], Grade.MISSED, T0 - 2 * DAY)

        card = today_card(owner_client)

        assert card.find_all(**{"data-testid": "due-today"}) == []
        assert card.find("button").words == "Learn today's new questions"


class TestBalancedDraw:
    def test_thirteen_categories_thirteen_questions_one_each(
        self, bank: ParsedBank, owner: User
    ) -> None:
        categories = Category.objects.with_active_questions()
        assert categories.count() == 13
        for _ in range(5):
            drawn = services.draw_questions(user=owner, categories=categories, count=13, now=T0)
            assert Counter(q.category_id for q in drawn) == {c.pk: 1 for c in categories}

    def test_advanced_topics_no_longer_dominates(self, bank: ParsedBank, owner: User) -> None:
        categories = Category.objects.with_active_questions()
        advanced = Category.objects.get(name__startswith="Advanced Topics")
        assert advanced.questions.count() == 80
        for _ in range(5):
            drawn = services.draw_questions(user=owner, categories=categories, count=26, now=T0)
            assert Counter(q.category_id for q in drawn)[advanced.pk] == 2

    def test_two_categories_alternate(self, owner: User) -> None:
        big = Category.objects.create(name="Big", slug="big", position=0)
        small = Category.objects.create(name="Small", slug="small", position=1)
        for number in range(1, 9):
            make_question(number, category=big)
        for number in range(9, 12):
            make_question(number, category=small)

        drawn = services.draw_questions(user=owner, categories=[big, small], count=8, now=T0)

        kinds = [q.category_id for q in drawn]
        assert kinds[:6:2] == [kinds[0]] * 3 and kinds[1:6:2] == [kinds[1]] * 3
        assert {kinds[0], kinds[1]} == {big.pk, small.pk}
        assert kinds[6:] == [big.pk, big.pk]  # the small one ran out after three

    def test_within_a_category_never_seen_then_due_then_the_rest(self, owner: User) -> None:
        questions = [make_question(number) for number in range(1, 5)]
        graded(owner, [questions[0]], Grade.EXCELLENT, T0 - DAY)  # seen, not due
        graded(owner, [questions[1]], Grade.EXCELLENT, T0 - 30 * DAY)  # seen, due

        for _ in range(5):
            drawn = services.draw_questions(
                user=owner, categories=Category.objects.all(), count=4, now=T0
            )
            assert {q.number for q in drawn[:2]} == {3, 4}
            assert [q.number for q in drawn[2:]] == [2, 1]

    def test_the_order_among_equals_is_random(self, bank: ParsedBank, owner: User) -> None:
        categories = Category.objects.with_active_questions()
        draws = {
            tuple(
                q.pk
                for q in services.draw_questions(
                    user=owner, categories=categories, count=13, now=T0
                )
            )
            for _ in range(5)
        }
        assert len(draws) > 1


class TestDiagnostic:
    def test_a_newcomer_gets_one_question_from_each_category(
        self, bank: ParsedBank, owner: User, owner_client: Client, clock: TimeMachineFixture
    ) -> None:
        response = owner_client.post(DIAGNOSTIC_URL)

        session = InterviewSession.objects.get(user=owner)
        assert response["Location"] == f"/interviews/{session.pk}/"
        assert session.mode == InterviewSession.Mode.TIMED
        categories = list(session.items.values_list("category_id", flat=True))
        assert len(categories) == 13 and len(set(categories)) == 13

    def test_it_seeds_readiness_for_every_category(
        self, bank: ParsedBank, owner: User, clock: TimeMachineFixture
    ) -> None:
        session = services.start_diagnostic(owner, now=T0, seconds_per_item=SECONDS)
        for _ in range(13):
            answer(session, Grade.SOLID, now=T0)

        ready = readiness.readiness(owner, T0 + DAY)
        assert [row.seen for row in ready.categories] == [1] * 13
        assert all(row.recall > 0 for row in ready.categories)

    def test_it_is_offered_only_before_the_first_finished_interview(
        self, bank: ParsedBank, owner: User, owner_client: Client, clock: TimeMachineFixture
    ) -> None:
        offer = {"action": DIAGNOSTIC_URL}
        assert parse(owner_client.get("/").content).find_all("form", **offer) != []
        session = services.start_diagnostic(owner, now=T0, seconds_per_item=SECONDS)
        for _ in range(13):
            answer(session, Grade.SOLID, now=T0)

        assert parse(owner_client.get("/").content).find_all("form", **offer) == []

    def test_it_refuses_get(self, owner_client: Client) -> None:
        assert owner_client.get(DIAGNOSTIC_URL).status_code == 405


# Query budgets -----------------------------------------------------------------------------

# The login session and the user; the open interview (the middleware's); the preferences, the
# cards' counts and the unseen questions (the plan); then the page's own.
DASHBOARD_BUDGET = 11
# Starting it, inserts apart: the login session and the user, the open interview, the due
# cards, the plan's three, a savepoint and its release, the session's categories, the
# follow-ups, the key points; with new questions left, their draw is one more. The inserts (the
# session, its categories, its items and their key points) go in batches of the database's
# parameter limit, so they grow with the drill's length (SQLite's limit is low).
DRILL_START_BUDGET = 12
# The login session, the user, the open interview, the session, the item with its card, its
# place among the others, the preferences (keep recordings, the warning sound: a full page only).
FIRST_ITEM_BUDGET = 7


def test_the_queries_do_not_grow_with_cards_and_reviews(
    bank: ParsedBank,
    owner: User,
    other_user: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    time_machine: TimeMachineFixture,
) -> None:
    client = logged_in(owner)
    # No new questions: with every card made below none is left unseen, so the small drill must
    # not draw any either (drawing them is one query more, tested apart).
    set_preferences(
        owner, interview_date=date(2026, 1, 10), time_zone="Europe/Berlin", new_per_day=0
    )
    pool = list(Question.objects.order_by("number"))
    now = T0 + 230 * DAY
    time_machine.move_to(now, tick=False)
    graded(owner, pool[:2], Grade.MISSED, now - 2 * DAY)  # a little due, a little history
    graded(owner, pool[2:3], Grade.SOLID, now - 2 * DAY)

    def measure(budgets: dict[str, int]) -> dict[str, int]:
        counts = {"/": count_queries(client, "/", django_assert_max_num_queries, budgets["/"])}
        with django_assert_max_num_queries(budgets["start"] + 10) as captured:
            started = client.post(DRILL_URL)
        assert started.status_code == 302
        # The inserts of its rows go in batches of the database's parameter limit (SQLite's is
        # low): they grow with the drill's length, not with the history. Everything else is fixed.
        counts["start"] = sum(
            not query["sql"].startswith("INSERT") for query in captured.captured_queries
        )
        session = InterviewSession.objects.get(user=owner, status="in_progress")
        first = session.item_url(0)
        counts["first"] = count_queries(
            client, first, django_assert_max_num_queries, budgets["first"]
        )
        services.end_session(session=session, now=now)
        return counts

    small = measure(
        {"/": DASHBOARD_BUDGET, "start": DRILL_START_BUDGET, "first": FIRST_ITEM_BUDGET}
    )

    bulk_full_memory(owner, other_user, pool)
    large = measure(small)

    assert large == small
    drilled = InterviewSession.objects.filter(user=owner, mode="drill").latest("pk")
    due_questions = set(memory.due_cards(owner, now).values_list("question__number", flat=True))
    assert len(due_questions) > 100 and set(asked(drilled)) == due_questions
