"""What caches may keep (interview_prep.middleware.CacheHeadersMiddleware): no signed-in page,
and no htmx fragment in place of its page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.utils.cache import get_max_age
from time_machine import TimeMachineFixture

from questions.models import Question
from sessions.models import InterviewSession
from tests.cast import HTMX, anonymous, answer_each, item_url, start_interview

pytestmark = pytest.mark.django_db


def cache_control(response: HttpResponse) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def vary(response: HttpResponse) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part}


@pytest.fixture
def finished(owner: User, questions: list[Question], clock: TimeMachineFixture) -> InterviewSession:
    session = start_interview(owner, questions[:1])
    answer_each(session, [3])
    return session


PRIVATE_PAGES = {
    "dashboard": "/",
    "new interview": "/interviews/new/",
    "history": "/history/",
    "history export": "/history/export.csv",
    "cards export": "/history/cards.csv",
    "readiness": "/readiness/",
    "plan": "/readiness/plan/",
    "settings": "/accounts/settings/",
    "data download": "/accounts/settings/data.json",
    "a question, signed in": "/questions/1/",
    "the bank, signed in": "/questions/",
}


@pytest.mark.parametrize("url", PRIVATE_PAGES.values(), ids=PRIVATE_PAGES.keys())
def test_every_signed_in_page_is_private_and_never_stored(
    owner_client: Client, finished: InterviewSession, url: str
) -> None:
    response = owner_client.get(url)
    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)
    assert "public" not in cache_control(response)


def test_the_interview_and_its_summary_are_private(
    owner: User, owner_client: Client, questions: list[Question], clock: TimeMachineFixture
) -> None:
    session = start_interview(owner, questions[:2])
    response = owner_client.get(item_url(session, 0))
    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)
    answer_each(session, [2, 3])
    summary = owner_client.get(f"/interviews/{session.pk}/summary/")
    assert summary.status_code == 200
    assert {"private", "no-store"} <= cache_control(summary)


def test_never_cache_pages_keep_their_own_directives_too(
    owner: User, owner_client: Client, questions: list[Question], clock: TimeMachineFixture
) -> None:
    session = start_interview(owner, questions[:1])
    response = owner_client.get(item_url(session, 0))
    assert {"no-cache", "must-revalidate", "private", "no-store"} <= cache_control(response)
    assert get_max_age(response) == 0


def test_a_refusal_and_a_redirect_for_a_signed_in_user_are_private(
    owner_client: Client,
) -> None:
    refused = owner_client.get("/questions/?q=a%00b")
    assert refused.status_code == 400
    assert {"private", "no-store"} <= cache_control(refused)
    redirected = owner_client.get("/accounts/login/")
    assert redirected.status_code == 302
    assert {"private", "no-store"} <= cache_control(redirected)


def test_an_anonymous_page_of_the_bank_may_be_cached(questions: list[Question]) -> None:
    for url in ("/questions/", "/questions/1/"):
        response = anonymous().get(url)
        assert response.status_code == 200
        assert "no-store" not in cache_control(response)
        assert "private" not in cache_control(response)


# Vary: HX-Request
def test_the_bank_varies_on_htmx_for_everyone(questions: list[Question]) -> None:
    full = anonymous().get("/questions/?q=question")
    fragment = anonymous().get("/questions/?q=question", **HTMX)
    assert b"<html" in full.content and b"<html" not in fragment.content
    for response in (full, fragment):
        assert "hx-request" in vary(response)


def test_a_page_the_same_for_htmx_does_not_vary_on_it(questions: list[Question]) -> None:
    response = anonymous().get("/questions/1/")
    assert response.status_code == 200
    assert "hx-request" not in vary(response)


def test_the_interview_page_varies_on_htmx(
    owner: User, owner_client: Client, questions: list[Question], clock: TimeMachineFixture
) -> None:
    session = start_interview(owner, questions[:2])
    full = owner_client.get(item_url(session, 0))
    fragment = owner_client.get(item_url(session, 0), **HTMX)
    assert b"<html" in full.content and b"<html" not in fragment.content
    assert "hx-request" in vary(full) and "hx-request" in vary(fragment)


def test_the_signed_out_answer_varies_on_htmx(questions: list[Question]) -> None:
    """A plain request is sent to log in, an htmx one gets a 401: the same URL, two answers."""
    plain = anonymous().get("/history/")
    htmx = anonymous().get("/history/", **HTMX)
    assert (plain.status_code, htmx.status_code) == (302, 401)
    assert "hx-request" in vary(plain) and "hx-request" in vary(htmx)


def test_the_question_attempts_region_varies_on_htmx(
    owner_client: Client, finished: InterviewSession
) -> None:
    response = owner_client.get("/interviews/questions/1/attempts/", **HTMX)
    assert response.status_code == 200
    assert "hx-request" in vary(response)
