"""The admin's live preview: the text an editor types, rendered by the site's own sanitising
renderer through a staff-only endpoint; the pages wire each answer and key point list to it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test.client import Client

from questions.markdown import render_markdown
from questions.models import KeyPoint, Question, Scenario
from tests.cast import logged_in, make_editor, make_question, make_user
from tests.dom import Node, parse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("editors_group")]

PREVIEW_URL = "/admin/questions/question/preview/"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def editor(client: Client) -> User:
    user = make_editor()
    client.force_login(user)
    return user


def preview(client: Client, **data: str | list[str]) -> HttpResponse:
    return client.post(PREVIEW_URL, data)


def points(response: HttpResponse) -> list[str]:
    assert response.status_code == 200
    return [item.words for item in parse(response.content).find("ol").find_all("li")]


# The endpoint: answers


def test_it_renders_an_answer_as_candidates_see_it(client: Client, editor: User) -> None:
    text = f"Three steps:\n\n- retrieve\n- **rerank**\n- generate\n\n{SCRIPT}"

    response = preview(client, kind="answer", text=text)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.decode() == render_markdown(text)  # the very same renderer
    page = parse(response.content)
    assert [item.words for item in page.find("ul").find_all("li")] == [
        "retrieve",
        "rerank",
        "generate",
    ]
    assert page.find("strong").words == "rerank"
    assert page.find_all("script") == []
    assert SCRIPT in page.text  # shown as text, never run


def test_it_keeps_only_safe_links(client: Client, editor: User) -> None:
    response = preview(client, kind="answer", text="[a](javascript:alert(1)) [b](https://x.org)")

    links = parse(response.content).find_all("a")
    assert [link.attrs.get("href") for link in links] == ["https://x.org"]
    assert parse(response.content).find("p").words == "[a](javascript:alert(1)) b"  # as text


@pytest.mark.parametrize("text", ["", "  \n\n "])
def test_it_says_when_there_is_nothing_to_preview(client: Client, editor: User, text: str) -> None:
    response = preview(client, kind="answer", text=text)

    assert parse(response.content).find("p", cls="help").words == "Nothing to preview yet."


@pytest.mark.parametrize(
    "text",
    [">" * 5000, "*" * 20000, "[" * 20000 + "](", "- " * 5000, "\x00 \ud7ff \u202e", "`" * 9999],
)
def test_it_never_fails_on_odd_markdown(client: Client, editor: User, text: str) -> None:
    response = preview(client, kind="answer", text=text)

    assert response.status_code == 200
    assert parse(response.content).find_all("script") == []


# The endpoint: key points


def test_it_lists_key_points_in_the_order_they_will_be_saved(client: Client, editor: User) -> None:
    response = preview(
        client,
        kind="key_points",
        text=["Generate", "Retrieve", "  ", "Rerank", "Cite sources"],
        position=["3", "0", "1", "", "1"],
    )

    # By position; the blank row is not saved; a blank position goes last.
    assert points(response) == ["Retrieve", "Cite sources", "Generate", "Rerank"]


def test_it_shows_key_points_as_plain_text(client: Client, editor: User) -> None:
    response = preview(client, kind="key_points", text=[f"**Not bold** {SCRIPT}"], position=["0"])

    (item,) = parse(response.content).find("ol").find_all("li")
    assert item.words == f"**Not bold** {SCRIPT}"
    assert item.find_all("strong") == [] and item.find_all("script") == []


def test_it_warns_of_a_key_point_over_200_characters(client: Client, editor: User) -> None:
    response = preview(client, kind="key_points", text=["x" * 200, "y" * 201], position=["0", "1"])

    first, second = parse(response.content).find("ol").find_all("li")
    assert first.find_all("strong") == []
    assert second.find("strong", cls="preview-error").words == (
        "(over 200 characters: it will not save)"
    )


@pytest.mark.parametrize("position", ["abc", "²", "-1", "9" * 5000, "1.5"])
def test_a_position_the_form_would_refuse_goes_last(
    client: Client, editor: User, position: str
) -> None:
    response = preview(client, kind="key_points", text=["Odd", "Even"], position=[position, "7"])

    assert points(response) == ["Even", "Odd"]


def test_it_says_when_there_are_no_key_points(client: Client, editor: User) -> None:
    response = preview(client, kind="key_points")

    assert parse(response.content).find("p", cls="help").words == "No key points yet."


# The endpoint: bad requests get a 400 that says why


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Nothing to preview: send kind=answer with one text, or kind=key_points."),
        ({"kind": "poem", "text": "x"}, "Nothing to preview"),
        ({"kind": "answer"}, "Nothing to preview"),
        ({"kind": "answer", "text": ["a", "b"]}, "Nothing to preview"),
        (
            {"kind": "key_points", "text": ["a", "b"], "position": ["1"]},
            "Each key point needs a position, even a blank one.",
        ),
        (
            {"kind": "answer", "text": "x" * 100_001},
            "Too long to preview (over 100,000 characters).",
        ),
    ],
)
def test_it_refuses_bad_input_with_a_reason(
    client: Client, editor: User, data: dict[str, str | list[str]], message: str
) -> None:
    response = preview(client, **data)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(message)


def test_it_takes_the_longest_text_allowed(client: Client, editor: User) -> None:
    response = preview(client, kind="answer", text="x" * 100_000)

    assert parse(response.content).find("p").words == "x" * 100_000


# The endpoint: who may use it


def test_it_rejects_get(client: Client, editor: User) -> None:
    response = client.get(PREVIEW_URL, {"kind": "answer", "text": "x"})

    assert response.status_code == 405


@pytest.mark.parametrize("who", ["anonymous", "candidate"])
def test_it_sends_non_staff_to_the_admin_login(client: Client, who: str) -> None:
    if who == "candidate":
        client.force_login(make_user("candidate"))

    response = preview(client, kind="answer", text="**secret**")

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.path, parse_qs(location.query)) == ("/admin/login/", {"next": [PREVIEW_URL]})
    assert b"<strong>" not in response.content


def test_it_refuses_a_post_without_the_csrf_token(db: None) -> None:
    client = logged_in(make_editor(), enforce_csrf_checks=True)

    response = preview(client, kind="answer", text="**x**")

    assert response.status_code == 403
    assert b"<strong>x</strong>" not in response.content


# The pages: each answer and key point list is wired to its preview


def answer_fieldsets(page: Node) -> list[Node]:
    """The innermost fieldsets holding an answer's textarea, each with its preview."""
    return [
        fieldset
        for fieldset in page.find_all("fieldset")
        if fieldset.find_all("textarea", **{"data-preview": "answer"})
        and len(fieldset.find_all("fieldset")) == 1  # itself: no inline's fieldsets inside
    ]


