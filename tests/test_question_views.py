"""Pages of the question bank: the home page, the list with search and filter, one question."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.test.client import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from questions.bank import ParsedBank
from questions.importing import import_bank
from questions.models import Category, Question
from tests.cast import count_queries, make_question, make_user
from tests.dom import find_all

pytestmark = pytest.mark.django_db

LIST_URL = "/questions/"
# Queries a page may spend, whatever the size of the bank.
HOME_BUDGET = 2
LIST_BUDGET = 3
DETAIL_BUDGET = 4  # the question, its scenarios, both neighbours (one query), the open flags
QUESTION_HREF = re.compile(r"/questions/(\d+)/")


def listed_numbers(html: str) -> list[int]:
    """Question numbers in the order the page links to them (pager links included)."""
    hrefs = (link.attrs.get("href") or "" for link in find_all(html, "a"))
    return [int(match[1]) for href in hrefs if (match := QUESTION_HREF.fullmatch(href))]


def ten_questions() -> None:
    """A small bank: ten questions over three categories."""
    categories = [
        Category.objects.create(name=f"Topic {index}", slug=f"topic-{index}", position=index)
        for index in range(3)
    ]
    for number in range(1, 11):
        make_question(number, category=categories[number % 3])


class TestHome:
    def test_it_counts_the_bank(self, client: Client, bank: ParsedBank) -> None:
        response = client.get("/")

        assert response.status_code == 200
        lead = find_all(response.content.decode(), "p", cls="lead")[0].words
        assert "200 questions in 13 categories" in lead

    def test_it_links_to_the_question_bank(self, client: Client, bank: ParsedBank) -> None:
        html = client.get("/").content.decode()

        (actions,) = find_all(html, "p", cls="actions")
        links = {link.words: link.attrs["href"] for link in find_all(actions, "a")}
        assert links["Browse the question bank"] == LIST_URL

    def test_it_invites_visitors_to_sign_up(self, client: Client, bank: ParsedBank) -> None:
        html = client.get("/").content.decode()

        (primary,) = find_all(html, "a", cls="button-primary")
        assert primary.words == "Sign up to start an interview"
        assert primary.attrs["href"] == reverse("signup")

    def test_it_leaves_retired_questions_out_of_the_count(
        self, client: Client, bank: ParsedBank
    ) -> None:
        Question.objects.filter(number__in=[1, 2]).update(is_active=False)

        lead = find_all(client.get("/").content.decode(), "p", cls="lead")[0].words

        assert "198 questions in 13 categories" in lead

    def test_it_keeps_its_queries_constant(
        self,
        client: Client,
        parsed_bank: ParsedBank,
        django_assert_max_num_queries: DjangoAssertNumQueries,
    ) -> None:
        ten_questions()
        small = count_queries(client, "/", django_assert_max_num_queries, HOME_BUDGET)
        import_bank(parsed_bank)
        full = count_queries(client, "/", django_assert_max_num_queries, HOME_BUDGET)

        assert small == full


class TestQuestionList:
    def test_it_groups_questions_by_category_with_counts(
        self, client: Client, bank: ParsedBank
    ) -> None:
        html = client.get(LIST_URL).content.decode()

        sections = find_all(html, "section", cls="category")
        headings = [find_all(section, "h2")[0].words for section in sections]
        assert len(headings) == 13
        assert headings[0] == "Fundamentals and Basics 10 questions"
        assert headings[-1] == "Advanced Topics 80 questions"
        assert "(121-200)" not in html
        counts = [len(find_all(section, "li")) for section in sections]
        assert sum(counts) == 200
        assert listed_numbers(html) == list(range(1, 201))

    def test_it_offers_every_category_in_the_filter(self, client: Client, bank: ParsedBank) -> None:
        html = client.get(LIST_URL).content.decode()

        options = [option.words for option in find_all(html, "option")]
        assert options[0] == "All categories (200)"
        assert options[-1] == "Advanced Topics (80)"
        assert len(options) == 14

    def test_it_introduces_the_bank(self, client: Client, bank: ParsedBank) -> None:
        html = client.get(LIST_URL).content.decode()

        (intro,) = find_all(html, "p", cls="intro")
        assert intro.words.startswith("200 questions in 13 categories")

    def test_it_filters_by_category(self, client: Client, bank: ParsedBank) -> None:
        html = client.get(LIST_URL, {"category": "advanced-topics"}).content.decode()

        (section,) = find_all(html, "section", cls="category")
        assert find_all(section, "h2")[0].words == "Advanced Topics 80 questions"
        assert listed_numbers(html) == list(range(121, 201))
        (chosen,) = [o for o in find_all(html, "option") if "selected" in o.attrs]
        assert chosen.attrs["value"] == "advanced-topics"

    def test_it_falls_back_to_all_categories_for_an_unknown_one(
        self, client: Client, bank: ParsedBank
    ) -> None:
        html = client.get(LIST_URL, {"category": "astrology"}).content.decode()

        (warning,) = find_all(html, "li", cls="message-warning")
        assert "There is no category “astrology”; showing all of them." in warning.words
        assert len(find_all(html, "section", cls="category")) == 13

    def test_it_ranks_title_matches_first(self, client: Client, bank: ParsedBank) -> None:
        # The word "LoRA" is in the title of 33 only; 190 ("QLoRA") and 34 use it in their
        # answers, 8 and 21 in a follow-up's answer. 101 has only "QLoRA": another word.
        html = client.get(LIST_URL, {"q": "LoRA"}).content.decode()

        assert listed_numbers(html) == [33, 190, 34, 8, 21]
        assert find_all(html, "h2", cls="results-heading")[0].words == "5 results for “LoRA”"

    def test_it_offers_to_clear_the_search(self, client: Client, bank: ParsedBank) -> None:
        everything = client.get(LIST_URL, {"q": "LoRA"}).content.decode()
        in_category = client.get(
            LIST_URL, {"q": "LoRA", "category": "advanced-topics"}
        ).content.decode()

        (clear,) = find_all(everything, "a", cls="clear-search")
        assert clear.attrs["href"] == LIST_URL
        (clear,) = find_all(in_category, "a", cls="clear-search")
        assert clear.attrs["href"] == f"{LIST_URL}?category=advanced-topics"

    def test_it_searches_case_insensitively(self, client: Client, bank: ParsedBank) -> None:
        html = client.get(LIST_URL, {"q": "lora"}).content.decode()

        assert listed_numbers(html) == [33, 190, 34, 8, 21]

    def test_it_requires_every_word_of_the_query(self, client: Client, bank: ParsedBank) -> None:
        html = client.get(LIST_URL, {"q": "LoRA quantization"}).content.decode()

        # 33 mentions only LoRA and 187 only quantization; 190 mentions both (101 has "QLoRA").
        assert listed_numbers(html) == [190]

    def test_it_searches_within_the_selected_category(
        self, client: Client, bank: ParsedBank
    ) -> None:
        html = client.get(LIST_URL, {"q": "LoRA", "category": "advanced-topics"}).content.decode()

        assert listed_numbers(html) == [190]
        heading = find_all(html, "h2", cls="results-heading")[0].words
        assert heading == "1 result for “LoRA” in Advanced Topics"

    def test_it_says_so_when_nothing_matches(self, client: Client, bank: ParsedBank) -> None:
        html = client.get(LIST_URL, {"q": "LoRA sourdough"}).content.decode()

        assert listed_numbers(html) == []
        assert find_all(html, "h2", cls="results-heading")[0].words == (
            "0 results for “LoRA sourdough”"
        )
        (empty,) = find_all(html, "p", cls="empty")
        assert "No question mentions every word of “LoRA sourdough”" in empty.words

    def test_it_suggests_all_categories_when_one_has_no_match(
        self, client: Client, bank: ParsedBank
    ) -> None:
        html = client.get(LIST_URL, {"q": "LoRA adapters", "category": "ethics-and-safety"})

        (empty,) = find_all(html.content.decode(), "p", cls="empty")
        (link,) = find_all(empty, "a")
        assert link.words == "search all categories"
        assert link.attrs["href"] == f"{LIST_URL}?q=LoRA%20adapters"

    def test_it_escapes_the_query(self, client: Client, bank: ParsedBank) -> None:
        response = client.get(LIST_URL, {"q": "<script>alert(1)</script>"})

        assert b"<script>alert(1)</script>" not in response.content
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content

    def test_it_hides_retired_questions(self, client: Client, bank: ParsedBank) -> None:
        Question.objects.filter(number=33).update(is_active=False)

        listing = client.get(LIST_URL).content.decode()
        search = client.get(LIST_URL, {"q": "LoRA"}).content.decode()

        assert 33 not in listed_numbers(listing)
        assert "Training and Fine-tuning 9 questions" in [
            heading.words for heading in find_all(listing, "h2")
        ]
        assert listed_numbers(search) == [190, 34, 8, 21]

    def test_it_drops_a_category_whose_questions_are_all_retired(
        self, client: Client, bank: ParsedBank
    ) -> None:
        Question.objects.filter(number__gte=121).update(is_active=False)

        html = client.get(LIST_URL).content.decode()

        assert len(find_all(html, "section", cls="category")) == 12
        assert "Advanced Topics" not in html

    def test_it_explains_an_empty_bank(self, client: Client) -> None:
        html = client.get(LIST_URL).content.decode()

        (empty,) = find_all(html, "p", cls="empty")
        assert "python manage.py import_questions" in empty.words

    def test_it_returns_only_the_results_to_htmx(self, client: Client, bank: ParsedBank) -> None:
        response = client.get(LIST_URL, {"q": "LoRA"}, HTTP_HX_REQUEST="true")

        html = response.content.decode().strip()
        assert html.startswith('<section id="results"')
        assert html.endswith("</section>")
        assert "<html" not in html
        assert "<form" not in html
        assert listed_numbers(html) == [33, 190, 34, 8, 21]

    def test_it_renders_the_whole_page_for_a_boosted_request(
        self, client: Client, bank: ParsedBank
    ) -> None:
        response = client.get(LIST_URL, HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true")

        assert b"<html" in response.content
        assert b'id="search-q"' in response.content

    def test_it_wires_the_search_box_to_htmx(self, client: Client, bank: ParsedBank) -> None:
        html = client.get(LIST_URL, {"q": "LoRA"}).content.decode()

        (form,) = find_all(html, "form", cls="search")
        attributes = form.attrs
        assert attributes["hx-get"] == LIST_URL
        assert attributes["hx-target"] == "#results"
        # The form also works without JavaScript: a plain GET to the same page.
        assert attributes["method"] == "get"
        assert attributes["action"] == LIST_URL
        (search_box,) = find_all(form, "input", id="search-q")
        assert search_box.attrs["value"] == "LoRA"
        assert find_all(html, "label", for_="search-q")

    def test_it_rejects_post(self, client: Client) -> None:
        assert client.post(LIST_URL).status_code == 405

    def test_it_keeps_its_queries_constant(
        self,
        client: Client,
        parsed_bank: ParsedBank,
        django_assert_max_num_queries: DjangoAssertNumQueries,
    ) -> None:
        ten_questions()
        small = count_queries(client, LIST_URL, django_assert_max_num_queries, LIST_BUDGET)
        import_bank(parsed_bank)
        full = count_queries(client, LIST_URL, django_assert_max_num_queries, LIST_BUDGET)

        assert small == full

    def test_it_keeps_search_queries_constant(
        self,
        client: Client,
        parsed_bank: ParsedBank,
        django_assert_max_num_queries: DjangoAssertNumQueries,
    ) -> None:
        ten_questions()
        url = f"{LIST_URL}?q=question+answer"
        small = count_queries(client, url, django_assert_max_num_queries, LIST_BUDGET)
        import_bank(parsed_bank)
        full = count_queries(client, url, django_assert_max_num_queries, LIST_BUDGET)

        assert small == full


class TestQuestionDetail:
    def test_it_shows_the_question_and_hides_the_answer_in_details(
        self, client: Client, bank: ParsedBank
    ) -> None:
        html = client.get("/questions/33/").content.decode()

        assert find_all(html, "h1")[0].words == "33. What is LoRA (Low-Rank Adaptation)?"
        (reveal,) = find_all(html, "details", cls="reveal")
        assert "open" not in reveal.attrs
        assert find_all(reveal, "summary")[0].words == "Reveal answer"
        (answer,) = find_all(reveal, "div", cls="answer")
        assert "parameter-efficient fine-tuning technique" in answer.words

    def test_it_renders_without_the_interviews_apps_template_tags(
        self, client: Client, bank: ParsedBank, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        engine = engines["django"].engine
        bank_only = {
            name: library
            for name, library in engine.template_libraries.items()
            if not engine.libraries[name].startswith("sessions.")
        }
        assert bank_only != engine.template_libraries
        monkeypatch.setattr(engine, "template_libraries", bank_only)
        # Compiled templates keep the libraries they loaded: compile afresh, here and after.
        for loader in engine.template_loaders:
            loader.reset()
        client.force_login(make_user())
        try:
            response = client.get("/questions/33/")
        finally:
            for loader in engine.template_loaders:
                loader.reset()

        assert response.status_code == 200
        (attempts,) = find_all(response.content.decode(), "section", cls="attempts")
        assert attempts.attrs["hx-get"] == "/interviews/questions/33/attempts/"

    def test_it_asks_visitors_to_log_in_to_flag_the_answer(
        self, client: Client, bank: ParsedBank
    ) -> None:
        html = client.get("/questions/33/").content.decode()

        (reveal,) = find_all(html, "details", cls="reveal")
        (flag,) = find_all(reveal, "div", cls="flag")
        (login,) = find_all(flag, "a")
        assert login.attrs["href"] == f"{reverse('login')}?next=/questions/33/"
        assert find_all(flag, "form") == []

    def test_it_lets_a_candidate_flag_the_answer_after_the_reveal(
        self, client: Client, bank: ParsedBank
    ) -> None:
        client.force_login(make_user())

        html = client.get("/questions/33/").content.decode()

        (reveal,) = find_all(html, "details", cls="reveal")
        (form,) = find_all(reveal, "form")
        assert form.attrs["action"] == reverse("questions:flag", args=[33])
        assert form.attrs["hx-target"] == "#flag-33"

    def test_it_renders_the_answer_as_markdown(self, client: Client, db: None) -> None:
        make_question(7, answer="Two points:\n\n- **first**\n- second")

        html = client.get("/questions/7/").content.decode()

        (answer,) = find_all(html, "div", cls="answer")
        assert [item.words for item in find_all(answer, "li")] == ["first", "second"]
        assert find_all(answer, "strong")

    def test_it_shows_the_follow_up_scenarios(self, client: Client, bank: ParsedBank) -> None:
        html = client.get("/questions/1/").content.decode()

        (scenario,) = find_all(html, "section", cls="scenario")
        assert find_all(scenario, "h2")[0].words == "Follow-up scenario 1.1"
        assert "10,000 items in their e-commerce catalog" in scenario.words
        (reveal,) = find_all(scenario, "details", cls="reveal")
        assert find_all(reveal, "summary")[0].words == "Reveal scenario answer"
        assert "few-shot prompting" in reveal.words

    def test_it_has_no_scenarios_section_without_scenarios(
        self, client: Client, bank: ParsedBank
    ) -> None:
        html = client.get("/questions/33/").content.decode()

        assert find_all(html, "section", cls="scenario") == []

    def test_it_links_to_its_category(self, client: Client, bank: ParsedBank) -> None:
        html = client.get("/questions/150/").content.decode()

        (breadcrumbs,) = find_all(html, "nav", cls="breadcrumbs")
        links = {link.words: link.attrs["href"] for link in find_all(breadcrumbs, "a")}
        assert links == {
            "Question bank": LIST_URL,
            "Advanced Topics": f"{LIST_URL}?category=advanced-topics",
        }

    def test_it_links_to_the_previous_and_next_question(
        self, client: Client, bank: ParsedBank
    ) -> None:
        html = client.get("/questions/33/").content.decode()

        (previous,) = find_all(html, "a", rel="prev")
        (following,) = find_all(html, "a", rel="next")
        assert previous.attrs["href"] == "/questions/32/"
        assert following.attrs["href"] == "/questions/34/"

    def test_it_has_no_previous_link_on_the_first_question(
        self, client: Client, bank: ParsedBank
    ) -> None:
        html = client.get("/questions/1/").content.decode()

        assert find_all(html, "a", rel="prev") == []
        assert find_all(html, "a", rel="next")

    def test_it_has_no_next_link_on_the_last_question(
        self, client: Client, bank: ParsedBank
    ) -> None:
        html = client.get("/questions/200/").content.decode()

        assert find_all(html, "a", rel="next") == []
        assert find_all(html, "a", rel="prev")[0].attrs["href"] == "/questions/199/"

    def test_it_skips_retired_neighbours(self, client: Client, bank: ParsedBank) -> None:
        Question.objects.filter(number__in=[32, 34]).update(is_active=False)

        html = client.get("/questions/33/").content.decode()

        assert find_all(html, "a", rel="prev")[0].attrs["href"] == "/questions/31/"
        assert find_all(html, "a", rel="next")[0].attrs["href"] == "/questions/35/"

    def test_it_404s_for_a_retired_question(self, client: Client, bank: ParsedBank) -> None:
        Question.objects.filter(number=33).update(is_active=False)

        assert client.get("/questions/33/").status_code == 404

    @pytest.mark.parametrize("path", ["/questions/201/", "/questions/0/", "/questions/abc/"])
    def test_it_404s_for_an_unknown_number(
        self, client: Client, bank: ParsedBank, path: str
    ) -> None:
        assert client.get(path).status_code == 404

    def test_it_rejects_post(self, client: Client, bank: ParsedBank) -> None:
        assert client.post("/questions/33/").status_code == 405

    def test_it_keeps_its_queries_constant(
        self,
        client: Client,
        parsed_bank: ParsedBank,
        django_assert_max_num_queries: DjangoAssertNumQueries,
    ) -> None:
        ten_questions()
        url = "/questions/5/"
        small = count_queries(client, url, django_assert_max_num_queries, DETAIL_BUDGET)
        import_bank(parsed_bank)
        full = count_queries(client, url, django_assert_max_num_queries, DETAIL_BUDGET)

        assert small == full
