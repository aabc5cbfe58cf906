"""Crafted input gets a 4xx with a message, never a 500: each reproduced case, at its cause.

A 30-digit id overflowed SQLite's integers in `__in` (interview_prep/lookups.py); a NUL in the
address broke PostgreSQL's text comparisons (interview_prep/middleware.py); a signed-in visit
to the login page with itself as `next` was a redirect loop (interview_prep/accounts.py). The
walk over every URL (tests/test_crafted_input_walk.py) found one more: a scenario label taken
by a scenario the admin page did not hold was an IntegrityError (questions/forms.py).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from questions.models import Category, Question, Scenario
from sessions.models import InterviewSession
from tests.cast import (
    HTMX,
    PASSWORD,
    anonymous,
    html,
    logged_in,
    make_editor,
    make_owner,
    make_question,
    make_superuser,
)
from tests.dom import form_data, parse

HUGE_ID = "9" * 30
pytestmark = pytest.mark.django_db


def alert_text(response: object) -> str:
    return " ".join(node.words for node in parse(html(response)).find_all(role="alert"))  # type: ignore[arg-type]


# A number too big for any integer column.
def test_an_integer_in_lookup_ignores_numbers_no_column_holds() -> None:
    category = make_question(1).category
    assert list(Category.objects.filter(pk__in=[10**30])) == []
    assert list(Category.objects.filter(pk__in=[-(10**30)])) == []
    assert list(Category.objects.filter(pk__in=[category.pk, 10**30])) == [category]
    # Within range the lookup is Django's own.
    assert list(Category.objects.filter(pk__in=[category.pk, category.pk + 1])) == [category]
    assert list(Question.objects.filter(number__in=[1, 2**63])) == [Question.objects.get()]
    assert list(Category.objects.exclude(pk__in=[10**30])) == [category]


def test_the_new_interview_form_refuses_an_overflowing_category_with_what_was_typed() -> None:
    category = make_question(1).category
    client = logged_in(make_owner())
    response = client.post(
        "/interviews/new/",
        {
            "mode": "practice",
            "question_count": "7",
            "seconds_per_item_minutes": "3",
            "seconds_per_item_seconds": "15",
            "categories": [str(category.pk), HUGE_ID],
        },
    )
    assert response.status_code == 400
    page = parse(html(response))
    assert "The interview was not started" in alert_text(response)
    assert (
        f"{HUGE_ID} is not one of the available choices"
        in page.find("fieldset", cls="field-error").words
    )
    # What was typed comes back.
    assert page.find("input", name="question_count").attrs["value"] == "7"
    assert page.find("input", name="seconds_per_item_minutes").attrs["value"] == "3"
    assert page.find("input", name="seconds_per_item_seconds").attrs["value"] == "15"
    assert "checked" in page.find("input", name="mode", value="practice").attrs
    assert not InterviewSession.objects.exists()


def test_the_length_line_says_what_is_wrong_with_an_overflowing_category() -> None:
    make_question(1)
    response = logged_in(make_owner()).get(f"/interviews/new/length/?categories={HUGE_ID}")
    assert response.status_code == 200
    assert f"{HUGE_ID} is not one of the available choices" in response.content.decode()


def test_the_admin_refuses_an_overflowing_id_in_a_many_to_many_field() -> None:
    admin_client = logged_in(make_superuser())
    user = make_owner()
    group = Group.objects.create(name="Reviewers")
    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {
            "username": "owner",
            "email": "owner@example.com",
            "is_active": "on",
            "groups": [str(group.pk), HUGE_ID],
            "date_joined_0": "2025-03-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 200  # the admin shows its change form again
    errors = parse(html(response)).find_all("ul", cls="errorlist")
    assert any(f"{HUGE_ID} is not one of the available choices" in e.words for e in errors)
    assert not User.objects.get(pk=user.pk).groups.exists()


# A NUL (or another control character) in the address.
@pytest.mark.parametrize(
    "query",
    ["q=kv%00cache", "q=kv+cache&category=fundamentals%00", "q%00=kv", "memory=due%01"],
)
def test_the_bank_refuses_a_control_character_in_the_address(query: str) -> None:
    make_question(1)
    response = anonymous().get(f"/questions/?{query}")
    assert response.status_code == 400
    assert "The address has a control character (U+00" in alert_text(response)
    # The site's own 400 page: header, navigation and a way on.
    page = parse(html(response))
    assert page.find("header")
    assert page.find("a", cls="button", href="/questions/").words == "Browse the question bank"


def test_live_search_with_a_nul_gets_400_too() -> None:
    make_question(1)
    response = anonymous().get("/questions/?q=a%00b", **HTMX)
    assert response.status_code == 400
    assert "parameter “q”" in alert_text(response)


def test_a_control_character_in_the_path_gets_400() -> None:
    response = anonymous().get("/questions/%00/")
    assert response.status_code == 400
    assert "in its path" in alert_text(response)


def test_tabs_and_line_breaks_are_text_not_control_characters() -> None:
    make_question(1, title="KV cache")
    response = anonymous().get("/questions/?q=kv%09cache%0A")
    assert response.status_code == 200
    heading = parse(html(response)).find("h2", cls="results-heading").words
    assert heading.startswith("1 result for")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/autocomplete/?term=a%00b&app_label=questions&model_name=question"
        "&field_name=category",
        "/admin/questions/question/?q=a%00b",
        "/admin/questions/category/?q=%00",
    ],
)
def test_the_admin_search_refuses_a_nul_for_editors(url: str) -> None:
    make_question(1)
    response = logged_in(make_editor()).get(url)
    assert response.status_code == 400
    assert "control character (U+0000)" in alert_text(response)


def test_the_admin_autocomplete_still_searches() -> None:
    make_question(1)
    response = logged_in(make_editor()).get(
        "/admin/autocomplete/?term=fund&app_label=questions&model_name=question&field_name=category"
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Fundamentals"]


def test_a_nul_in_a_posted_form_field_comes_back_with_the_form_and_a_message() -> None:
    """Posts are the forms' to refuse (Django's CharField refuses a NUL), with what was typed."""
    response = anonymous().post(
        "/accounts/signup/",
        {"username": "new\x00comer", "email": "", "password1": "x", "password2": "x"},
    )
    assert response.status_code == 400
    page = parse(html(response))
    assert "Null characters are not allowed." in page.find("form").words
    assert page.find("input", name="username").attrs["value"] == "new\x00comer"
    assert not User.objects.filter(username__startswith="new").exists()


# The login page as its own `next`.
@pytest.mark.parametrize(
    "next_url",
    [
        "/accounts/login/",
        "/accounts/login/?next=/accounts/login/",
        "http://testserver/accounts/login/",
    ],
)
def test_a_signed_in_visit_to_the_login_page_with_itself_as_next_goes_home(
    next_url: str,
) -> None:
    client = logged_in(make_owner())
    response = client.get("/accounts/login/", {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_signed_in_visit_to_the_login_page_still_follows_another_next() -> None:
    client = logged_in(make_owner())
    response = client.get("/accounts/login/", {"next": "/history/"})
    assert (response.status_code, response["Location"]) == (302, "/history/")


def test_logging_in_with_the_login_page_as_next_lands_home() -> None:
    make_owner()
    client = Client()
    response = client.post(
        "/accounts/login/?next=/accounts/login/", {"username": "owner", "password": PASSWORD}
    )
    assert (response.status_code, response["Location"]) == (302, "/")


# A scenario label taken by one the admin page does not hold (found by the walk).
def _question_form(client: Client, question: Question) -> dict[str, list[str]]:
    page = parse(client.get(f"/admin/questions/question/{question.pk}/change/").content)
    return form_data(page.find("form", id_="question_form"))


def test_a_scenario_label_another_editor_took_since_the_page_loaded_is_refused() -> None:
    question = make_question(1)
    client = logged_in(make_editor())
    data = _question_form(client, question)
    data.update(
        {
            "scenarios-TOTAL_FORMS": ["1"],
            "scenarios-0-label": ["1.1"],
            "scenarios-0-position": ["0"],
            "scenarios-0-prompt": ["Mine?"],
            "scenarios-0-answer": ["Mine."],
            "scenarios-0-id": [""],
            "scenarios-0-question": [str(question.pk)],
        }
    )
    # Meanwhile another editor adds scenario 1.1.
    Scenario.objects.create(question=question, label="1.1", prompt="Theirs?", answer="Theirs.")
    response = client.post(f"/admin/questions/question/{question.pk}/change/", data)
    assert response.status_code == 200  # the change form again, with the error
    errors = [e.words for e in parse(html(response)).find_all("ul", cls="errorlist")]
    assert "Question 1 already has a scenario 1.1." in errors
    assert list(question.scenarios.values_list("prompt", flat=True)) == ["Theirs?"]


@pytest.mark.parametrize("initial_forms", ["0", "-" + HUGE_ID])
def test_a_crafted_formset_count_cannot_duplicate_a_scenario(initial_forms: str) -> None:
    question = make_question(1)
    Scenario.objects.create(question=question, label="1.1", prompt="Kept?", answer="Kept.")
    client = logged_in(make_editor())
    data = _question_form(client, question)
    data["scenarios-INITIAL_FORMS"] = [initial_forms]
    response = client.post(f"/admin/questions/question/{question.pk}/change/", data)
    assert response.status_code == 200
    errors = [e.words for e in parse(html(response)).find_all("ul", cls="errorlist")]
    assert "Question 1 already has a scenario 1.1." in errors
    assert question.scenarios.count() == 1


# A NUL in a posted value read without a form (found by the walk on PostgreSQL).
@pytest.mark.parametrize("slug", ["fundamentals\x00", "x" * 10_000, HUGE_ID])
def test_practising_a_crafted_category_shows_the_readiness_page_with_a_message(slug: str) -> None:
    make_question(1)
    response = logged_in(make_owner()).post("/readiness/practise/", {"category": slug})
    assert response.status_code == 400
    assert "That category is not in the bank; choose one below." in alert_text(response)
    assert not InterviewSession.objects.exists()
