"""Candidates flag a model answer as wrong or unclear; one open flag each; comments stay text."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test.client import Client
from django.utils import timezone

from questions import flags
from questions.models import AnswerFlag, Question
from sessions.models import InterviewSession
from sessions.services import show_current_item
from tests.cast import (
    HTMX,
    make_editor,
    make_other_user,
    make_question,
    make_user,
    messages_of,
    start_interview,
)
from tests.dom import Node, parse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("editors_group")]

FLAG_URL = "/questions/{}/flag/"
SCENARIO_FLAG_URL = "/questions/{}/scenarios/{}/flag/"
THANKS = "Thank you: the answer is flagged for the editors."
ALREADY = "You have already flagged this answer; an editor will look at it."
REQUIRED = "Tell the editors what is wrong or unclear."
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def question(db: None) -> Question:
    return make_question(121, title="What is RAG?", answer="Retrieval, then generation.")


@pytest.fixture
def candidate(client: Client) -> User:
    user = make_user("candidate")
    client.force_login(user)
    return user


def flag(client: Client, number: int = 121, *, htmx: bool = False, **data: str) -> HttpResponse:
    values = {"reason": "wrong", "comment": "The second paragraph contradicts the first."}
    values.update(data)
    return client.post(FLAG_URL.format(number), values, **(HTMX if htmx else {}))


def fragment(response: HttpResponse) -> Node:
    """The HTMX response: only the #flag-<n> region, never a whole page."""
    document = parse(response.content)
    assert not document.find_all("html")
    (region,) = [child for child in document.children if isinstance(child, Node)]
    return region


# The form on the question page


def test_the_question_page_offers_the_form(
    client: Client, question: Question, candidate: User
) -> None:
    page = parse(client.get("/questions/121/").content)

    form = page.find("div", id_="flag-121").find("form")
    assert form.attrs["action"] == FLAG_URL.format(121)
    assert form.attrs["hx-post"] == FLAG_URL.format(121)
    assert form.attrs["hx-target"] == "#flag-121"
    assert form.find("input", name="next").attrs["value"] == "/questions/121/"
    assert form.find("textarea", name="comment").attrs["maxlength"] == "500"
    assert [radio.attrs["value"] for radio in form.find_all("input", name="reason")] == [
        "wrong",
        "unclear",
    ]


def test_the_question_page_invites_visitors_to_log_in(client: Client, question: Question) -> None:
    region = parse(client.get("/questions/121/").content).find("div", id_="flag-121")

    assert not region.find_all("form")
    assert region.find("a").attrs["href"] == f"{resolve_url('login')}?next=/questions/121/"


@pytest.mark.parametrize(
    ("reason", "word"), [(AnswerFlag.Reason.WRONG, "wrong"), (AnswerFlag.Reason.UNCLEAR, "unclear")]
)
def test_every_reason_reads_as_one_word(reason: str, word: str) -> None:
    assert AnswerFlag(reason=reason).reason_word == word
    assert set(AnswerFlag.REASON_WORDS) == set(AnswerFlag.Reason)


def test_the_question_page_says_the_answer_is_already_flagged(
    client: Client, question: Question, candidate: User
) -> None:
    flags.flag_answer(user=candidate, question=question, reason="unclear", comment="Why?")

    region = parse(client.get("/questions/121/").content).find("div", id_="flag-121")

    assert not region.find_all("form")
    assert region.words.startswith("You flagged this answer as unclear on")


def test_another_candidates_flag_is_not_shown_as_yours(
    client: Client, question: Question, candidate: User
) -> None:
    flags.flag_answer(user=make_other_user(), question=question, reason="unclear", comment="?")

    region = parse(client.get("/questions/121/").content).find("div", id_="flag-121")

    assert "You flagged" not in region.words
    assert region.find("form").attrs["action"] == FLAG_URL.format(121)
    assert flags.open_flag_for(candidate, question) is None


# Creating a flag


def test_a_plain_post_flags_and_returns_to_next(
    client: Client, question: Question, candidate: User
) -> None:
    response = flag(client, comment="  Outdated model names.  ", next="/questions/?q=RAG")

    assert response.status_code == 302
    assert response["Location"] == "/questions/?q=RAG"
    assert messages_of(response) == [THANKS]
    created = AnswerFlag.objects.get()
    assert (created.question, created.user, created.reason, created.comment, created.status) == (
        question,
        candidate,
        "wrong",
        "Outdated model names.",
        "open",
    )


def test_a_plain_post_without_next_returns_to_the_question(
    client: Client, question: Question, candidate: User
) -> None:
    response = flag(client, reason="unclear")

    assert response["Location"] == "/questions/121/"
    assert AnswerFlag.objects.get().reason == "unclear"
    page = client.get(response["Location"])
    assert THANKS in [message.words for message in parse(page.content).find_all(cls="message")]


