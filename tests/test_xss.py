"""An answer written to attack its readers renders inert on every page that shows it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test.client import Client
from time_machine import TimeMachineFixture

from questions.models import Question, Scenario
from sessions import services
from sessions.models import Grade, InterviewSession
from tests.cast import (
    T0,
    make_editor,
    make_question,
    make_user,
    start_interview,
)
from tests.dom import Node, parse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("editors_group")]

ATTACKS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
)
ANSWER = "Model answer.\n\n" + "\n\n".join(ATTACKS) + "\n"
SCENARIO_ANSWER = "Scenario answer.\n\n" + "\n\n".join(ATTACKS) + "\n"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"}


@pytest.fixture
def question(db: None) -> Question:
    question = make_question(13, title="What is a harmless question?", answer=ANSWER)
    Scenario.objects.create(
        question=question, label="13.1", prompt="A follow-up.", answer=SCENARIO_ANSWER
    )
    return question


def assert_inert(page: Node) -> None:
    """Nothing on the page can run the attacker's code, however it is written."""
    for node in page.iter():
        for name, value in node.attrs.items():
            assert not name.startswith("on"), f"<{node.tag} {name}={value!r}>"
            if name in URL_ATTRIBUTES and value:
                assert not "".join(value.split()).lower().startswith("javascript:"), value
        if node.tag == "script":
            assert "alert(" not in node.text
        assert node.tag not in {"iframe", "object", "embed"}
        assert not (node.tag == "img" and node.attrs.get("src") == "x")


def assert_shown_as_text(answer: Node, first_words: str) -> None:
    """The attack is there for the editor to see and fix, as plain text."""
    assert answer.words.startswith(first_words)
    for attack in ATTACKS:
        assert attack in answer.text
    assert not answer.find_all("script") and not answer.find_all("img")
    assert not answer.find_all("a")


# The bank


def test_the_question_page_renders_the_answers_inert(client: Client, question: Question) -> None:
    page = parse(client.get("/questions/13/").content)

    assert_inert(page)
    answer, scenario_answer = page.find_all("div", cls="answer")
    assert_shown_as_text(answer, "Model answer.")
    assert_shown_as_text(scenario_answer, "Scenario answer.")


def test_the_question_list_search_is_inert(client: Client, question: Question) -> None:
    page = parse(client.get("/questions/", {"q": "onerror=alert(1)"}).content)

    assert_inert(page)
    assert page.find("input", name="q").attrs["value"] == "onerror=alert(1)"  # as text
    results = page.find("section", id_="results")
    assert results.find("h2").words == "1 result for “onerror=alert(1)”"
    assert results.find("ol").find("a").attrs["href"] == "/questions/13/"


# The admin


def test_the_admin_preview_is_inert(client: Client, question: Question) -> None:
    client.force_login(make_editor())

    page = parse(client.get(f"/admin/questions/question/{question.pk}/change/").content)

    assert_inert(page)
    # The answer's, the key points', the scenario's, the one of the scenario "Add another" copies.
    answer, key_points, scenario_answer, empty = page.find_all("div", cls="answer-preview")
    assert_shown_as_text(answer, "Model answer.")
    assert_shown_as_text(scenario_answer, "Scenario answer.")
    assert (key_points.words, empty.words) == ("No key points yet.", "Nothing to preview yet.")
    # The Markdown itself sits in the form fields, as text to edit.
    assert page.find("textarea", name="answer").text.strip() == ANSWER.strip()
    assert page.find("textarea", name="scenarios-0-answer").text.strip() == SCENARIO_ANSWER.strip()


def test_the_admin_live_preview_is_inert(client: Client, question: Question) -> None:
    client.force_login(make_editor())

    answer = client.post("/admin/questions/question/preview/", {"kind": "answer", "text": ANSWER})
    points = client.post(
        "/admin/questions/question/preview/",
        {"kind": "key_points", "text": list(ATTACKS), "position": ["", "", ""]},
    )

    assert_inert(parse(answer.content))
    assert_shown_as_text(parse(answer.content), "Model answer.")
    assert_inert(parse(points.content))
    items = parse(points.content).find("ol").find_all("li")
    assert [item.text for item in items] == list(ATTACKS)


