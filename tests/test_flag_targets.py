"""A flag names the exact answer flagged (the question's own or a scenario's), the interview item
that showed it, and the text as the candidate read it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.test.client import Client
from django.utils import timezone

from questions import flags
from questions.models import AnswerFlag, Question, Scenario
from sessions import services
from sessions.models import InterviewSession
from tests.cast import HTMX, make_question, make_user, messages_of, start_interview
from tests.dom import Node, parse

pytestmark = pytest.mark.django_db

THANKS = "Thank you: the answer is flagged for the editors."
ALREADY = "You have already flagged this answer; an editor will look at it."
REQUIRED = "Tell the editors what is wrong or unclear."
FLAGGED = "You flagged this answer as wrong on"


@pytest.fixture
def question(db: None) -> Question:
    return make_question(12, title="What is attention?", answer="Weights over tokens.")


@pytest.fixture
def scenario(question: Question) -> Scenario:
    return Scenario.objects.create(
        question=question,
        label="12.1",
        prompt="How does it help summarise?",
        answer="It finds the salient sentences.",
    )


@pytest.fixture
def candidate(client: Client) -> User:
    user = make_user("candidate")
    client.force_login(user)
    return user


def scenario_flag_url(scenario: Scenario) -> str:
    return f"/questions/{scenario.question.number}/scenarios/{scenario.pk}/flag/"


def region_id(scenario: Scenario) -> str:
    return f"flag-{scenario.question.number}-scenario-{scenario.pk}"


def flag_data(**data: str) -> dict[str, str]:
    return {"reason": "wrong", "comment": "The last sentence is off."} | data


def question_page(client: Client, question: Question) -> Node:
    response = client.get(question.get_absolute_url())
    assert response.status_code == 200
    return parse(response.content)


# On the question page


def test_each_scenario_answer_has_its_own_flag_region(
    client: Client, candidate: User, scenario: Scenario
) -> None:
    page = question_page(client, scenario.question)

    section = page.find("section", cls="scenario")
    form = section.find("details", cls="reveal").find("div", id_=region_id(scenario)).find("form")
    assert form.attrs["action"] == scenario_flag_url(scenario)
    assert form.attrs["hx-target"] == f"#{region_id(scenario)}"
    assert form.find("input", name="next").attrs["value"] == "/questions/12/"
    # Two regions on one page: their controls' ids differ.
    ids = [node.attrs["id"] for node in page.find_all(id_=None)]
    assert len(ids) == len(set(ids))
    assert page.find("div", id_="flag-12").find("form").attrs["action"] == "/questions/12/flag/"


def test_a_scenario_flag_names_the_scenario_and_its_text(
    client: Client, candidate: User, scenario: Scenario
) -> None:
    response = client.post(scenario_flag_url(scenario), flag_data(next="/questions/12/"))

    assert response["Location"] == "/questions/12/"
    assert messages_of(response) == [THANKS]
    saved = AnswerFlag.objects.get()
    assert (saved.question, saved.scenario, saved.item, saved.text_shown) == (
        scenario.question,
        scenario,
        None,
        "It finds the salient sentences.",
    )
    assert saved.target_label == "Scenario 12.1"
    assert str(saved) == "The answer is wrong: scenario 12.1"


def test_the_question_page_says_flagged_only_where_the_flag_is(
    client: Client, candidate: User, scenario: Scenario
) -> None:
    flags.flag_answer(
        user=candidate, question=scenario.question, scenario=scenario, reason="wrong", comment="!"
    )

    page = question_page(client, scenario.question)

    main = page.find("div", id_="flag-12")
    assert FLAGGED not in main.words
    assert main.find("form").attrs["action"] == "/questions/12/flag/"
    follow_up = page.find("div", id_=region_id(scenario))
    assert follow_up.words.startswith(FLAGGED)
    assert follow_up.find_all("form") == []


def test_a_main_answer_flag_leaves_the_scenario_open_to_flag(
    client: Client, candidate: User, scenario: Scenario
) -> None:
    flags.flag_answer(user=candidate, question=scenario.question, reason="wrong", comment="!")

    page = question_page(client, scenario.question)

    assert page.find("div", id_="flag-12").words.startswith(FLAGGED)
    assert page.find("div", id_=region_id(scenario)).find("form")


def test_an_htmx_scenario_flag_returns_its_own_region(
    client: Client, candidate: User, scenario: Scenario
) -> None:
    response = client.post(scenario_flag_url(scenario), flag_data(), **HTMX)

    region = parse(response.content).find("div", cls="flag")
    assert region.attrs["id"] == region_id(scenario)
    assert region.find("p", role="status").words == THANKS
    assert AnswerFlag.objects.get().scenario == scenario


def test_a_refused_scenario_flag_shows_its_errors_in_its_own_region(
    client: Client, candidate: User, scenario: Scenario
) -> None:
    response = client.post(scenario_flag_url(scenario), flag_data(comment=""))

    assert response.status_code == 400
    page = parse(response.content)
    follow_up = page.find("div", id_=region_id(scenario))
    assert follow_up.find("ul", cls="errorlist").words == REQUIRED
    assert "open" in page.find("section", cls="scenario").find("details", cls="reveal").attrs
    main = page.find("div", id_="flag-12")
    assert main.find_all("ul", cls="errorlist") == []
    main_reveal = page.find("article").find_all("details", cls="reveal")[0]
    assert main_reveal.find("div", id_="flag-12")
    assert "open" not in main_reveal.attrs
    assert not AnswerFlag.objects.exists()


def test_it_404s_for_a_scenario_of_another_question(
    client: Client, candidate: User, scenario: Scenario
) -> None:
    make_question(13)

    response = client.post(f"/questions/13/scenarios/{scenario.pk}/flag/", flag_data())

    assert response.status_code == 404
    assert client.post("/questions/12/scenarios/999/flag/", flag_data()).status_code == 404
    assert not AnswerFlag.objects.exists()


# One open flag per user and answer


def test_one_open_flag_per_answer_not_per_question(
    candidate: User, question: Question, scenario: Scenario
) -> None:
    other = Scenario.objects.create(question=question, label="12.2", prompt="P", answer="A")
    for target in (None, scenario, other):
        flags.flag_answer(
            user=candidate, question=question, scenario=target, reason="wrong", comment="x"
        )

    with pytest.raises(flags.AlreadyFlagged, match="already flagged"):
        flags.flag_answer(
            user=candidate, question=question, scenario=scenario, reason="unclear", comment="y"
        )
    with pytest.raises(flags.AlreadyFlagged):
        flags.flag_answer(user=candidate, question=question, reason="unclear", comment="y")

    assert sorted(AnswerFlag.objects.values_list("scenario__label", flat=True), key=str) == sorted(
        [None, "12.1", "12.2"], key=str
    )
    assert flags.open_flag_for(candidate, question, scenario).scenario == scenario
    assert flags.open_flag_for(candidate, question).scenario is None


def test_the_database_refuses_a_second_open_flag_on_a_scenario(
    candidate: User, scenario: Scenario
) -> None:
    values = {"question": scenario.question, "user": candidate, "reason": "wrong"}
    AnswerFlag.objects.create(scenario=scenario, comment="first", **values)
    AnswerFlag.objects.create(scenario=scenario, comment="old", status="resolved", **values)

    with pytest.raises(IntegrityError), transaction.atomic():
        AnswerFlag.objects.create(scenario=scenario, comment="second", **values)

    assert AnswerFlag.objects.count() == 2


def test_the_service_refuses_a_scenario_of_another_question(
    candidate: User, scenario: Scenario
) -> None:
    with pytest.raises(ValueError, match="not a follow-up of question 13"):
        flags.flag_answer(
            user=candidate,
            question=make_question(13),
            scenario=scenario,
            reason="wrong",
            comment="x",
        )

    assert not AnswerFlag.objects.exists()


# In an interview


@pytest.fixture
def interview(candidate: User, scenario: Scenario) -> InterviewSession:
    """The question answered and graded; its scenario (position 1) revealed, not yet graded."""
    now = timezone.now()
    session = start_interview(
        candidate, [scenario.question], seconds_per_item=120, include_scenarios=True, now=now
    )
    for position in (0, 1):
        services.show_current_item(session=session, now=now)
        services.reveal_item(session=session, position=position, notes="notes", now=now)
        if position == 0:
            services.grade_item(session=session, position=0, grade=2, now=now)
    return session


def interview_flag_url(session: InterviewSession, position: int) -> str:
    return f"/interviews/{session.pk}/items/{position}/flag/"


def test_the_follow_ups_flag_region_flags_the_follow_up(
    client: Client, interview: InterviewSession, scenario: Scenario
) -> None:
    page = parse(client.get(interview.item_url(1)).content)

    region = page.find("section", cls="compare-answer").find("div", id_=region_id(scenario))
    assert region.find("form").attrs["action"] == interview_flag_url(interview, 1)


def test_a_follow_up_flag_keeps_the_answer_the_interview_showed(
    client: Client, interview: InterviewSession, candidate: User, scenario: Scenario
) -> None:
    Scenario.objects.filter(pk=scenario.pk).update(answer="Rewritten by an editor since.")

    response = client.post(interview_flag_url(interview, 1), flag_data(), **HTMX)

    region = parse(response.content).find("div", cls="flag")
    assert (region.attrs["id"], region.find("p", role="status").words) == (
        region_id(scenario),
        THANKS,
    )
    saved = AnswerFlag.objects.get()
    assert (saved.question, saved.scenario, saved.item) == (
        scenario.question,
        scenario,
        interview.items.get(position=1),
    )
    assert saved.text_shown == "It finds the salient sentences."
    # The main answer was not flagged: the question page still offers its form.
    page = question_page(client, scenario.question)
    assert page.find("div", id_="flag-12").find("form")
    assert page.find("div", id_=region_id(scenario)).words.startswith(FLAGGED)


def test_a_second_flag_from_the_interview_is_refused(
    client: Client, interview: InterviewSession
) -> None:
    client.post(interview_flag_url(interview, 1), flag_data())
    client.get(interview.item_url(1))  # shows (and so uses up) the thank-you message

    response = client.post(interview_flag_url(interview, 1), flag_data(comment="Again"))

    assert response["Location"] == interview.item_url(1)
    assert messages_of(response) == [ALREADY]
    assert AnswerFlag.objects.get().comment == "The last sentence is off."


def test_a_refused_interview_flag_shows_its_errors_on_the_interview(
    client: Client, interview: InterviewSession, scenario: Scenario
) -> None:
    response = client.post(interview_flag_url(interview, 1), flag_data(comment=" "))

    assert response.status_code == 400
    region = parse(response.content).find("div", id_=region_id(scenario))
    assert region.find("ul", cls="errorlist").words == REQUIRED
    assert "open" in region.find("details").attrs
    htmx = client.post(interview_flag_url(interview, 1), flag_data(comment=" "), **HTMX)
    assert htmx.status_code == 400
    retry = parse(htmx.content)
    assert retry.find("ul", cls="errorlist").words == REQUIRED
    assert retry.find("form").attrs["action"] == interview_flag_url(interview, 1)
    assert retry.find_all("input", name="next") == []
    assert not AnswerFlag.objects.exists()


def test_an_item_not_revealed_cannot_be_flagged(
    client: Client, candidate: User, question: Question
) -> None:
    now = timezone.now()
    session = start_interview(candidate, [question], seconds_per_item=120, now=now)
    services.show_current_item(session=session, now=now)

    assert client.post(interview_flag_url(session, 0), flag_data()).status_code == 404
    assert client.post(interview_flag_url(session, 5), flag_data()).status_code == 404
    assert not AnswerFlag.objects.exists()


def test_another_candidates_interview_is_404(client: Client, interview: InterviewSession) -> None:
    client.force_login(make_user("intruder"))

    response = client.post(interview_flag_url(interview, 1), flag_data(), **HTMX)

    assert response.status_code == 404
    assert not AnswerFlag.objects.exists()


def test_a_follow_up_gone_from_the_bank_cannot_be_flagged(
    client: Client, interview: InterviewSession, scenario: Scenario
) -> None:
    scenario.delete()

    assert client.post(interview_flag_url(interview, 1), flag_data()).status_code == 404
    assert not AnswerFlag.objects.exists()


def test_the_interview_flag_view_rejects_get_and_visitors(
    client: Client, interview: InterviewSession
) -> None:
    assert client.get(interview_flag_url(interview, 1)).status_code == 405
    client.logout()
    response = client.post(interview_flag_url(interview, 1), flag_data())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not AnswerFlag.objects.exists()