def test_an_htmx_post_returns_the_region_with_thanks(
    client: Client, question: Question, candidate: User
) -> None:
    response = flag(client, htmx=True)

    assert response.status_code == 200
    region = fragment(response)
    assert (region.tag, region.attrs["id"]) == ("div", "flag-121")
    assert region.find("p", role="status").words == THANKS
    assert not region.find_all("form")
    assert AnswerFlag.objects.filter(user=candidate, question=question).count() == 1


def test_another_candidate_may_flag_the_same_answer(client: Client, question: Question) -> None:
    flags.flag_answer(user=make_user("first"), question=question, reason="wrong", comment="A")
    client.force_login(make_user("second"))

    flag(client)

    assert AnswerFlag.objects.filter(question=question, status="open").count() == 2


# One open flag per candidate and question


def test_a_second_flag_while_open_is_refused(
    client: Client, question: Question, candidate: User
) -> None:
    flag(client)
    client.get("/questions/121/")  # shows (and so uses up) the thank-you message

    response = flag(client, comment="Again!")

    assert response["Location"] == "/questions/121/"
    assert messages_of(response) == [ALREADY]
    assert list(AnswerFlag.objects.values_list("comment", flat=True)) == [
        "The second paragraph contradicts the first."
    ]


def test_a_second_htmx_flag_while_open_is_refused(
    client: Client, question: Question, candidate: User
) -> None:
    flag(client, htmx=True)

    region = fragment(flag(client, htmx=True, comment="Again!"))

    assert region.find("p", role="status").words == ALREADY
    assert THANKS not in region.words
    assert AnswerFlag.objects.count() == 1


def test_the_service_refuses_a_second_open_flag(question: Question) -> None:
    user = make_user()
    flags.flag_answer(user=user, question=question, reason="wrong", comment="First")

    with pytest.raises(flags.AlreadyFlagged, match="already flagged"):
        flags.flag_answer(user=user, question=question, reason="unclear", comment="Second")

    assert list(AnswerFlag.objects.values_list("comment", flat=True)) == ["First"]


def test_after_resolving_the_candidate_may_flag_again(
    client: Client, question: Question, candidate: User
) -> None:
    first = flags.flag_answer(user=candidate, question=question, reason="wrong", comment="A")
    AnswerFlag.objects.filter(pk=first.pk).update(status=AnswerFlag.Status.RESOLVED)

    response = flag(client, comment="Still wrong.")

    assert messages_of(response) == [THANKS]
    assert flags.open_flag_for(candidate, question).comment == "Still wrong."
    assert AnswerFlag.objects.count() == 2


def test_open_flag_for_ignores_anonymous_and_resolved(question: Question) -> None:
    user = make_user()
    done = flags.flag_answer(user=user, question=question, reason="wrong", comment="A")
    assert flags.open_flag_for(user, question) == done
    assert flags.open_flag_for(AnonymousUser(), question) is None

    AnswerFlag.objects.filter(pk=done.pk).update(status=AnswerFlag.Status.RESOLVED)
    assert flags.open_flag_for(user, question) is None


# Who and how


def test_it_sends_anonymous_visitors_to_log_in(client: Client, question: Question) -> None:
    response = flag(client)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.path, location.query) == (resolve_url("login"), "next=/questions/121/flag/")
    assert not AnswerFlag.objects.exists()


def test_it_rejects_get(client: Client, question: Question, candidate: User) -> None:
    response = client.get(FLAG_URL.format(121), {"reason": "wrong", "comment": "Hi"})

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert not AnswerFlag.objects.exists()


def test_it_404s_for_a_retired_question(client: Client, candidate: User) -> None:
    make_question(7, is_active=False)

    assert flag(client, 7).status_code == 404
    assert flag(client, 8).status_code == 404
    assert not AnswerFlag.objects.exists()


# The comment


@pytest.mark.parametrize("comment", ["", "   \n "])
def test_it_requires_a_comment(
    client: Client, question: Question, candidate: User, comment: str
) -> None:
    response = flag(client, htmx=True, comment=comment)

    assert response.status_code == 400
    assert fragment(response).find("ul", cls="errorlist").words == REQUIRED
    assert not AnswerFlag.objects.exists()


def test_it_limits_the_comment_to_500_characters(
    client: Client, question: Question, candidate: User
) -> None:
    response = flag(client, htmx=True, comment="x" * 501)

    assert response.status_code == 400
    assert fragment(response).find("ul", cls="errorlist").words == (
        "Ensure this value has at most 500 characters (it has 501)."
    )
    assert not AnswerFlag.objects.exists()

    flag(client, comment="x" * 500)
    assert len(AnswerFlag.objects.get().comment) == 500


