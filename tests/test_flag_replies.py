"""An editor resolves a flag with a short reply; the candidate reads it on their dashboard until
they dismiss it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test.client import Client
from pytest_django import DjangoAssertNumQueries

from questions.models import AnswerFlag, Question, Scenario
from tests.cast import HTMX, T0, count_queries, logged_in, make_editor, make_question, make_user
from tests.dom import Node, parse
from tests.test_progress_views import BUDGETS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("editors_group")]

FLAG_QUEUE = "/admin/questions/answerflag/"


@pytest.fixture
def question(db: None) -> Question:
    return make_question(12, title="What is attention?")


@pytest.fixture
def scenario(question: Question) -> Scenario:
    return Scenario.objects.create(question=question, label="12.1", prompt="P", answer="A")


def make_flag(question: Question, user: User, **fields: object) -> AnswerFlag:
    values = {"reason": "wrong", "comment": "The formula is missing a square root."}
    values.update(fields)
    return AnswerFlag.objects.create(question=question, user=user, **values)


def resolved(question: Question, user: User, **fields: object) -> AnswerFlag:
    return make_flag(question, user, **({"status": "resolved", "resolved_at": T0} | fields))


def dismiss_url(flag: AnswerFlag) -> str:
    return f"/questions/flags/{flag.pk}/dismiss/"


def notices(client: Client) -> list[Node]:
    """The notices on the dashboard, as list items (none: no region at all)."""
    page = parse(client.get("/").content)
    regions = page.find_all("section", id_="flag-notices")
    if not regions:
        return []
    (region,) = regions
    return region.find_all("li", cls="flag-notice")


def notice_texts(client: Client) -> list[str]:
    return [notice.find("p", cls="flag-notice-text").words for notice in notices(client)]


# The editor's side


def test_the_editor_resolves_with_a_reply(client: Client, question: Question) -> None:
    flag = make_flag(question, make_user("candidate"))
    editor = make_editor()
    client.force_login(editor)

    with time_machine.travel(T0, tick=False):
        response = client.post(
            f"{FLAG_QUEUE}{flag.pk}/change/",
            {"status": "resolved", "reply": "  Fixed: the square root is back.  "},
        )

    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.reply, flag.resolved_by, flag.resolved_at) == (
        "resolved",
        "Fixed: the square root is back.",
        editor,
        T0,
    )


def test_the_change_form_offers_the_reply_with_its_limit(
    client: Client, question: Question
) -> None:
    flag = make_flag(question, make_user("candidate"))
    client.force_login(make_editor())

    page = parse(client.get(f"{FLAG_QUEUE}{flag.pk}/change/").content)

    reply = page.find("textarea", name="reply")
    assert reply.attrs["maxlength"] == "500"
    assert "dashboard" in page.find(cls="field-reply").find(cls="help").words


def test_a_reply_over_500_characters_is_refused(client: Client, question: Question) -> None:
    flag = make_flag(question, make_user("candidate"))
    client.force_login(make_editor())

    response = client.post(
        f"{FLAG_QUEUE}{flag.pk}/change/", {"status": "resolved", "reply": "x" * 501}
    )

    assert response.status_code == 200
    errors = parse(response.content).find(cls="field-reply").find("ul", cls="errorlist")
    assert errors.words == "Ensure this value has at most 500 characters (it has 501)."
    flag.refresh_from_db()
    assert (flag.status, flag.reply) == ("open", "")


def test_an_edited_reply_is_shown_again(
    client: Client, question: Question, owner: User, owner_client: Client
) -> None:
    flag = resolved(question, owner, reply="Fixed.")
    owner_client.post(dismiss_url(flag))
    assert notices(owner_client) == []
    client.force_login(make_editor())

    client.post(
        f"{FLAG_QUEUE}{flag.pk}/change/",
        {"status": "resolved", "reply": "Fixed, and the example too."},
    )

    assert notice_texts(owner_client) == ["Your flag on question 12 was resolved:"]
    assert notices(owner_client)[0].find("blockquote").words == "Fixed, and the example too."


def test_a_flag_resolved_again_is_shown_again(
    client: Client, question: Question, owner: User, owner_client: Client
) -> None:
    flag = resolved(question, owner)
    owner_client.post(dismiss_url(flag))
    client.force_login(make_editor())
    url = f"{FLAG_QUEUE}{flag.pk}/change/"

    client.post(url, {"status": "open", "reply": ""})
    assert notices(owner_client) == []  # open again: nothing to tell
    client.post(FLAG_QUEUE, {"action": "mark_resolved", "_selected_action": [flag.pk]})

    assert notice_texts(owner_client) == ["Your flag on question 12 was resolved."]


# The candidate's dashboard


def test_the_dashboard_tells_of_resolved_flags_with_their_replies(
    question: Question, scenario: Scenario, owner: User, owner_client: Client
) -> None:
    resolved(question, owner, reply="Fixed the formula.\nThanks!", resolved_at=T0)
    resolved(question, owner, scenario=scenario, resolved_at=T0 + timedelta(hours=1))

    shown = notices(owner_client)

    assert [notice.find("p", cls="flag-notice-text").words for notice in shown] == [
        "Your flag on 12.1 was resolved.",
        "Your flag on question 12 was resolved:",
    ]
    on_scenario, on_question = shown
    assert on_scenario.find("a").attrs["href"] == "/questions/12/#scenario-121"
    assert on_scenario.find_all("blockquote") == []
    assert on_question.find("a").attrs["href"] == "/questions/12/"
    reply = on_question.find("blockquote", cls="flag-reply")
    assert [child if isinstance(child, str) else child.tag for child in reply.children] == [
        "Fixed the formula.",
        "br",
        "Thanks!",
    ]
    assert on_question.find("p", cls="help").words.endswith(
        "“The formula is missing a square root.”"
    )


def test_the_dashboard_leaves_out_open_dismissed_and_others_flags(
    question: Question, owner: User, owner_client: Client, other_user: User
) -> None:
    make_flag(question, owner)
    resolved(make_question(13), owner, reply_dismissed_at=T0)
    resolved(make_question(14), other_user, reply="Not yours.")

    assert notices(owner_client) == []


def test_a_reply_is_shown_as_text(question: Question, owner: User, owner_client: Client) -> None:
    resolved(question, owner, reply="<script>alert(1)</script> <b>bold</b>")

    (notice,) = notices(owner_client)

    reply = notice.find("blockquote")
    assert reply.words == "<script>alert(1)</script> <b>bold</b>"
    assert reply.find_all("script") == [] and reply.find_all("b") == []


def test_a_retired_question_is_named_without_a_link(owner: User, owner_client: Client) -> None:
    resolved(make_question(40, is_active=False), owner, reply="Retired: it was a duplicate.")

    (notice,) = notices(owner_client)

    assert (
        notice.find("p", cls="flag-notice-text").words == "Your flag on question 40 was resolved:"
    )
    assert notice.find_all("a") == []


def test_the_dashboard_shows_five_notices_and_says_more_wait(
    owner: User, owner_client: Client
) -> None:
    for number in range(1, 8):
        resolved(make_question(number), owner, resolved_at=T0 + timedelta(minutes=number))

    page = parse(owner_client.get("/").content)

    region = page.find("section", id_="flag-notices")
    shown = [notice.find("a").words for notice in region.find_all("li", cls="flag-notice")]
    assert shown == ["question 7", "question 6", "question 5", "question 4", "question 3"]
    assert region.elements[-1].words == "More appear as you dismiss these."


def test_the_notices_cost_one_query_however_many(
    owner: User, owner_client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    question = make_question(1)
    resolved(question, owner, reply="One.")
    one = count_queries(owner_client, "/", django_assert_max_num_queries, BUDGETS["/"])
    scenario = Scenario.objects.create(question=question, label="1.1", prompt="P", answer="A")
    for number in range(2, 10):
        resolved(make_question(number), owner, reply=f"Reply {number}.")
    newest = T0 + timedelta(hours=1)  # among the five shown
    resolved(question, owner, scenario=scenario, reply="Two.", resolved_at=newest)

    many = count_queries(owner_client, "/", django_assert_max_num_queries, one)

    assert many == one
    assert len(notices(owner_client)) == 5
    AnswerFlag.objects.all().delete()
    assert count_queries(owner_client, "/", django_assert_max_num_queries, one) == one


# Dismissing


def test_dismiss_puts_the_notice_away(
    question: Question, owner: User, owner_client: Client
) -> None:
    flag = resolved(question, owner, reply="Fixed.")

    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        response = owner_client.post(dismiss_url(flag))

    assert (response.status_code, response["Location"]) == (302, "/")
    flag.refresh_from_db()
    assert flag.reply_dismissed_at == T0 + timedelta(days=1)
    assert notices(owner_client) == []
    assert (flag.status, flag.reply) == ("resolved", "Fixed.")


def test_the_dashboards_dismiss_button_posts_to_its_flag(
    question: Question, owner: User, owner_client: Client
) -> None:
    flag = resolved(question, owner)

    (notice,) = notices(owner_client)

    form = notice.find("form")
    assert (form.attrs["method"], form.attrs["action"]) == ("post", dismiss_url(flag))
    assert form.attrs["hx-post"] == dismiss_url(flag)
    assert form.find("input", name="csrfmiddlewaretoken")
    assert form.find("button").words == "Dismiss the notice on question 12"


def test_an_htmx_dismiss_returns_the_notices_left(
    question: Question, owner: User, owner_client: Client
) -> None:
    first = resolved(question, owner, resolved_at=T0)
    second = resolved(make_question(13), owner, resolved_at=T0 + timedelta(hours=1))

    response = owner_client.post(dismiss_url(second), **HTMX)

    region = parse(response.content).find("section", id_="flag-notices")
    assert [n.find("a").words for n in region.find_all("li", cls="flag-notice")] == ["question 12"]
    last = owner_client.post(dismiss_url(first), **HTMX)
    assert last.status_code == 200
    assert last.content.strip() == b""  # the swap removes the region


def test_a_second_dismiss_keeps_the_first_time(
    question: Question, owner: User, owner_client: Client
) -> None:
    flag = resolved(question, owner)
    with time_machine.travel(T0, tick=False):
        owner_client.post(dismiss_url(flag))

    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        response = owner_client.post(dismiss_url(flag), **HTMX)

    assert response.status_code == 200
    flag.refresh_from_db()
    assert flag.reply_dismissed_at == T0


def test_another_users_flag_is_404(question: Question, owner: User, other_user: User) -> None:
    flag = resolved(question, owner)

    response = logged_in(other_user).post(dismiss_url(flag))

    assert response.status_code == 404
    flag.refresh_from_db()
    assert flag.reply_dismissed_at is None


def test_an_open_or_unknown_flag_is_404(
    question: Question, owner: User, owner_client: Client
) -> None:
    flag = make_flag(question, owner)

    assert owner_client.post(dismiss_url(flag)).status_code == 404
    assert owner_client.post("/questions/flags/999/dismiss/").status_code == 404
    flag.refresh_from_db()
    assert flag.reply_dismissed_at is None


def test_dismiss_rejects_get_visitors_and_forged_posts(
    client: Client, question: Question, owner: User
) -> None:
    flag = resolved(question, owner)

    assert logged_in(owner).get(dismiss_url(flag)).status_code == 405
    response = client.post(dismiss_url(flag))
    assert (response.status_code, response["Location"]) == (
        302,
        f"/accounts/login/?next={dismiss_url(flag)}",
    )
    forged = logged_in(owner, enforce_csrf_checks=True).post(dismiss_url(flag))
    assert forged.status_code == 403
    flag.refresh_from_db()
    assert flag.reply_dismissed_at is None
