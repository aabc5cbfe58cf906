"""Editors keep the key points of each answer in the admin: under the question, and under each
scenario on the scenario's own page (admin inlines cannot nest)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test.client import Client

from questions.models import KeyPoint, Question, Scenario
from tests.cast import make_editor, make_question
from tests.dom import Node, form_data, parse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("editors_group")]

TOO_LONG = (
    "A key point is at most 200 characters; this one has 201. Shorten it or split it into two "
    "points."
)


@pytest.fixture
def editor(client: Client) -> User:
    user = make_editor()
    client.force_login(user)
    return user


@pytest.fixture
def question(db: None) -> Question:
    question = make_question(12, title="What is attention?", answer="Weights over tokens.")
    KeyPoint.objects.create(question=question, position=1, text="Softmax over scores")
    KeyPoint.objects.create(question=question, position=0, text="Queries meet keys")
    return question


@pytest.fixture
def scenario(question: Question) -> Scenario:
    return Scenario.objects.create(
        question=question, label="12.1", prompt="Summaries?", answer="It finds salient sentences."
    )


def question_url(question: Question) -> str:
    return f"/admin/questions/question/{question.pk}/change/"


def scenario_url(scenario: Scenario) -> str:
    return f"/admin/questions/scenario/{scenario.pk}/change/"


def change_form(client: Client, url: str) -> tuple[Node, dict[str, list[str]]]:
    """The change form of `url` and what a browser would submit for it untouched."""
    page = parse(client.get(url).content)
    (form,) = page.find("div", id_="content-main").find_all("form")
    return form, form_data(form)


def key_point_rows(form: Node) -> list[tuple[str, str]]:
    """(position, text) of each key point row the inline shows, the blank extra row included."""
    group = form.find("div", id_="key_points-group")
    rows = [
        row
        for row in group.find("tbody").find_all("tr", cls="form-row")
        if "empty-form" not in (row.attrs.get("class") or "")
    ]
    return [
        (
            row.find("input", type="number").attrs.get("value") or "",
            row.find("input", cls="key-point-text").attrs.get("value") or "",
        )
        for row in rows
    ]


def post(client: Client, url: str, data: dict[str, list[str]]) -> None:
    response = client.post(url, data)
    assert response.status_code == 302, parse(response.content).find_all(cls="errorlist")


def texts(owner: Question | Scenario) -> list[tuple[int, str]]:
    return list(owner.key_points.values_list("position", "text"))


# Under the question


def test_the_question_page_lists_its_key_points_in_order(
    client: Client, editor: User, question: Question
) -> None:
    form, _ = change_form(client, question_url(question))

    assert key_point_rows(form) == [
        ("0", "Queries meet keys"),
        ("1", "Softmax over scores"),
        ("", ""),  # one blank row to add a point
    ]
    heading = form.find("div", id_="key_points-group").find("h2").words
    assert heading == "Key points of the answer"
    text_input = form.find("input", name="key_points-0-text")
    assert text_input.attrs["maxlength"] == "200"


def test_an_editor_adds_reorders_and_deletes_key_points(
    client: Client, editor: User, question: Question
) -> None:
    _, data = change_form(client, question_url(question))
    data["key_points-0-position"] = ["5"]  # "Queries meet keys" goes last
    data["key_points-1-DELETE"] = ["on"]  # "Softmax over scores" goes
    data["key_points-2-position"] = ["1"]
    data["key_points-2-text"] = ["  Scaled by the square root of d  "]

    post(client, question_url(question), data)

    assert texts(question) == [(1, "Scaled by the square root of d"), (5, "Queries meet keys")]


def test_a_point_without_a_position_goes_last(
    client: Client, editor: User, question: Question
) -> None:
    _, data = change_form(client, question_url(question))
    data["key_points-2-text"] = ["Masks hide future tokens"]

    post(client, question_url(question), data)

    assert texts(question) == [
        (0, "Queries meet keys"),
        (1, "Softmax over scores"),
        (2, "Masks hide future tokens"),
    ]


def test_the_history_records_each_key_point_change_with_the_editor(
    client: Client, editor: User, question: Question
) -> None:
    _, data = change_form(client, question_url(question))
    data["key_points-0-text"] = ["Queries are compared with keys"]
    data["key_points-2-text"] = ["Masks hide future tokens"]

    post(client, question_url(question), data)

    changed = KeyPoint.objects.get(text="Queries are compared with keys")
    assert [(r.history_type, r.text, r.history_user) for r in changed.history.all()] == [
        ("~", "Queries are compared with keys", editor),
        ("+", "Queries meet keys", None),
    ]
    added = KeyPoint.history.get(text="Masks hide future tokens")
    assert (added.history_type, added.history_user, added.question_id) == ("+", editor, question.pk)
    # The untouched point was saved by nobody.
    assert KeyPoint.objects.get(text="Softmax over scores").history.count() == 1


def test_a_point_over_200_characters_gets_a_clear_error(
    client: Client, editor: User, question: Question
) -> None:
    _, data = change_form(client, question_url(question))
    data["key_points-2-text"] = ["x" * 201]
    data["title"] = ["Renamed"]

    response = client.post(question_url(question), data)

    assert response.status_code == 200
    row = parse(response.content).find("tr", id_="key_points-2")
    assert row.find("ul", cls="errorlist").words == TOO_LONG
    question.refresh_from_db()
    assert question.title == "What is attention?"  # nothing saved
    assert texts(question) == [(0, "Queries meet keys"), (1, "Softmax over scores")]


def test_a_point_of_exactly_200_characters_is_kept(
    client: Client, editor: User, question: Question
) -> None:
    _, data = change_form(client, question_url(question))
    data["key_points-2-text"] = ["x" * 200]

    post(client, question_url(question), data)

    assert KeyPoint.objects.filter(question=question, text="x" * 200).exists()


def test_a_new_question_is_added_with_its_key_points(client: Client, editor: User) -> None:
    existing = make_question(1)
    _, data = change_form(client, "/admin/questions/question/add/")
    data |= {
        "number": ["2"],
        "title": ["What is a token?"],
        "category": [str(existing.category_id)],
        "answer": ["A unit of text."],
        "key_points-0-text": ["A piece of a word"],
    }

    post(client, "/admin/questions/question/add/", data)

    added = Question.objects.get(number=2)
    assert texts(added) == [(0, "A piece of a word")]


# Under each scenario


def test_the_scenario_inline_links_to_the_scenarios_key_points(
    client: Client, editor: User, scenario: Scenario
) -> None:
    KeyPoint.objects.create(scenario=scenario, text="Salient sentences score high")
    form, _ = change_form(client, question_url(scenario.question))

    cell = form.find("div", id_="scenarios-0").find(cls="field-key_points_link")
    link = cell.find("a")
    assert link.words == "Edit key points of 12.1"
    assert link.attrs["href"] == scenario_url(scenario)
    assert cell.find(cls="readonly").words == "1 key point · Edit key points of 12.1"
    # The question's own points never mix in the scenario's.
    assert ("0", "Salient sentences score high") not in key_point_rows(form)


def test_the_scenario_page_edits_its_key_points_with_history(
    client: Client, editor: User, scenario: Scenario
) -> None:
    form, data = change_form(client, scenario_url(scenario))
    assert key_point_rows(form) == [("", "")]
    heading = form.find("div", id_="key_points-group").find("h2").words
    assert heading == "Key points of the scenario answer"
    data["key_points-0-text"] = ["Salient sentences score high"]
    data["answer"] = ["It finds the salient sentences."]

    post(client, scenario_url(scenario), data)

    point = scenario.key_points.get()
    assert (point.text, point.question) == ("Salient sentences score high", None)
    assert point.history.get().history_user == editor
    scenario.refresh_from_db()
    assert scenario.answer == "It finds the salient sentences."
    assert scenario.history.latest().history_user == editor
    assert texts(scenario.question) == [(0, "Queries meet keys"), (1, "Softmax over scores")]


def test_the_scenario_page_keeps_it_under_its_question(
    client: Client, editor: User, scenario: Scenario
) -> None:
    other = make_question(13)
    form, data = change_form(client, scenario_url(scenario))
    assert "question" not in data  # shown, not editable
    assert form.find(cls="field-question").find("a").attrs["href"] == question_url(
        scenario.question
    )
    data["question"] = [str(other.pk)]

    post(client, scenario_url(scenario), data)

    scenario.refresh_from_db()
    assert scenario.question.number == 12


def test_the_scenario_page_previews_the_saved_answer(
    client: Client, editor: User, scenario: Scenario
) -> None:
    Scenario.objects.filter(pk=scenario.pk).update(answer="Two steps:\n\n- score\n- pick")

    form, _ = change_form(client, scenario_url(scenario))

    preview = form.find(cls="field-answer_preview").find("div", cls="answer-preview")
    assert [item.words for item in preview.find_all("li")] == ["score", "pick"]


def test_the_scenario_list_counts_key_points(
    client: Client, editor: User, scenario: Scenario
) -> None:
    Scenario.objects.create(question=scenario.question, label="12.2", prompt="P", answer="A")
    KeyPoint.objects.create(scenario=scenario, text="One")
    KeyPoint.objects.create(scenario=scenario, text="Two")

    page = parse(client.get("/admin/questions/scenario/").content)

    rows = page.find("table", id_="result_list").find("tbody").find_all("tr")
    assert [
        (row.find(cls="field-label").words, row.find(cls="field-key_point_count").words)
        for row in rows
    ] == [("12.1", "2"), ("12.2", "0")]
