"""The bank list's memory filters (issue 13): "due" and "never seen", for the signed-in user,
inside the list's own query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from time_machine import TimeMachineFixture

from questions.bank import ParsedBank
from questions.importing import import_bank
from questions.models import Question, Scenario
from sessions.models import Card, Grade
from tests.cast import (
    HTMX,
    T0,
    anonymous,
    answer,
    count_queries,
    make_question,
    messages_shown,
    start_interview,
)
from tests.dom import parse
from tests.histories import bulk_history, bulk_reviews

pytestmark = pytest.mark.django_db

URL = "/questions/"
DAY = timedelta(days=1)
# The login session, the user, the open interview, the categories, the questions.
BUDGET = 5


def numbers(response: object) -> list[int]:
    page = parse(response.content)  # type: ignore[attr-defined]
    results = page.find("section", id="results")
    return [int(n.words.rstrip(".")) for n in results.find_all("span", cls="number")]


@pytest.fixture
def five(owner: User, clock: TimeMachineFixture) -> list[Question]:
    """Questions 1–5; the owner graded 1–3 at T0, and 2 is due a day later, 1 and 3 later on."""
    questions = [make_question(n) for n in range(1, 6)]
    session = start_interview(owner, questions[:3], now=T0)
    for _ in range(3):
        answer(session, Grade.SOLID, now=T0)
    Card.objects.filter(question__number__in=[1, 3]).update(due=T0 + 30 * DAY)
    Card.objects.filter(question__number=2).update(due=T0 + DAY)
    return questions


def test_due_lists_the_questions_due_now(
    owner_client: Client, five: list[Question], clock: TimeMachineFixture
) -> None:
    assert numbers(owner_client.get(URL, {"memory": "due"})) == []
    clock.move_to(T0 + DAY, tick=False)
    response = owner_client.get(URL, {"memory": "due"})
    assert numbers(response) == [2]
    heading = parse(response.content).find("h2", cls="results-heading")
    assert heading.words == "1 question due for review"


def test_a_due_follow_up_makes_its_question_due(
    owner: User, owner_client: Client, five: list[Question]
) -> None:
    question = five[0]
    scenario = Scenario.objects.create(question=question, label="1.1", prompt="P", answer="A")
    Card.objects.create(
        user=owner, question=question, scenario=scenario, state=2, due=T0 - DAY, reviews=1
    )
    assert numbers(owner_client.get(URL, {"memory": "due"})) == [1]


def test_never_seen_lists_the_questions_without_a_card(
    owner_client: Client, five: list[Question]
) -> None:
    assert numbers(owner_client.get(URL, {"memory": "unseen"})) == [4, 5]


def test_it_combines_with_the_search_and_the_htmx_region(
    owner_client: Client, five: list[Question]
) -> None:
    lora = five[4]
    lora.title = "What is LoRA?"
    lora.save()  # a save keeps the search index in step; update() would not
    response = owner_client.get(URL, {"memory": "unseen", "q": "LoRA"}, **HTMX)
    assert numbers(response) == [5]
    assert "never seen" in parse(response.content).find("h2", cls="results-heading").words


def test_another_users_cards_are_not_mine(
    other_user: User, client: Client, five: list[Question], clock: TimeMachineFixture
) -> None:
    clock.move_to(T0 + 31 * DAY, tick=False)  # all of the owner's cards due
    client.force_login(other_user)
    assert numbers(client.get(URL, {"memory": "due"})) == []
    assert numbers(client.get(URL, {"memory": "unseen"})) == [1, 2, 3, 4, 5]


def test_the_filter_is_offered_only_when_signed_in(
    owner_client: Client, five: list[Question]
) -> None:
    select = parse(owner_client.get(URL).content).find("select", id="search-memory")
    assert [o.attrs["value"] for o in select.find_all("option")] == ["", "due", "unseen"]
    assert not parse(anonymous().get(URL).content).find_all("select", id="search-memory")


def test_signed_out_or_unknown_it_shows_everything_and_says_why(
    owner_client: Client, five: list[Question]
) -> None:
    signed_out = anonymous().get(URL, {"memory": "due"})
    unknown = owner_client.get(URL, {"memory": "<forgotten>"})

    assert numbers(signed_out) == numbers(unknown) == [1, 2, 3, 4, 5]
    assert messages_shown(signed_out.content.decode()) == [
        "Log in to see which questions are due or never seen."
    ]
    assert messages_shown(unknown.content.decode()) == [
        "There is no such filter; showing every question."
    ]


def test_an_empty_result_says_so(owner_client: Client, five: list[Question]) -> None:
    empty = parse(owner_client.get(URL, {"memory": "due"}).content).find("p", cls="empty")
    assert empty.words == "Nothing is due for review now. See what falls due next."


@pytest.mark.parametrize("memory", ["due", "unseen"])
def test_the_queries_do_not_grow_with_cards_and_reviews(
    owner: User,
    other_user: User,
    owner_client: Client,
    parsed_bank: ParsedBank,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    time_machine: TimeMachineFixture,
    memory: str,
) -> None:
    time_machine.move_to(T0 + 300 * DAY, tick=False)
    url = f"{URL}?memory={memory}"
    make_question(1)
    small = count_queries(owner_client, url, django_assert_max_num_queries, BUDGET)
    Question.objects.all().delete()
    import_bank(parsed_bank)
    pool = list(Question.objects.order_by("number"))
    bulk_history(owner, pool, sessions=200)
    bulk_history(other_user, pool, sessions=50)
    bulk_reviews(owner)
    bulk_reviews(other_user)
    assert Card.objects.filter(user=owner).count() > 150

    assert count_queries(owner_client, url, django_assert_max_num_queries, small) == small
    cards = Card.objects.filter(user=owner)  # questions only: bulk_reviews makes no follow-up card
    due = cards.filter(due__lte=T0 + 300 * DAY).count()
    assert 0 < due < cards.count()
    listed = numbers(owner_client.get(url))
    assert len(listed) == (due if memory == "due" else 200 - cards.count())