def live_preview(fieldset: Node) -> Node:
    preview = fieldset.find("div", cls="live-preview", **{"data-preview-of": "answer"})
    assert preview.attrs["data-preview-url"] == PREVIEW_URL
    return preview.find("div", cls="answer-preview", **{"data-preview-body": None})


@pytest.fixture
def question(db: None) -> Question:
    question = make_question(12, answer="Weights:\n\n- queries\n- keys")
    Scenario.objects.create(question=question, label="12.1", prompt="P", answer="1. find\n2. pick")
    KeyPoint.objects.create(question=question, position=2, text="Softmax")
    KeyPoint.objects.create(question=question, position=1, text="Dot products")
    return question


def test_the_question_page_wires_its_answer_and_each_scenarios(
    client: Client, editor: User, question: Question
) -> None:
    response = client.get(f"/admin/questions/question/{question.pk}/change/")
    page = parse(response.content)

    main, scenario, empty_scenario = answer_fieldsets(page)
    assert main.find("textarea", name="answer")
    assert [li.words for li in live_preview(main).find("ul").find_all("li")] == ["queries", "keys"]
    assert scenario.find("textarea", name="scenarios-0-answer")
    assert [li.words for li in live_preview(scenario).find("ol").find_all("li")] == ["find", "pick"]
    # The template row "Add another Scenario" copies comes with its own preview.
    assert empty_scenario.find("textarea", name="scenarios-__prefix__-answer")
    assert live_preview(empty_scenario).words == "Nothing to preview yet."
    scripts = [script.attrs.get("src") for script in page.find_all("script")]
    assert "/static/js/admin_preview.js" in scripts


def test_the_question_page_previews_its_key_points(
    client: Client, editor: User, question: Question
) -> None:
    page = parse(client.get(f"/admin/questions/question/{question.pk}/change/").content)

    editor_box = page.find("div", cls="key-points-editor", **{"data-key-points-editor": None})
    assert editor_box.find("div", id_="key_points-group")
    preview = editor_box.find("div", cls="live-preview", **{"data-preview-of": "key_points"})
    assert preview.attrs["data-preview-url"] == PREVIEW_URL
    assert [li.words for li in preview.find("ol").find_all("li")] == ["Dot products", "Softmax"]


def test_the_scenario_page_wires_its_answer_and_key_points(
    client: Client, editor: User, question: Question
) -> None:
    scenario = question.scenarios.get()

    page = parse(client.get(f"/admin/questions/scenario/{scenario.pk}/change/").content)

    (fieldset,) = answer_fieldsets(page)
    assert [li.words for li in live_preview(fieldset).find("ol").find_all("li")] == ["find", "pick"]
    preview = page.find("div", cls="key-points-editor").find(cls="live-preview")
    assert preview.find(**{"data-preview-body": None}).words == "No key points yet."
    scripts = [script.attrs.get("src") for script in page.find_all("script")]
    assert "/static/js/admin_preview.js" in scripts


def test_the_add_page_previews_nothing_yet(client: Client, editor: User) -> None:
    page = parse(client.get("/admin/questions/question/add/").content)

    main = answer_fieldsets(page)[0]
    assert live_preview(main).words == "Nothing to preview yet."
    key_points = page.find("div", cls="key-points-editor").find(cls="live-preview")
    assert key_points.find(**{"data-preview-body": None}).words == "No key points yet."
