"""The settings page: e-mail, password link, "Download my data", "Delete my account and data"."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from questions.flags import flag_answer
from questions.models import AnswerFlag, Question
from sessions import services
from sessions.models import (
    Card,
    GradeChange,
    InterviewSession,
    Item,
    ItemKeyPoint,
    Preferences,
    Recording,
    ReviewLog,
)
from sessions.scoring import Grade
from tests.cast import (
    PASSWORD,
    T0,
    anonymous,
    at,
    give_key_points,
    html,
    logged_in,
    make_editor,
    make_question,
    messages_shown,
    reveal_current,
    start_interview,
)
from tests.dom import find_all

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/accounts/settings/"
EMAIL_URL = "/accounts/settings/email/"
DATA_URL = "/accounts/settings/data.json"
DELETE_URL = "/accounts/settings/delete/"
PAGE_BUDGET = 4  # session, user, open interviews (the middleware), and the preferences
DATA_BUDGET = 13  # those three and one per table (10): the same for one interview or four


# A kept recording: the WebM signature, then bytes the download must not contain.
SPOKEN = b"\x1a\x45\xdf\xa3" + b"SPOKEN-AUDIO" * 4


def give_history(user: User, questions: list[Question], *, interviews: int = 1) -> None:
    """Interviews with everything a candidate leaves: notes, ticks, grades, a grade change,
    cards and reviews (timed interviews count), a flag an editor answered, and preferences."""
    for number in range(interviews):
        start = T0 + timedelta(days=number)
        session = start_interview(user, questions, now=start)
        for position, _question in enumerate(questions):
            reveal_current(session, notes=f"notes {number}.{position}", now=start)
            services.tick_key_points(session=session, position=position, covered={0})
            services.grade_item(session=session, position=position, grade=Grade.PARTIAL, now=start)
        services.change_grade(
            session=session, position=0, grade=Grade.SOLID, user=user, now=start + timedelta(1)
        )
    first_item = Item.objects.filter(session__user=user).order_by("pk").first()
    assert first_item is not None
    flag = flag_answer(
        user=user,
        question=first_item.question,
        reason=AnswerFlag.Reason.UNCLEAR,
        comment=f"{user.username} finds it unclear",
        item_id=first_item.pk,
    )
    flag.resolve(by=None, now=at(60))
    flag.reply = "Reworded, thanks."
    flag.save()
    Preferences.objects.get_or_create(
        user=user,
        defaults={
            "time_zone": "Europe/Paris",
            "interview_date": date(2025, 4, 1),
            "new_per_day": 7,
            "keep_recordings": True,
        },
    )
    Recording.objects.get_or_create(
        item=first_item,
        defaults={
            "content_type": "audio/webm",
            "audio": SPOKEN,
            "size": len(SPOKEN),
            "recorded_at": T0,
        },
    )


@pytest.fixture
def two_questions(db: None) -> list[Question]:
    questions = [make_question(1), make_question(2)]
    for question in questions:
        give_key_points(question, "first point", "second point")
    return questions


def download(client: Client) -> dict[str, Any]:
    response = client.get(DATA_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data: dict[str, Any] = json.loads(response.content)
    return data


def owned_rows(user: User) -> dict[str, int]:
    return {
        "interviews": InterviewSession.objects.filter(user=user).count(),
        "items": Item.objects.filter(session__user=user).count(),
        "key points": ItemKeyPoint.objects.filter(item__session__user=user).count(),
        "grade changes": GradeChange.objects.filter(item__session__user=user).count(),
        "cards": Card.objects.filter(user=user).count(),
        "reviews": ReviewLog.objects.filter(card__user=user).count(),
        "flags": AnswerFlag.objects.filter(user=user).count(),
        "preferences": Preferences.objects.filter(user=user).count(),
        "recordings": Recording.objects.filter(item__session__user=user).count(),
    }


def form_errors(response: HttpResponse) -> list[str]:
    return [
        li.words for ul in find_all(html(response), "ul", cls="errorlist") for li in ul.elements
    ]


class TestPage:
    def test_it_needs_a_login(self) -> None:
        for url in [SETTINGS_URL, DATA_URL]:
            response = anonymous().get(url)
            assert response["Location"] == f"/accounts/login/?next={url}"
        for url in [EMAIL_URL, DELETE_URL]:
            response = anonymous().post(url, {"email": "x@example.com", "password": PASSWORD})
            assert response["Location"].startswith("/accounts/login/")

    def test_it_shows_the_account_and_every_way_on(self, owner_client: Client) -> None:
        page = html(owner_client.get(SETTINGS_URL))

        (main,) = find_all(page, "main")
        assert "Signed in as owner." in main.words
        (email,) = find_all(main, "input", name="email")
        assert email.attrs["value"] == "owner@example.com"
        assert find_all(main, "a", href="/accounts/password/")
        (data_link,) = find_all(main, "a", href=DATA_URL)
        assert data_link.words == "Download my data"
        (delete_form,) = find_all(main, "form", action=DELETE_URL)
        assert find_all(delete_form, "input", name="password", type="password")
        assert "Delete my account and data" in delete_form.words

    def test_the_header_links_here_from_the_username(self, owner_client: Client) -> None:
        page = html(owner_client.get(SETTINGS_URL))

        (nav,) = find_all(page, "nav", **{"aria-label": "Main"})
        (link,) = find_all(nav, "a", href=SETTINGS_URL)
        assert (link.words, link.attrs.get("aria-current")) == ("owner", "page")

    def test_it_answers_in_a_few_queries(
        self, owner_client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
    ) -> None:
        with django_assert_max_num_queries(PAGE_BUDGET):
            assert owner_client.get(SETTINGS_URL).status_code == 200


class TestEmail:
    def test_it_saves_a_new_address(self, owner: User, owner_client: Client) -> None:
        response = owner_client.post(EMAIL_URL, {"email": "new@example.com"}, follow=True)

        assert response.redirect_chain == [(SETTINGS_URL, 302)]
        assert messages_shown(html(response)) == ["E-mail address saved."]
        owner.refresh_from_db()
        assert owner.email == "new@example.com"

    def test_it_removes_the_address_when_emptied(self, owner: User, owner_client: Client) -> None:
        response = owner_client.post(EMAIL_URL, {"email": ""}, follow=True)

        assert messages_shown(html(response)) == ["E-mail address removed."]
        owner.refresh_from_db()
        assert owner.email == ""

    def test_it_refuses_a_malformed_address_and_keeps_it(
        self, owner: User, owner_client: Client
    ) -> None:
        response = owner_client.post(EMAIL_URL, {"email": "not-an-address"})

        assert response.status_code == 400
        assert "Enter a valid email address." in form_errors(response)
        (email,) = find_all(html(response), "input", name="email")
        assert email.attrs["value"] == "not-an-address"
        owner.refresh_from_db()
        assert owner.email == "owner@example.com"

    def test_it_refuses_get(self, owner_client: Client) -> None:
        assert owner_client.get(EMAIL_URL).status_code == 405


class TestDownload:
    def test_it_is_one_json_file_of_everything_the_user_owns(
        self, owner: User, other_user: User, two_questions: list[Question], clock: Any
    ) -> None:
        give_history(owner, two_questions)
        give_history(other_user, two_questions)

        response = logged_in(owner).get(DATA_URL)
        data = json.loads(response.content)

        assert response["Content-Disposition"] == (
            'attachment; filename="interview-prep-data-2025-03-01.json"'
        )
        assert data["format"] == "interview-prep-account-data"
        assert data["account"]["username"] == "owner"
        assert data["account"]["email"] == "owner@example.com"
        assert data["preferences"] == {
            "time_zone": "Europe/Paris",
            "interview_date": "2025-04-01",
            "new_per_day": 7,
            "keep_recordings": True,
            "warning_sound": False,
        }
        (interview,) = data["interviews"]
        assert interview["mode"] == "timed"
        assert interview["categories"] == ["Fundamentals"]
        first, second = interview["items"]
        assert first["prompt"] == "Question 1?"
        assert first["notes"] == "notes 0.0"
        assert (first["grade"], first["grade_label"]) == (2, "Solid")
        assert first["key_points"] == [
            {"position": 0, "text": "first point", "mentioned": False, "covered": True},
            {"position": 1, "text": "second point", "mentioned": False, "covered": False},
        ]
        (change,) = first["grade_changes"]
        assert (change["old_grade_label"], change["new_grade_label"]) == ("Partial", "Solid")
        assert second["grade_changes"] == []
        # The recording is listed with where to fetch it; its audio is not in the document.
        assert first["recording"] == {
            "content_type": "audio/webm",
            "size": len(SPOKEN),
            "recorded_at": "2025-03-01T09:00:00Z",
            "url": f"/interviews/{interview['id']}/items/0/recording/",
        }
        assert second["recording"] is None
        assert b"SPOKEN-AUDIO" not in response.content
        assert [card["question_number"] for card in data["cards"]] == [1, 2]
        (review,) = data["cards"][0]["review_log"]
        assert (review["rating_label"], review["interview"]) == ("Good", interview["id"])
        (flag,) = data["flags"]
        assert flag["comment"] == "owner finds it unclear"
        assert (flag["status"], flag["reply"]) == ("resolved", "Reworded, thanks.")
        assert (flag["interview"], flag["position"]) == (interview["id"], 0)
        # Nothing of the other user's.
        assert "other" not in response.content.decode()

    def test_a_new_account_downloads_empty_lists(self, owner_client: Client) -> None:
        data = download(owner_client)

        assert (data["interviews"], data["cards"], data["flags"]) == ([], [], [])
        assert data["preferences"] is None

    def test_its_queries_do_not_grow_with_the_data(
        self,
        owner: User,
        two_questions: list[Question],
        clock: Any,
        django_assert_max_num_queries: DjangoAssertNumQueries,
    ) -> None:
        client = logged_in(owner)
        give_history(owner, two_questions[:1])
        with django_assert_max_num_queries(DATA_BUDGET) as small:
            download(client)
        AnswerFlag.objects.all().delete()
        give_history(owner, two_questions, interviews=3)

        with django_assert_max_num_queries(DATA_BUDGET) as large:
            data = download(client)

        assert len(data["interviews"]) == 4
        assert sum(len(i["items"]) for i in data["interviews"]) == 7
        assert len(large.captured_queries) == len(small.captured_queries)


class TestDelete:
    def test_a_wrong_password_deletes_nothing_and_says_so(
        self, owner: User, two_questions: list[Question], clock: Any
    ) -> None:
        give_history(owner, two_questions)
        before = owned_rows(owner)
        client = logged_in(owner)

        response = client.post(DELETE_URL, {"password": "not-it-42"})

        assert response.status_code == 400
        assert "That is not your password. Your account was not deleted." in form_errors(response)
        (password,) = find_all(html(response), "input", name="password")
        assert "autofocus" in password.attrs
        assert owned_rows(owner) == before
        assert client.get(SETTINGS_URL).status_code == 200  # still logged in

    def test_it_deletes_everything_logs_out_and_says_so(
        self, owner: User, other_user: User, two_questions: list[Question], clock: Any
    ) -> None:
        give_history(owner, two_questions)
        give_history(other_user, two_questions)
        others_before = owned_rows(other_user)
        client = logged_in(owner)

        response = client.post(DELETE_URL, {"password": PASSWORD}, follow=True)

        assert response.redirect_chain == [("/", 302)]
        assert messages_shown(html(response)) == ["Your account and all its data were deleted."]
        assert "_auth_user_id" not in client.session
        assert not User.objects.filter(username="owner").exists()
        assert set(owned_rows(owner).values()) == {0}
        assert owned_rows(other_user) == others_before
        assert client.get(SETTINGS_URL)["Location"].startswith("/accounts/login/")

    def test_an_editor_leaving_keeps_the_flags_they_resolved_and_their_revisions(
        self, owner: User, two_questions: list[Question], clock: Any
    ) -> None:
        give_history(owner, two_questions)
        editor = make_editor()
        flag = AnswerFlag.objects.get(user=owner)
        flag.resolve(by=editor, now=at(120))
        flag.save()
        question = two_questions[0]
        question.answer = "A clearer answer."
        question._history_user = editor  # type: ignore[attr-defined]  # as the middleware does
        question.save()

        response = logged_in(editor).post(DELETE_URL, {"password": PASSWORD})

        assert response.status_code == 302
        flag.refresh_from_db()
        assert (flag.status, flag.reply, flag.resolved_by) == (
            "resolved",
            "Reworded, thanks.",
            None,
        )
        # The bank keeps the revision, without the name of who made it.
        revision = question.history.order_by("history_id").last()
        assert (revision.answer, revision.history_user) == ("A clearer answer.", None)

    def test_it_refuses_get(self, owner_client: Client) -> None:
        assert owner_client.get(DELETE_URL).status_code == 405
