"""Search over the bank (questions.search): what a candidate types finds what they meant, the same
on SQLite and PostgreSQL, and the index follows every write."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test.client import Client
from pytest_django import DjangoAssertNumQueries

from questions import search
from questions.bank import ParsedBank
from questions.importing import import_bank
from questions.models import KeyPoint, Question, Scenario, SearchDocument, SearchTerm
from tests.cast import count_queries, give_key_points, make_question
from tests.dom import Node, find_all
from tests.test_question_views import LIST_BUDGET, LIST_URL, listed_numbers

pytestmark = pytest.mark.django_db


def results_of(client: Client, query: str, **params: str) -> str:
    response = client.get(LIST_URL, {"q": query, **params})
    assert response.status_code == 200
    return response.content.decode()


def hits(html: str) -> list[Node]:
    lists = find_all(html, "ol", cls="search-hits")
    return find_all(lists[0], "li") if lists else []


def numbers_found(query: str) -> list[int]:
    return [
        hit.question.number for hit in search.search(query, within=Question.objects.active()).hits
    ]


# The five searches of issue 14 -------------------------------------------------------------


def test_kv_cache_finds_kv_caching_first(client: Client, bank: ParsedBank) -> None:
    html = results_of(client, "kv cache")

    assert listed_numbers(html)[0] == 105
    first = hits(html)[0]
    assert "What is KV caching?" in first.words
    # Both words are marked in the title: "cache" and "caching" share their stem.
    assert [mark.words for mark in find_all(first, "mark")][:2] == ["KV", "caching"]


def test_rag_matches_the_word_not_the_letters(client: Client, bank: ParsedBank) -> None:
    html = results_of(client, "RAG")

    found = listed_numbers(html)
    assert 192 not in found  # "What is weight averaging?"
    assert 55 not in found  # "What is length penalty?"
    assert found[:2] == [121, 122]  # RAG in the title first
    for hit in hits(html):
        assert {mark.words.casefold() for mark in find_all(hit, "mark")} == {"rag"}


def test_controlnet_finds_the_follow_up_that_mentions_it(client: Client, bank: ParsedBank) -> None:
    html = results_of(client, "ControlNet")

    assert listed_numbers(html) == [3]
    (hit,) = hits(html)
    (snippet,) = find_all(hit, "p", cls="snippet")
    assert snippet.words.startswith("Scenario answer 3.1:")
    assert [mark.words for mark in find_all(snippet, "mark")] == ["ControlNet"]


def test_a_typo_offers_the_word_it_meant(client: Client, bank: ParsedBank) -> None:
    html = results_of(client, "hallucinaton")

    assert listed_numbers(html) == []
    (suggestion,) = find_all(html, "p", cls="suggestion")
    assert suggestion.words == "Did you mean hallucination?"
    (link,) = find_all(suggestion, "a")
    assert link.attrs["href"] == f"{LIST_URL}?q=hallucination"
    assert listed_numbers(results_of(client, "hallucination"))[0] == 93


def test_every_result_shows_why_it_matched(client: Client, bank: ParsedBank) -> None:
    html = results_of(client, "attention")

    found = hits(html)
    assert len(found) > 10
    for hit in found:
        (snippet,) = find_all(hit, "p", cls="snippet")
        assert find_all(snippet, "mark"), snippet.words


# Same results everywhere: these lists hold on SQLite and on PostgreSQL ---------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kv cache", [105, 120]),
        ("RAG", [121, 122, 41]),
        ("LoRA", [33, 190, 34, 8, 21]),
        ("LoRA quantization", [190]),
        ("ControlNet", [3]),
        ("Naïve Bayes", []),
    ],
)
def test_the_ranking_is_exact(bank: ParsedBank, query: str, expected: list[int]) -> None:
    assert numbers_found(query) == expected


def test_title_matches_rank_before_any_answer(bank: ParsedBank) -> None:
    found = search.search("attention", within=Question.objects.active())

    in_title = ["attention" in hit.question.title.casefold() for hit in found.hits]
    assert in_title == sorted(in_title, reverse=True)
    assert in_title[0] and not in_title[-1]


# Snippets ----------------------------------------------------------------------------------


def test_the_snippet_escapes_markup(client: Client, db: None) -> None:
    make_question(7, answer="Caching helps. <script>alert(1)</script> More words follow here.")

    html = results_of(client, "cache")

    (hit,) = hits(html)
    assert "<script>" not in html.split('id="results"')[1]
    (snippet,) = find_all(hit, "p", cls="snippet")
    assert "<script>alert(1)</script>" in snippet.words  # shown as text, inert
    assert not find_all(snippet, "script")


def test_a_long_text_is_cut_around_the_match(db: None) -> None:
    text = " ".join(f"word{index}" for index in range(100)) + " ControlNet " + "tail " * 50

    snippet = search.snippet(text, {"controlnet"})

    assert snippet.startswith("… ")
    assert snippet.endswith(" …")
    assert "<mark>ControlNet</mark>" in snippet
    assert "word0 " not in snippet
    assert len(snippet.split()) <= search.SNIPPET_WORDS + 3


def test_a_title_only_match_shows_the_answers_start(client: Client, db: None) -> None:
    make_question(7, title="What is sharding?", answer="Splitting a table across machines.")

    (hit,) = hits(results_of(client, "sharding"))

    (snippet,) = find_all(hit, "p", cls="snippet")
    assert snippet.words == "Answer: Splitting a table across machines."


# Queries without results -------------------------------------------------------------------


def test_only_common_words_are_not_searched(client: Client, bank: ParsedBank) -> None:
    html = results_of(client, "what is the")

    assert listed_numbers(html) == []
    (empty,) = find_all(html, "p", cls="empty")
    assert "only very common words" in empty.words


def test_known_words_never_together_get_no_suggestion(client: Client, bank: ParsedBank) -> None:
    html = results_of(client, "ControlNet quantization")

    assert find_all(html, "p", cls="suggestion") == []
    (empty,) = find_all(html, "p", cls="empty")
    assert "No question mentions every word" in empty.words


def test_the_suggestion_keeps_the_known_words_and_the_category(
    client: Client, bank: ParsedBank
) -> None:
    html = results_of(client, "halucination detection", category="ethics-and-safety")

    (suggestion,) = find_all(html, "p", cls="suggestion")
    assert suggestion.words == "Did you mean hallucination detection?"
    link = find_all(suggestion, "a")[0].attrs["href"]
    assert link == f"{LIST_URL}?q=hallucination%20detection&category=ethics-and-safety"


def test_nothing_close_suggests_nothing(bank: ParsedBank) -> None:
    results = search.search("sourdough", within=Question.objects.active())

    assert (results.hits, results.suggestion) == ([], "")


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("kitten", "sitting", 3), ("hallucinaton", "hallucination", 1), ("rag", "rag", 0)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert search.edit_distance(a, b, 5) == distance
    # Past the limit it stops early and says only "more than the limit".
    assert search.edit_distance(a, b, 0) == min(distance, 1)


def test_a_search_without_results_keeps_the_budget(
    client: Client,
    bank: ParsedBank,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    count_queries(client, f"{LIST_URL}?q=hallucinaton", django_assert_max_num_queries, LIST_BUDGET)


# The index follows every write -------------------------------------------------------------


def test_saving_a_question_reindexes_it(db: None) -> None:
    question = make_question(7, answer="About tokenizers.")
    assert numbers_found("tokenizer") == [7]

    question.answer = "About embeddings."
    question.save()

    assert numbers_found("tokenizer") == []
    assert numbers_found("embedding") == [7]


def test_scenarios_and_key_points_are_searched_and_follow_edits(db: None) -> None:
    question = make_question(7)
    scenario = Scenario.objects.create(
        question=question, label="7.1", prompt="A team ships a chatbot.", answer="Use guardrails."
    )
    KeyPoint.objects.create(scenario=scenario, position=0, text="Mention red teaming.")
    give_key_points(question, "Speculative decoding drafts tokens.")

    assert numbers_found("chatbot") == [7]
    assert numbers_found("guardrails") == [7]
    assert numbers_found("red teaming") == [7]
    assert numbers_found("speculative") == [7]

    scenario.delete()

    assert numbers_found("chatbot") == []
    assert numbers_found("red teaming") == []
    assert numbers_found("speculative") == [7]


def test_deleting_a_question_takes_its_index_with_it(db: None) -> None:
    question = make_question(7, answer="About tokenizers.")
    scenario = Scenario.objects.create(question=question, label="7.1", prompt="P", answer="A")
    KeyPoint.objects.create(scenario=scenario, position=0, text="Tokenizers split words.")

    question.delete()

    assert SearchDocument.objects.count() == 0
    assert SearchTerm.objects.count() == 0


def test_a_retired_question_is_not_found(bank: ParsedBank) -> None:
    Question.objects.filter(number=3).update(is_active=False)

    assert numbers_found("ControlNet") == []


def test_the_import_indexes_what_it_writes(bank: ParsedBank, parsed_bank: ParsedBank) -> None:
    documents = SearchDocument.objects.count()
    # Title, answer and key points of each question; prompt, answer and key points of each
    # scenario.
    assert documents == 3 * len(parsed_bank.questions) + 3 * parsed_bank.scenario_count

    import_bank(parsed_bank)  # unchanged: nothing to reindex

    assert SearchDocument.objects.count() == documents


def test_a_dry_run_import_leaves_the_index_alone(parsed_bank: ParsedBank, db: None) -> None:
    import_bank(parsed_bank, dry_run=True)

    assert SearchDocument.objects.count() == 0


def test_the_rebuild_command_gives_back_the_same_index(bank: ParsedBank) -> None:
    before = sorted(SearchTerm.objects.values_list("document__question_id", "stem", "count"))
    SearchTerm.objects.all().delete()

    call_command("rebuild_search_index", verbosity=0)

    after = sorted(SearchTerm.objects.values_list("document__question_id", "stem", "count"))
    assert after == before


def test_a_word_too_long_to_be_one_is_left_out(db: None) -> None:
    # 40 "ß" fold to 80 letters: past the index's column, on PostgreSQL an error if stored.
    make_question(7, answer=f"Normal words and {'ß' * 40} and ﬁne.")

    assert numbers_found("normal") == [7]
    assert SearchTerm.objects.filter(word__startswith="ss").count() == 0