def test_it_rejects_an_unknown_reason(client: Client, question: Question, candidate: User) -> None:
    response = flag(client, htmx=True, reason="boring")

    assert response.status_code == 400
    assert "Select a valid choice" in fragment(response).find("ul", cls="errorlist").words
    assert not AnswerFlag.objects.exists()


def test_a_plain_post_with_errors_shows_them_on_the_question_page(
    client: Client, question: Question, candidate: User
) -> None:
    response = flag(client, comment="")

    assert response.status_code == 400
    page = parse(response.content)
    assert page.find("h1").words == "121. What is RAG?"
    assert page.find("div", id_="flag-121").find("ul", cls="errorlist").words == REQUIRED
    assert not AnswerFlag.objects.exists()


def test_a_refused_comment_comes_back_as_text(
    client: Client, question: Question, candidate: User
) -> None:
    comment = "</textarea>" + SCRIPT + "x" * 500

    region = fragment(flag(client, htmx=True, comment=comment))

    assert region.find("textarea", name="comment").text == comment
    assert not region.find_all("script")


def test_comments_are_escaped_in_the_admin_queue(client: Client, question: Question) -> None:
    flagged = flags.flag_answer(user=make_user(), question=question, reason="wrong", comment=SCRIPT)
    client.force_login(make_editor())

    for url in (
        "/admin/questions/answerflag/",
        f"/admin/questions/answerflag/{flagged.pk}/change/",
    ):
        response = client.get(url)
        page = parse(response.content)
        assert SCRIPT in page.find("div", id_="content-main").text
        assert not [script for script in page.find_all("script") if "alert" in script.text]
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


# Where it leads


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_it_never_follows_next_off_the_site(
    client: Client, question: Question, candidate: User, next_url: str
) -> None:
    response = flag(client, next=next_url)

    assert response["Location"] == "/questions/121/"
    assert AnswerFlag.objects.count() == 1


def test_an_htmx_form_keeps_a_safe_next_for_the_retry(
    client: Client, question: Question, candidate: User
) -> None:
    region = fragment(flag(client, htmx=True, comment="", next="https://evil.example/"))

    assert region.find("input", name="next").attrs["value"] == "/questions/121/"


# The form beside the model answer in an interview


@pytest.fixture
def interview(question: Question, candidate: User) -> InterviewSession:
    now = timezone.now()
    session = start_interview(candidate, [question], seconds_per_item=120, now=now)
    show_current_item(session=session, now=now)
    return session


def interview_flag_url(interview: InterviewSession, position: int) -> str:
    return f"/interviews/{interview.pk}/items/{position}/flag/"


def interview_page(client: Client, interview: InterviewSession) -> Node:
    """The interview as the candidate reloads it: its address leads to the current item."""
    response = client.get(interview.get_absolute_url(), follow=True)
    assert response.redirect_chain == [(interview.item_url(0), 302)]
    return parse(response.content)


def test_the_interview_offers_the_form_only_once_the_answer_is_revealed(
    client: Client, interview: InterviewSession
) -> None:
    before = interview_page(client, interview)
    assert before.find("textarea", name="notes")  # the item is on screen, not yet revealed
    assert before.find_all("div", id_="flag-121") == []

    client.post(f"/interviews/{interview.pk}/items/0/reveal/", {"notes": "my answer"})
    after = interview_page(client, interview)

    form = after.find("section", cls="compare-answer").find("div", id_="flag-121").find("form")
    assert form.attrs["action"] == interview_flag_url(interview, 0)
    assert form.attrs["hx-post"] == interview_flag_url(interview, 0)
    # The flag view returns to the item itself: no `next` to forge.
    assert form.find_all("input", name="next") == []


def test_a_flag_sent_from_the_interview_returns_to_it(
    client: Client, interview: InterviewSession, candidate: User
) -> None:
    client.post(f"/interviews/{interview.pk}/items/0/reveal/", {"notes": "my answer"})

    response = client.post(
        interview_flag_url(interview, 0), {"reason": "unclear", "comment": "Which retriever?"}
    )

    assert response.status_code == 302
    assert response["Location"] == interview.item_url(0)
    assert messages_of(response) == [THANKS]
    (saved,) = AnswerFlag.objects.all()
    item = interview.items.get(position=0)
    assert (saved.user, saved.question.number, saved.scenario, saved.item) == (
        candidate,
        121,
        None,
        item,
    )
    assert (saved.reason, saved.comment, saved.text_shown) == (
        "unclear",
        "Which retriever?",
        "Retrieval, then generation.",
    )
    page = interview_page(client, interview)
    region = page.find("div", id_="flag-121")
    assert region.find_all("form") == []
    assert "You flagged this answer as unclear" in region.text
