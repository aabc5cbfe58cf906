"""Editors at work in the admin: find, edit, compare and revert answers; retire; the flag queue."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test.client import Client
from pytest_django import DjangoAssertNumQueries

from questions import search
from questions.bank import ParsedBank
from questions.importing import import_bank
from questions.models import AnswerFlag, Category, Question, Scenario
from tests.cast import make_editor, make_question, make_user, messages_of
from tests.dom import Node, form_data, parse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("editors_group")]

CHANGELIST = "/admin/questions/question/"
FLAG_QUEUE = "/admin/questions/answerflag/"
RAG_START = "RAG combines retrieval with generation by fetching relevant documents"
NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
# Queries the question list may spend, whatever the size of the bank: session, user, the user's
# and the group's permissions, the category filter, two counts, the page of rows.
CHANGELIST_BUDGET = 8


@pytest.fixture
def editor(client: Client) -> User:
    user = make_editor()
    client.force_login(user)
    return user


def change_url(question: Question) -> str:
    return f"/admin/questions/question/{question.pk}/change/"


def history_url(question: Question) -> str:
    return f"/admin/questions/question/{question.pk}/history/"


def listed_numbers(client: Client, **params: str) -> list[int]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return [question.number for question in response.context["cl"].result_list]


def edit_answer(client: Client, question: Question, new_answer: str | None) -> None:
    """Submit the admin change form as a browser would, inline formset included."""
    page = parse(client.get(change_url(question)).content)
    data = form_data(page.find("form", id_="question_form"))
    assert data["scenarios-TOTAL_FORMS"] == [str(question.scenarios.count())]
    if new_answer is not None:
        data["answer"] = [new_answer.replace("\n", "\r\n")]  # as browsers send line breaks
    response = client.post(change_url(question), data)
    assert response.status_code == 302, parse(response.content).find_all(cls="errorlist")
    assert response["Location"] == CHANGELIST


def result_row(page: Node, number: int) -> Node:
    (row,) = [
        row
        for row in page.find("table", id_="result_list").find_all("tr")
        if row.find_all("th", cls="field-number")
        and row.find("th", cls="field-number").words == str(number)
    ]
    return row


def cell(row: Node, column: str) -> Node:
    """The changelist cell, or the change form row, of one field."""
    (node,) = [
        node
        for node in row.find_all()
        if f"field-{column}" in (node.attrs.get("class") or "").split()
    ]
    return node


# The question list


def test_it_lists_the_columns_an_editor_needs(
    client: Client, bank: ParsedBank, editor: User
) -> None:
    question = Question.objects.get(number=121)
    for comment in ("Wrong", "Unclear"):
        AnswerFlag.objects.create(
            question=question, user=make_user(comment), reason="wrong", comment=comment
        )
    AnswerFlag.objects.create(
        question=question,
        user=make_user("old"),
        reason="wrong",
        comment="Fixed",
        status=AnswerFlag.Status.RESOLVED,
    )

    page = parse(client.get(CHANGELIST, {"q": "121"}).content)

    headers = [header.words for header in page.find("table", id_="result_list").find_all("th")]
    assert headers[:8] == [
        "",  # the select-all checkbox
        "Number",
        "Title",
        "Category",
        "Scenario",
        "Is active",
        "Open flags",
        "Updated at",
    ]
    row = result_row(page, 121)
    assert cell(row, "title").words == "What is retrieval-augmented generation (RAG)?"
    assert cell(row, "category").words == "Advanced Topics"
    assert cell(row, "has_scenario").find("img").attrs["alt"] == "True"
    assert cell(row, "is_active").find("img").attrs["alt"] == "True"
    assert cell(row, "open_flags").words == "2"


def test_it_shows_no_scenario_for_a_question_without_one(
    client: Client, bank: ParsedBank, editor: User
) -> None:
    question = Question.objects.filter(scenarios__isnull=True).earliest("number")

    page = parse(client.get(CHANGELIST, {"q": str(question.number)}).content)

    row = result_row(page, question.number)
    assert cell(row, "has_scenario").find("img").attrs["alt"] == "False"
    assert cell(row, "open_flags").words == "0"


def test_it_finds_rag_by_title_and_answer(client: Client, bank: ParsedBank, editor: User) -> None:
    numbers = listed_numbers(client, q="RAG")

    assert 121 in numbers
    assert numbers == sorted(numbers)
    # Only questions that mention it: retrieval-free ones like question 1 are left out.
    assert 1 not in numbers
    found = Question.objects.filter(number__in=numbers)
    assert all("rag" in (question.title + question.answer).lower() for question in found)
    assert any("rag" not in question.title.lower() for question in found)  # by answer too


def test_it_finds_a_question_by_its_number(client: Client, bank: ParsedBank, editor: User) -> None:
    assert listed_numbers(client, q="121") == [121]


def test_it_filters_by_category(client: Client, bank: ParsedBank, editor: User) -> None:
    category = Category.objects.get(name__startswith="Advanced Topics")

    numbers = listed_numbers(client, category__id__exact=str(category.pk))

    assert numbers == list(range(121, 201))


def test_it_filters_by_active(client: Client, bank: ParsedBank, editor: User) -> None:
    Question.objects.filter(number__in=[3, 121, 150]).update(is_active=False)

    assert listed_numbers(client, is_active__exact="0") == [3, 121, 150]
    first_page = listed_numbers(client, is_active__exact="1")
    assert first_page[:4] == [1, 2, 4, 5]
    assert 121 not in listed_numbers(client, is_active__exact="1", p="2")


def test_it_keeps_the_list_queries_constant(
    client: Client,
    editor: User,
    parsed_bank: ParsedBank,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    question = make_question(1)
    AnswerFlag.objects.create(question=question, user=editor, reason="wrong", comment="x")
    with django_assert_max_num_queries(CHANGELIST_BUDGET) as small:
        assert listed_numbers(client) == [1]

    Question.objects.all().delete()
    import_bank(parsed_bank)
    for question in Question.objects.filter(number__lte=50):
        AnswerFlag.objects.create(question=question, user=editor, reason="wrong", comment="x")
    with django_assert_max_num_queries(CHANGELIST_BUDGET) as large:
        assert len(listed_numbers(client)) == 100

    assert len(large.captured_queries) == len(small.captured_queries)


# The change page


def test_it_previews_the_sanitised_answer(client: Client, editor: User) -> None:
    question = make_question(
        1,
        answer="Use **bold** words:\n\n- one\n- two\n\n<script>alert(1)</script>",
    )

    page = parse(client.get(change_url(question)).content)

    (fieldset,) = [f for f in page.find_all("fieldset") if f.find_all("textarea", id_="id_answer")]
    preview = fieldset.find("div", cls="answer-preview")
    assert preview.find("strong").text == "bold"
    assert [item.text for item in preview.find_all("li")] == ["one", "two"]
    assert not preview.find_all("script")
    assert "<script>alert(1)</script>" in preview.text  # shown as text, never run


def test_it_links_view_on_site_to_the_public_page(client: Client, editor: User) -> None:
    question = make_question(42)
    page = parse(client.get(change_url(question)).content)

    link = page.find("a", cls="viewsitelink")
    response = client.get(link.attrs["href"])

    assert response.status_code == 302
    assert response["Location"].endswith("/questions/42/")


def test_it_links_to_the_flags_of_the_question_with_the_open_count(
    client: Client, editor: User
) -> None:
    question = make_question(9)
    other = make_question(10)
    AnswerFlag.objects.create(question=question, user=make_user("a"), reason="wrong", comment="A")
    AnswerFlag.objects.create(
        question=question, user=make_user("b"), reason="unclear", comment="B", status="resolved"
    )
    AnswerFlag.objects.create(question=other, user=make_user("c"), reason="wrong", comment="C")

    page = parse(client.get(change_url(question)).content)
    link = cell(page, "flags_link").find("a")
    queue = client.get(link.attrs["href"])

    assert link.words == "1 open, 2 in all"
    assert sorted(flag.comment for flag in queue.context["cl"].result_list) == ["A", "B"]


# Editing, history and revert


def test_an_admin_edit_records_history_with_the_editor(
    client: Client, bank: ParsedBank, editor: User
) -> None:
    question = Question.objects.get(number=121)
    new_answer = question.answer.replace("RAG combines", "RAG joins", 1)

    edit_answer(client, question, new_answer)

    question.refresh_from_db()
    assert question.answer == new_answer
    latest = question.history.latest()
    assert (latest.history_type, latest.history_user, latest.answer) == ("~", editor, new_answer)
    assert question.history.count() == 2  # the import, then the edit
    # The untouched inline scenario was saved by nobody.
    assert Scenario.history.filter(question_id=question.pk).count() == 1


def test_saving_unchanged_text_changes_nothing(
    client: Client, bank: ParsedBank, parsed_bank: ParsedBank, editor: User
) -> None:
    """Browsers send CRLF line breaks; the bank keeps LF, so a plain save alters no text."""
    question = Question.objects.get(number=121)
    scenario = question.scenarios.get()
    scenario.answer = "First paragraph.\n\nSecond paragraph."
    scenario.save()
    original = question.answer
    assert "\n\n" in original

    edit_answer(client, question, None)

    question.refresh_from_db()
    assert question.answer == original
    latest, before = question.history.all()[:2]
    assert latest.diff_against(before).changed_fields == []
    scenario.refresh_from_db()
    assert scenario.answer == "First paragraph.\n\nSecond paragraph."
    assert scenario.history.count() == 2  # the import and the save above, none from the admin
    assert import_bank(parsed_bank, dry_run=True).conflicts == []


def test_the_history_page_shows_a_word_level_diff(
    client: Client, bank: ParsedBank, editor: User
) -> None:
    question = Question.objects.get(number=121)
    edit_answer(client, question, question.answer.replace("RAG combines", "RAG joins", 1))

    page = parse(client.get(history_url(question)).content)

    (diff,) = page.find_all("div", cls="history-diff")
    assert [node.text for node in diff.find_all("del")] == ["combines"]
    assert [node.text for node in diff.find_all("ins")] == ["joins"]
    assert diff.children[:3] == ["RAG ", *diff.find_all("del"), *diff.find_all("ins")]
    assert diff.text.startswith("RAG combinesjoins retrieval with generation")
    rows = page.find("table", id_="change-history").find("tbody").find_all("tr")
    assert [row.find_all("td")[-3].words for row in rows] == ["editor", "None"]


def test_the_history_page_shows_no_template_comment(
    client: Client, bank: ParsedBank, editor: User
) -> None:
    question = Question.objects.get(number=121)

    page = parse(client.get(history_url(question)).content)

    content = page.find("div", id_="content").words
    assert "object_history_list" not in content
    assert "Content-Security-Policy" not in content
    assert content.startswith("Change history: 121. What is retrieval-augmented generation")


def test_the_history_diff_escapes_markup(client: Client, editor: User) -> None:
    question = make_question(5, answer="Plain words " * 12)
    edit_answer(client, question, "Plain words " * 12 + "<b>bold</b>")

    page = parse(client.get(history_url(question)).content)

    inserted = page.find("div", cls="history-diff").find("ins")
    assert inserted.text == "<b>bold</b>"
    assert not inserted.find_all("b")


def test_reverting_restores_the_old_text_and_records_it(
    client: Client, bank: ParsedBank, editor: User
) -> None:
    question = Question.objects.get(number=121)
    original = question.answer
    imported = question.history.get()
    edit_answer(client, question, "A short, wrong answer.")

    form_page = client.get(f"{history_url(question)}{imported.history_id}/")
    form = parse(form_page.content).find("form", id_="historicalquestion_form")
    assert form_data(form)["answer"] == [original.replace("\n", "\r\n")]
    response = client.post(f"{history_url(question)}{imported.history_id}/", form_data(form))

    assert response.status_code == 302
    assert messages_of(response) == [
        "The question “121. What is retrieval-augmented generation (RAG)?” was reverted to the "
        f"version of {imported.history_date:%-d %b %Y, %H:%M}."
    ]
    question.refresh_from_db()
    assert question.answer == original
    assert question.answer.startswith(RAG_START)
    types_and_users = [
        (record.history_type, record.history_user) for record in question.history.all()
    ]
    assert types_and_users == [("~", editor), ("~", editor), ("+", None)]
    assert question.history.latest().answer == original


def test_the_search_follows_an_edit_and_its_revert(
    client: Client, bank: ParsedBank, editor: User
) -> None:
    question = Question.objects.get(number=121)
    imported = question.history.get()

    def found(query: str) -> list[int]:
        within = Question.objects.active()
        return [hit.question.number for hit in search.search(query, within=within).hits]

    edit_answer(client, question, "Retrieval, explained with sourdough.")
    assert found("sourdough") == [121]

    revert_url = f"{history_url(question)}{imported.history_id}/"
    form = parse(client.get(revert_url).content).find("form", id_="historicalquestion_form")
    assert client.post(revert_url, form_data(form)).status_code == 302

    assert found("sourdough") == []
    assert found("RAG")[0] == 121


def test_retire_sets_inactive_and_records_history(
    client: Client, bank: ParsedBank, editor: User
) -> None:
    chosen = list(Question.objects.filter(number__in=[121, 122]).values_list("pk", flat=True))

    response = client.post(
        CHANGELIST, {"action": "retire", "_selected_action": chosen}, follow=True
    )

    assert set(Question.objects.filter(is_active=False).values_list("number", flat=True)) == {
        121,
        122,
    }
    assert "2 question(s) retired." in [str(message) for message in response.context["messages"]]
    for pk in chosen:
        latest = Question.history.filter(id=pk).latest()
        assert (latest.is_active, latest.history_user) == (False, editor)


def test_restore_brings_a_retired_question_back(client: Client, editor: User) -> None:
    retired = make_question(1, is_active=False)
    active = make_question(2)

    client.post(CHANGELIST, {"action": "restore", "_selected_action": [retired.pk, active.pk]})

    retired.refresh_from_db()
    assert retired.is_active
    # Only the question that changed gets a history entry.
    assert Question.history.filter(id=active.pk).count() == 1
    assert Question.history.filter(id=retired.pk).latest().history_user == editor


# The flag queue


def make_flag(question: Question, username: str, **fields: object) -> AnswerFlag:
    values = {"reason": "wrong", "comment": f"From {username}"}
    values.update(fields)
    return AnswerFlag.objects.create(question=question, user=make_user(username), **values)


def test_the_queue_lists_open_flags_first(client: Client, editor: User) -> None:
    question = make_question(1)
    resolved = make_flag(question, "a", status="resolved")
    open_flag = make_flag(question, "b")

    response = client.get(FLAG_QUEUE)

    assert list(response.context["cl"].result_list) == [open_flag, resolved]
    row = parse(response.content).find("table", id_="result_list").find("tbody").find_all("tr")[0]
    assert cell(row, "target_link").find("a").attrs["href"] == change_url(question)
    assert (
        cell(row, "short_comment").find("a").attrs["href"] == f"{FLAG_QUEUE}{open_flag.pk}/change/"
    )
    assert cell(row, "user").words == "b"
    assert cell(row, "status").words == "Open"


def test_the_queue_names_the_answer_flagged_and_its_text(client: Client, editor: User) -> None:
    question = make_question(12, answer="Main answer.")
    scenario = Scenario.objects.create(
        question=question, label="12.1", prompt="P", answer="Scenario answer."
    )
    long_text = "Attention weighs tokens. " * 10
    on_question = make_flag(question, "a", text_shown="Main answer, as shown.")
    on_scenario = make_flag(question, "b", scenario=scenario, text_shown=long_text)

    page = parse(client.get(FLAG_QUEUE).content)

    rows = {
        cell(row, "short_comment").words: row
        for row in page.find("table", id_="result_list").find("tbody").find_all("tr")
    }
    question_row, scenario_row = rows[on_question.comment], rows[on_scenario.comment]
    assert cell(question_row, "target_link").words == "Question 12"
    assert cell(question_row, "target_link").find("a").attrs["href"] == change_url(question)
    assert cell(scenario_row, "target_link").words == "Scenario 12.1"
    assert cell(scenario_row, "target_link").find("a").attrs["href"] == (
        f"/admin/questions/scenario/{scenario.pk}/change/"
    )
    assert cell(question_row, "short_text_shown").words == "Main answer, as shown."
    shortened = cell(scenario_row, "short_text_shown").words
    assert len(shortened) == 80
    assert shortened == long_text.strip()[:79] + "…"


def test_the_flag_page_renders_the_text_the_candidate_saw_safely(
    client: Client, editor: User
) -> None:
    question = make_question(12, answer="Now fixed.")
    flag = make_flag(
        question, "a", text_shown="Steps:\n\n- one\n- two\n\n<script>alert(1)</script>"
    )

    page = parse(client.get(f"{FLAG_QUEUE}{flag.pk}/change/").content)

    shown = cell(page, "flagged_text")
    preview = shown.find("div", cls="answer-preview")
    assert [item.words for item in preview.find_all("li")] == ["one", "two"]
    assert "<script>alert(1)</script>" in preview.text
    assert not preview.find_all("script")
    assert shown.find("p", cls="help").words == "The answer was edited since."
    assert cell(page, "target_link").find("a").attrs["href"] == change_url(question)


def test_the_flag_page_says_when_the_answer_is_unchanged_or_unknown(
    client: Client, editor: User
) -> None:
    question = make_question(12, answer="Same text.")
    unchanged = make_flag(question, "a", text_shown="Same text.")
    older = make_flag(question, "b", status="resolved")

    unchanged_cell = cell(
        parse(client.get(f"{FLAG_QUEUE}{unchanged.pk}/change/").content), "flagged_text"
    )
    older_cell = cell(parse(client.get(f"{FLAG_QUEUE}{older.pk}/change/").content), "flagged_text")

    assert unchanged_cell.find("div", cls="answer-preview").words == "Same text."
    assert unchanged_cell.find_all("p", cls="help") == []
    assert older_cell.find("p", cls="help").words == "Not recorded: flagged before it was."


def test_the_scenario_page_links_to_its_flags(client: Client, editor: User) -> None:
    question = make_question(12)
    scenario = Scenario.objects.create(question=question, label="12.1", prompt="P", answer="A")
    make_flag(question, "a", scenario=scenario)
    make_flag(question, "b", scenario=scenario, status="resolved")
    make_flag(question, "c")  # on the question's own answer

    page = parse(client.get(f"/admin/questions/scenario/{scenario.pk}/change/").content)
    link = cell(page, "flags_link").find("a")
    queue = client.get(link.attrs["href"])

    assert link.words == "1 open, 2 in all"
    assert sorted(flag.comment for flag in queue.context["cl"].result_list) == ["From a", "From b"]
    listed = parse(client.get("/admin/questions/scenario/").content)
    assert cell(listed.find("table", id_="result_list").find("tbody"), "open_flags").words == "1"


def test_mark_resolved_records_who_and_when(client: Client, editor: User) -> None:
    question = make_question(1)
    first, second = make_flag(question, "a"), make_flag(question, "b", reason="unclear")
    earlier = make_flag(make_question(2), "c", status="resolved")

    with time_machine.travel(NOW, tick=False):
        response = client.post(
            FLAG_QUEUE,
            {"action": "mark_resolved", "_selected_action": [first.pk, second.pk, earlier.pk]},
            follow=True,
        )

    assert "2 flag(s) marked resolved." in [str(m) for m in response.context["messages"]]
    for flag in (first, second):
        flag.refresh_from_db()
        assert (flag.status, flag.resolved_by, flag.resolved_at) == ("resolved", editor, NOW)
    earlier.refresh_from_db()
    assert (earlier.resolved_by, earlier.resolved_at) == (None, None)


def test_resolving_from_the_change_form_records_who_and_when(client: Client, editor: User) -> None:
    flag = make_flag(make_question(1), "a")
    url = f"{FLAG_QUEUE}{flag.pk}/change/"

    with time_machine.travel(NOW, tick=False):
        client.post(url, {"status": "resolved"})
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by, flag.resolved_at) == ("resolved", editor, NOW)

    client.post(url, {"status": "open"})
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by, flag.resolved_at) == ("open", None, None)


def test_the_change_form_keeps_the_candidates_words(client: Client, editor: User) -> None:
    flag = make_flag(make_question(1), "a", comment="Original words")

    client.post(
        f"{FLAG_QUEUE}{flag.pk}/change/",
        {"status": "open", "comment": "Rewritten", "reason": "unclear"},
    )

    flag.refresh_from_db()
    assert (flag.comment, flag.reason) == ("Original words", "wrong")


def test_flags_cannot_be_added_in_the_admin(client: Client, editor: User) -> None:
    assert client.get(f"{FLAG_QUEUE}add/").status_code == 403
    queue = parse(client.get(FLAG_QUEUE).content)
    assert not queue.find_all("a", href=f"{FLAG_QUEUE}add/")
    assert queue.find_all("a", href="/admin/questions/question/add/")  # the other models have one


# Categories


def test_the_category_list_counts_questions(client: Client, editor: User) -> None:
    make_question(1)
    make_question(2, is_active=False)
    Category.objects.create(name="Empty", slug="empty", position=5)

    page = parse(client.get("/admin/questions/category/").content)

    rows = page.find("table", id_="result_list").find("tbody").find_all("tr")
    counts = [
        (cell(row, "name").words, cell(row, "question_count").words)
        + (cell(row, "active_question_count").words,)
        for row in rows
    ]
    assert counts == [("Fundamentals", "2", "1"), ("Empty", "0", "0")]
