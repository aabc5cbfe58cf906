"""Issue 11's server side: notes never lost or miscounted, a signed-out htmx request answered
clearly, the first clock running from the start, and an export that shows only what was shown."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from questions.models import Category, Question
from sessions import services
from sessions.models import InterviewSession
from tests.cast import (
    HTMX,
    LIMIT,
    T0,
    anonymous,
    answer,
    at,
    html,
    item_url,
    make_question,
    start_interview,
    state,
)
from tests.dom import parse

pytestmark = pytest.mark.django_db


def notes_in_box(markup: str) -> str:
    # The browser drops the newline right after <textarea>.
    return parse(markup).find("textarea", name="notes").text.removeprefix("\n")


class TestNotes:
    def test_crlf_line_breaks_count_once(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        # 5,000 lines: 9,999 characters as the browser counts them, 14,998 sent as CRLF.
        typed = "\r\n".join(["x"] * 5_000)
        response = owner_client.post(item_url(session, 0, "notes"), {"notes": typed})
        assert response.status_code == 204
        assert session.items.get(position=0).notes == "\n".join(["x"] * 5_000)

    @pytest.mark.parametrize("body", [{}, {"timed_out": ""}], ids=["empty", "no-notes-field"])
    def test_an_autosave_without_notes_keeps_the_draft(
        self, owner_client: Client, session: InterviewSession, body: dict[str, str]
    ) -> None:
        owner_client.post(item_url(session, 0, "notes"), {"notes": "My draft"})
        response = owner_client.post(item_url(session, 0, "notes"), body)
        assert (response.status_code, response.content.decode()) == (
            400,
            "No notes were sent; the saved draft is unchanged.",
        )
        assert session.items.get(position=0).notes == "My draft"

    def test_a_json_body_keeps_the_draft(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        owner_client.post(item_url(session, 0, "notes"), {"notes": "My draft"})
        response = owner_client.post(
            item_url(session, 0, "notes"), '{"notes": ""}', content_type="application/json"
        )
        assert response.status_code == 400
        assert session.items.get(position=0).notes == "My draft"

    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
    def test_a_refused_reveal_shows_what_was_posted_not_the_draft(
        self, owner_client: Client, session: InterviewSession, headers: dict[str, str]
    ) -> None:
        owner_client.post(item_url(session, 0, "notes"), {"notes": "Old draft"})
        too_long = "y" * 10_001
        response = owner_client.post(item_url(session, 0, "reveal"), {"notes": too_long}, **headers)
        assert response.status_code == 400
        assert notes_in_box(html(response)) == too_long
        assert "at most 10000 characters" in html(response)
        assert session.items.get(position=0).notes == "Old draft"


class TestSignedOut:
    @pytest.mark.parametrize("action", ["notes", "reveal", "grade", "key-points", "undo"])
    def test_an_htmx_action_gets_a_401_with_a_login_back_to_the_page(
        self, session: InterviewSession, action: str
    ) -> None:
        before = state()
        page = f"http://testserver{item_url(session, 0)}"
        response = anonymous().post(
            item_url(session, 0, action), {"notes": "typed"}, HTTP_HX_CURRENT_URL=page, **HTMX
        )
        assert response.status_code == 401
        assert response.content.decode() == (
            "You were signed out. Log in again; your notes are kept in this browser."
        )
        assert response["X-Login-URL"] == f"/accounts/login/?next=/interviews/{session.pk}/items/0/"
        assert state() == before

    def test_a_foreign_current_url_leads_home(self, session: InterviewSession) -> None:
        response = anonymous().post(
            item_url(session, 0, "reveal"), HTTP_HX_CURRENT_URL="https://evil.example/x", **HTMX
        )
        assert response["X-Login-URL"] == "/accounts/login/?next=/"

    def test_a_plain_request_still_goes_to_the_login_page(self, session: InterviewSession) -> None:
        response = anonymous().post(item_url(session, 0, "reveal"), {"notes": ""})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


class TestFirstClock:
    def test_a_reveal_posted_without_loading_the_page_can_time_out(
        self, owner: User, questions: list[Question], owner_client: Client, clock: Any
    ) -> None:
        session = start_interview(owner, questions)  # the page is never loaded
        clock.move_to(at(LIMIT + 60), tick=False)
        owner_client.post(item_url(session, 0, "reveal"), {"notes": ""})
        first = session.items.get(position=0)
        assert (first.shown_at, first.deadline_at, first.timed_out) == (T0, at(LIMIT), True)


class TestExport:
    def rows(self, client: Client) -> list[dict[str, str]]:
        body = b"".join(client.get("/history/export.csv").streaming_content).decode()
        return list(csv.DictReader(io.StringIO(body)))

    def test_an_open_interview_exports_only_what_it_showed(
        self, owner: User, questions: list[Question], owner_client: Client, clock: Any
    ) -> None:
        session = start_interview(owner, questions)
        answer(session, 2)  # question 1 graded, question 2 on screen, question 3 not shown
        assert [row["question_number"] for row in self.rows(owner_client)] == ["1", "2"]
        services.end_session(session=session, now=at(60))
        assert [row["question_number"] for row in self.rows(owner_client)] == ["1", "2", "3"]

    def test_every_text_cell_goes_through_the_formula_guard(
        self, owner: User, owner_client: Client, clock: Any
    ) -> None:
        category = Category.objects.create(name='=HYPERLINK("https://x.example")', slug="evil")
        question = make_question(1, category=category)
        answer(start_interview(owner, [question]), 2, notes="+1")
        (row,) = self.rows(owner_client)
        assert row["category"] == '\'=HYPERLINK("https://x.example")'
        assert row["notes"] == "'+1"