def test_the_admin_history_diff_is_inert(client: Client, question: Question) -> None:
    question.answer = "Model answer, revised at length so that it is diffed word by word.\n"
    question.save()
    question.answer = ANSWER + "\nOne more line.\n"
    question.save()
    client.force_login(make_editor())

    page = parse(client.get(f"/admin/questions/question/{question.pk}/history/").content)

    assert_inert(page)
    inserted = " ".join(node.text for node in page.find_all("ins"))
    for attack in ATTACKS:
        assert attack in inserted


def test_the_admin_revert_form_is_inert(client: Client, question: Question) -> None:
    client.force_login(make_editor())
    record = question.history.get()

    page = parse(
        client.get(f"/admin/questions/question/{question.pk}/history/{record.history_id}/").content
    )

    assert_inert(page)
    assert_shown_as_text(page.find("div", cls="answer-preview"), "Model answer.")


# An interview


@pytest.fixture
def interview(
    client: Client, question: Question, time_machine: TimeMachineFixture
) -> InterviewSession:
    """A candidate's interview on the question and its scenario, the clock fixed (so its pages
    see it open, not abandoned long ago)."""
    time_machine.move_to(T0 + timedelta(minutes=5), tick=False)
    user = make_user()
    client.force_login(user)
    return start_interview(user, [question], include_scenarios=True)


def reveal(interview: InterviewSession, position: int, *, at: datetime) -> None:
    services.show_current_item(session=interview, now=at)
    services.reveal_item(
        session=interview, position=position, notes=ATTACKS[1], now=at + timedelta(seconds=20)
    )


def test_the_interview_reveal_is_inert(client: Client, interview: InterviewSession) -> None:
    reveal(interview, 0, at=T0)

    page = parse(client.get(interview.item_url(0)).content)

    assert_inert(page)
    assert_shown_as_text(page.find("div", cls="answer"), "Model answer.")
    assert page.find("div", cls="notes-text").text == ATTACKS[1]


def test_the_scenario_reveal_is_inert(client: Client, interview: InterviewSession) -> None:
    reveal(interview, 0, at=T0)
    services.grade_item(
        session=interview, position=0, grade=Grade.SOLID, now=T0 + timedelta(seconds=30)
    )
    reveal(interview, 1, at=T0 + timedelta(seconds=40))

    page = parse(client.get(interview.item_url(1)).content)

    assert_inert(page)
    assert page.find("h1").words.startswith("Follow-up scenario 13.1")
    assert_shown_as_text(page.find("div", cls="answer"), "Scenario answer.")
    assert page.find("div", cls="notes-text").text == ATTACKS[1]


def test_the_summary_is_inert(client: Client, interview: InterviewSession) -> None:
    reveal(interview, 0, at=T0)
    services.grade_item(
        session=interview, position=0, grade=Grade.SOLID, now=T0 + timedelta(seconds=30)
    )
    reveal(interview, 1, at=T0 + timedelta(seconds=40))
    services.grade_item(
        session=interview, position=1, grade=Grade.PARTIAL, now=T0 + timedelta(seconds=90)
    )

    response = client.get(f"/interviews/{interview.pk}/summary/")

    assert response.status_code == 200
    page = parse(response.content)
    assert_inert(page)
    answer, scenario_answer = page.find_all("div", cls="answer")
    assert_shown_as_text(answer, "Model answer.")
    assert_shown_as_text(scenario_answer, "Scenario answer.")
    assert [notes.text for notes in page.find_all("div", cls="notes-text")] == [ATTACKS[1]] * 2


def test_a_past_interview_keeps_what_it_showed(
    client: Client, interview: InterviewSession, question: Question
) -> None:
    reveal(interview, 0, at=T0)
    question.answer = "A corrected answer."
    question.save()

    page = parse(client.get(interview.item_url(0)).content)

    assert_shown_as_text(page.find("div", cls="answer"), "Model answer.")


def test_assert_inert_catches_each_attack_rendered_raw() -> None:
    """The checks above would fail if an answer ever reached a page unsanitised."""
    raw_attacks = [
        *ATTACKS[:2],
        '<a href="javascript:alert(1)">click</a>',
        '<a href=" JaVa\tScRiPt:void(0)">click</a>',
    ]
    for raw in raw_attacks:
        with pytest.raises(AssertionError):
            assert_inert(parse(f"<div>{raw}</div>"))
