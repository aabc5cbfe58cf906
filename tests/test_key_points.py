"""Key points: derived from the bank's answers, carried by its file, ticked on reveal, kept."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from questions.bank import BankFormatError, ParsedBank, parse_bank
from questions.importing import import_bank
from questions.keypoints import derive_key_points, highlight, mentions, terms_needed
from questions.models import KeyPoint, Question, Scenario
from sessions import services
from sessions.export import CSV_HEADER
from sessions.models import InterviewSession, ItemKeyPoint
from sessions.scoring import Grade, suggested_grade
from tests.cast import (
    HTMX,
    T0,
    give_key_points,
    html,
    item_url,
    logged_in,
    make_other_user,
    make_question,
    reveal_current,
    start_interview,
    state,
    summary_url,
)
from tests.dom import parse

pytestmark = pytest.mark.django_db

KV_POINTS = (
    "KV caching stores the key and value matrices of previous tokens.",
    "It avoids recomputing attention for past tokens.",
    "Memory grows with sequence length and batch size.",
    "Paged attention (vLLM) manages that memory in blocks.",
)


def bank_text(*answer_lines: str, scenario: tuple[str, ...] = ()) -> str:
    lines = ["# Bank", "", "## Basics", "", "### 1. What is KV caching?", *answer_lines]
    return "\n".join([*lines, "", *scenario, ""])


def import_text(text: str, **options: Any) -> Any:
    return import_bank(parse_bank(text), **options)


def points_of(owner: Question | Scenario) -> list[str]:
    return list(owner.key_points.values_list("text", flat=True))


# The derivation rule, on the shapes the bundled bank has ------------------------------------


class TestDerivation:
    def test_three_paragraphs_give_the_first_sentence_of_each(
        self, parsed_bank: ParsedBank
    ) -> None:
        question_1 = parsed_bank.questions[0]
        assert question_1.answer.count("\n\n") == 2
        assert derive_key_points(question_1.answer) == [
            "Generative AI is a subset of artificial intelligence that focuses on creating new "
            "content, such as text, images, audio, video, or code.",
            "The core principle of generative AI is to model the probability distribution of "
            "training data, allowing the system to sample new instances that share statistical "
            "properties with the original dataset.",
            "Real-world applications include ChatGPT for conversational AI, DALL-E for image "
            "generation, GitHub Copilot for code assistance, and various music generation tools.",
        ]

    def test_a_one_paragraph_answer_gives_its_sentences(self, parsed_bank: ParsedBank) -> None:
        kv = next(question for question in parsed_bank.questions if question.number == 105)
        assert derive_key_points(kv.answer) == [
            "KV (key-value) caching stores computed key and value matrices from previous tokens "
            "during autoregressive generation.",
            "This avoids recomputing attention for past tokens, significantly speeding up "
            "generation.",
        ]

    def test_a_list_gives_one_point_per_item(self, parsed_bank: ParsedBank) -> None:
        by_number = {question.number: question for question in parsed_bank.questions}
        assert derive_key_points(by_number[24].answer) == [
            "Model size (parameters)",
            "Dataset size",
            "Compute budget",
        ]
        assert derive_key_points(by_number[32].answer) == [
            "Supervised fine-tuning",
            "Training a reward model from human comparisons",
            "Optimizing the policy using RL (e.g., PPO) to maximize the reward",
        ]

    def test_one_paragraph_yields_at_most_five_sentences(self) -> None:
        answer = " ".join(f"Sentence number {word} is here." for word in "abcdefg")
        assert derive_key_points(answer) == [f"Sentence number {word} is here." for word in "abcde"]

    def test_abbreviations_and_decimals_do_not_split_a_sentence(self) -> None:
        answer = "It is 2.5x faster vs. a baseline, e.g. on GPUs. It costs less."
        assert derive_key_points(answer) == [
            "It is 2.5x faster vs. a baseline, e.g. on GPUs.",
            "It costs less.",
        ]

    def test_markdown_marks_are_dropped_and_long_points_cut_at_a_word(self) -> None:
        long_item = "word " * 60
        answer = f"Intro:\n- **Bold** and `code` and [a link](https://example.com)\n- {long_item}"
        first, second = derive_key_points(answer)
        assert first == "Bold and code and a link"
        assert len(second) <= 200 and second.endswith("word…")

    def test_every_answer_of_the_bundled_bank_gets_one_to_six_points(
        self, parsed_bank: ParsedBank
    ) -> None:
        answers = [question.answer for question in parsed_bank.questions] + [
            scenario.answer for question in parsed_bank.questions for scenario in question.scenarios
        ]
        assert len(answers) == 224
        sizes = [len(derive_key_points(answer)) for answer in answers]
        assert min(sizes) >= 1 and max(sizes) <= 6
        points = [point for answer in answers for point in derive_key_points(answer)]
        assert all(0 < len(point) <= 200 for point in points)


# Matching the notes --------------------------------------------------------------------------


class TestMatching:
    def test_stemming_matches_other_forms_of_a_word(self) -> None:
        (found,) = mentions(["Caching keys and values"], "the cache stores each key and value")
        assert found.mentioned
        assert {"cach", "key", "valu"} <= found.matched

    def test_rag_does_not_match_averaging(self) -> None:
        (found,) = mentions(["RAG retrieves documents"], "weight averaging")
        assert not found.mentioned and found.matched == frozenset()

    def test_case_and_accents_are_normalised(self) -> None:
        (found,) = mentions(["Naïve Bayes classifiers"], "NAIVE bayes")
        assert found.mentioned

    def test_stop_words_alone_never_mention_a_point(self) -> None:
        (found,) = mentions(["The model is used for it"], "the model is used for it")
        assert not found.mentioned

    def test_half_the_terms_mention_a_short_point_three_a_long_one(self) -> None:
        assert [terms_needed(size) for size in (1, 2, 4, 5, 11)] == [1, 1, 2, 3, 3]
        assert mentions(["Compute budget"], "a fixed budget")[0].mentioned
        long = KV_POINTS[0]  # kv, cach, store, key, valu, matric, previous, token
        assert not mentions([long], "kv cache")[0].mentioned
        assert mentions([long], "kv cache of keys")[0].mentioned

    def test_the_questions_own_words_do_not_count(self) -> None:
        point = "The core principle of generative AI is modelling the data distribution."
        notes = "Generative AI learns a distribution."
        assert mentions([point], notes)[0].mentioned  # generat, ai, distribut: three terms
        (found,) = mentions([point], notes, topic="What is Generative AI?")
        assert not found.mentioned and found.matched == frozenset()

    def test_highlight_marks_matched_words_and_escapes_the_rest(self) -> None:
        marked = highlight("<b>Caches</b> & keys", {"cach"})
        assert marked == "&lt;b&gt;<mark>Caches</mark>&lt;/b&gt; &amp; keys"


def test_the_suggestion_rule() -> None:
    assert suggested_grade(0, 0) is None
    assert suggested_grade(0, 4) == Grade.MISSED
    assert suggested_grade(1, 4) == Grade.PARTIAL
    assert suggested_grade(2, 4) == Grade.SOLID
    assert suggested_grade(4, 4) == Grade.SOLID
    assert suggested_grade(1, 3) == Grade.PARTIAL
    assert suggested_grade(2, 3) == Grade.SOLID
    assert Grade.EXCELLENT not in {suggested_grade(covered, 5) for covered in range(6)}


# The import -----------------------------------------------------------------------------------


class TestImport:
    def test_it_fills_points_only_where_there_are_none(self) -> None:
        import_text(bank_text("**Answer:** One. Two."))
        question = Question.objects.get(number=1)
        assert points_of(question) == ["One.", "Two."]
        history = question.key_points.first().history.first()  # type: ignore[union-attr]
        assert history.history_change_reason == (
            "Imported from bank file (key points derived from the answer)"
        )

    def test_a_second_import_changes_nothing(self, tmp_path: Path) -> None:
        import_text(bank_text("**Answer:** One. Two."))
        before = list(KeyPoint.objects.values_list())
        history = KeyPoint.history.count()

        report = import_text(bank_text("**Answer:** One. Two."))

        assert (report.unchanged, report.key_points_written) == (1, 0)
        assert list(KeyPoint.objects.values_list()) == before
        assert KeyPoint.history.count() == history

    def test_the_files_points_replace_derived_ones(self) -> None:
        import_text(bank_text("**Answer:** One. Two."))
        report = import_text(bank_text("**Answer:** One. Two.", "", "**Key points:**", "- Uno"))
        assert report.updated == 1
        assert points_of(Question.objects.get(number=1)) == ["Uno"]

    def test_an_editors_points_are_kept_and_reported(self) -> None:
        import_text(bank_text("**Answer:** One.", "", "**Key points:**", "- From the file"))
        point = KeyPoint.objects.get()
        point.text = "Written by an editor"
        point._change_reason = "Sharper"
        point.save()

        report = import_text(bank_text("**Answer:** One.", "", "**Key points:**", "- Changed file"))

        assert report.key_point_conflicts == ["1"]
        assert points_of(Question.objects.get(number=1)) == ["Written by an editor"]
        overwritten = import_text(
            bank_text("**Answer:** One.", "", "**Key points:**", "- Changed file"),
            overwrite_edited=True,
        )
        assert overwritten.key_point_conflicts == []
        assert points_of(Question.objects.get(number=1)) == ["Changed file"]

    def test_editor_points_survive_an_import_without_points(self) -> None:
        import_text(bank_text("**Answer:** One. Two."))
        question = Question.objects.get(number=1)
        give_key_points(question, "An editor's point")
        import_text(bank_text("**Answer:** One. Two."))
        assert points_of(question) == ["An editor's point"]

    def test_scenario_points_are_read_and_derived(self) -> None:
        scenario = (
            "**Scenario Question 1.1:** A long chat?",
            "",
            "**Scenario Answer 1.1:** Page the cache. Evict old blocks.",
            "",
            "**Key points:**",
            "- Paged attention",
        )
        import_text(bank_text("**Answer:** One.", scenario=scenario))
        assert points_of(Scenario.objects.get(label="1.1")) == ["Paged attention"]
        assert points_of(Question.objects.get(number=1)) == ["One."]  # derived, and apart

    def test_the_bundled_bank_gives_every_answer_a_point(self, bank: ParsedBank) -> None:
        assert not Question.objects.filter(key_points__isnull=True).exists()
        assert not Scenario.objects.filter(key_points__isnull=True).exists()
        assert (
            KeyPoint.objects.filter(scenario__isnull=False).values("scenario").distinct().count()
            == 24
        )


class TestBadFiles:
    @pytest.mark.parametrize(
        ("lines", "line", "message"),
        [
            (["**Answer:** A.", "**Key points:**", "", "---"], 7, "is not followed by a '- point'"),
            (["**Answer:** A.", "**Key points:**", "- "], 8, "empty key point"),
            (["**Answer:** A.", "**Key points:**", "- " + "x" * 201], 8, "201 characters long"),
            (["**Answer:** A.", "**Key points:**", "- A", "stray text"], 9, "unexpected text"),
            (["**Key points:**", "- A", "**Answer:** A."], 6, "come before its answer"),
        ],
        ids=["no-list", "empty", "too-long", "stray-text", "before-answer"],
    )
    def test_the_parser_names_the_line(self, lines: list[str], line: int, message: str) -> None:
        with pytest.raises(BankFormatError) as caught:
            parse_bank(bank_text(*lines))
        assert caught.value.line == line
        assert message in caught.value.message

    def test_the_command_stops_and_changes_nothing(self, bank: ParsedBank, tmp_path: Path) -> None:
        before = list(KeyPoint.objects.order_by("pk").values_list())
        path = tmp_path / "bad.md"
        path.write_text(bank_text("**Answer:** A.", "**Key points:**", "- "), encoding="utf-8")
        with pytest.raises(CommandError) as caught:
            call_command("import_questions", str(path), stdout=io.StringIO())
        assert "line 8" in str(caught.value) and "empty key point" in str(caught.value)
        assert list(KeyPoint.objects.order_by("pk").values_list()) == before


# Snapshots and the checklist ------------------------------------------------------------------


@pytest.fixture
def kv_question(db: None) -> Question:
    question = make_question(1, title="What is KV caching?")
    give_key_points(question, *KV_POINTS)
    return question


@pytest.fixture
def kv_session(owner: User, kv_question: Question, clock: Any) -> InterviewSession:
    return start_interview(owner, [kv_question, make_question(2)])


def item_points(session: InterviewSession, position: int = 0) -> list[tuple[str, bool, bool]]:
    return list(
        ItemKeyPoint.objects.filter(item__session=session, item__position=position).values_list(
            "text", "mentioned", "covered"
        )
    )


class TestSnapshots:
    def test_an_item_keeps_the_points_it_showed_after_an_edit(
        self, kv_session: InterviewSession, kv_question: Question
    ) -> None:
        give_key_points(kv_question, "Rewritten by an editor")
        assert [text for text, *_ in item_points(kv_session)] == list(KV_POINTS)
        later = start_interview(kv_session.user, [kv_question], now=T0)
        assert [text for text, *_ in item_points(later)] == ["Rewritten by an editor"]

    def test_reveal_marks_and_pre_ticks_what_the_notes_mention(
        self, kv_session: InterviewSession
    ) -> None:
        reveal_current(
            kv_session, notes="The KV cache keeps keys and values: past tokens are not recomputed."
        )
        assert item_points(kv_session) == [
            (KV_POINTS[0], True, True),
            (KV_POINTS[1], True, True),
            (KV_POINTS[2], False, False),
            (KV_POINTS[3], False, False),
        ]


class TestTicking:
    def page(self, client: Client, session: InterviewSession) -> Any:
        return parse(html(client.get(item_url(session, 0))))

    def test_the_revealed_answer_lists_the_points_first_with_a_suggestion(
        self, owner_client: Client, kv_session: InterviewSession
    ) -> None:
        reveal_current(kv_session, notes="kv cache: keys and values of previous tokens")
        page = self.page(owner_client, kv_session)
        answer = page.find("section", cls="compare-answer")
        checklist = answer.find("fieldset", cls="key-points")
        boxes = checklist.find_all("input", type="checkbox")
        assert [box.attrs["value"] for box in boxes] == ["0", "1", "2", "3"]
        assert [box.attrs.get("data-tick-key") for box in boxes] == ["a", "b", "c", "d"]
        assert ["checked" in box.attrs for box in boxes] == [True, False, False, False]
        assert all(box.attrs["form"] == "grade-form" for box in boxes)
        mentioned = [label.words for label in checklist.find_all("span", cls="tag-mentioned")]
        assert mentioned == ["mentioned in your notes"]
        assert checklist.find("p", id_="key-point-suggestion").words == (
            "1 of 4 key points → Partial suggested"
        )
        # The checklist comes before the prose answer.
        kinds = [node.tag for node in answer.elements]
        assert kinds.index("fieldset") < kinds.index("details")
        marks = [mark.words for mark in page.find("div", cls="notes-text").find_all("mark")]
        # "kv cache" is the question's own topic: it does not count, so it is not marked.
        assert marks == ["keys", "values", "previous", "tokens"]

    def test_ticking_saves_and_answers_with_the_new_suggestion(
        self, owner_client: Client, kv_session: InterviewSession
    ) -> None:
        reveal_current(kv_session)
        response = owner_client.post(
            item_url(kv_session, 0, "key-points"), {"covered": ["0", "3"]}, **HTMX
        )
        assert parse(html(response)).find("p", id_="key-point-suggestion").words == (
            "2 of 4 key points → Solid suggested"
        )
        assert [covered for *_, covered in item_points(kv_session)] == [True, False, False, True]

        owner_client.post(item_url(kv_session, 0, "key-points"), {}, **HTMX)
        assert [covered for *_, covered in item_points(kv_session)] == [False] * 4

    @pytest.mark.parametrize(
        "covered",
        [["4"], ["-1"], ["x"], ["0", "99"]],
        ids=["past-end", "negative", "word", "mixed"],
    )
    def test_points_the_item_lacks_are_refused(
        self, owner_client: Client, kv_session: InterviewSession, covered: list[str]
    ) -> None:
        reveal_current(kv_session)
        before = state()
        response = owner_client.post(item_url(kv_session, 0, "key-points"), {"covered": covered})
        assert response.status_code == 400
        assert response.content.decode() in {
            "Those key points do not belong to this question.",
            "Key points are ticked by their number.",
        }
        assert state() == before

    def test_ticks_before_the_reveal_are_refused(
        self, owner_client: Client, kv_session: InterviewSession
    ) -> None:
        services.show_current_item(session=kv_session, now=T0)
        before = state()
        response = owner_client.post(item_url(kv_session, 0, "key-points"), {"covered": ["0"]})
        assert (response.status_code, response.content.decode()) == (
            409,
            "Reveal the model answer before ticking its key points.",
        )
        assert state() == before

    def test_ticks_after_the_grade_are_refused(
        self, owner_client: Client, kv_session: InterviewSession
    ) -> None:
        reveal_current(kv_session)
        services.grade_item(session=kv_session, position=0, grade=Grade.SOLID, now=T0)
        before = state()
        response = owner_client.post(item_url(kv_session, 0, "key-points"), {"covered": ["0"]})
        assert response.status_code == 409
        assert state() == before

    def test_another_users_ticks_are_404(self, kv_session: InterviewSession) -> None:
        reveal_current(kv_session)
        before = state()
        response = logged_in(make_other_user()).post(
            item_url(kv_session, 0, "key-points"), {"covered": ["0"]}
        )
        assert response.status_code == 404
        assert state() == before

    def test_the_grade_form_carries_the_ticks_without_javascript(
        self, owner_client: Client, kv_session: InterviewSession
    ) -> None:
        reveal_current(kv_session, notes="kv cache: keys and values")
        page = self.page(owner_client, kv_session)
        grade_form = page.find("form", id_="grade-form")
        assert grade_form.find("input", name="key_points_listed").attrs["value"] == "on"

        owner_client.post(
            item_url(kv_session, 0, "grade"),
            {"grade": "1", "key_points_listed": "on", "covered": ["1", "2"]},
        )

        assert [covered for *_, covered in item_points(kv_session)] == [False, True, True, False]
        assert kv_session.items.get(position=0).grade == Grade.PARTIAL

    def test_a_grade_with_a_foreign_point_records_nothing(
        self, owner_client: Client, kv_session: InterviewSession
    ) -> None:
        reveal_current(kv_session)
        before = state()
        response = owner_client.post(
            item_url(kv_session, 0, "grade"),
            {"grade": "2", "key_points_listed": "on", "covered": ["7"]},
            **HTMX,
        )
        assert response.status_code == 400
        assert "Those key points do not belong to this question." in html(response)
        assert state() == before


class TestSummaryAndExport:
    def test_the_summary_says_what_was_covered_and_missed(
        self, owner_client: Client, kv_session: InterviewSession
    ) -> None:
        reveal_current(kv_session)
        services.tick_key_points(session=kv_session, position=0, covered=[0, 1, 3])
        services.grade_item(session=kv_session, position=0, grade=Grade.SOLID, now=T0)
        reveal_current(kv_session)
        services.grade_item(session=kv_session, position=1, grade=Grade.MISSED, now=T0)

        page = parse(html(owner_client.get(summary_url(kv_session))))
        first = page.find("li", id_="item-0")
        assert first.find("p", cls="coverage-line").words == "Covered 3 of 4 key points"
        assert [point.words for point in first.find("ul", cls="coverage-missed").elements] == [
            KV_POINTS[2]
        ]
        assert not page.find("li", id_="item-1").find_all("div", cls="item-coverage")

    def test_the_csv_counts_points_and_ticks(
        self, owner_client: Client, kv_session: InterviewSession
    ) -> None:
        reveal_current(kv_session)
        services.tick_key_points(session=kv_session, position=0, covered=[2])
        services.grade_item(session=kv_session, position=0, grade=Grade.PARTIAL, now=T0)
        services.end_session(session=kv_session, now=T0)
        rows = list(
            csv.DictReader(
                io.StringIO(
                    b"".join(owner_client.get("/history/export.csv").streaming_content).decode()
                )
            )
        )
        assert {"key_points_total", "key_points_covered"} <= set(CSV_HEADER)
        assert [(row["key_points_total"], row["key_points_covered"]) for row in rows] == [
            ("4", "1"),
            ("0", ""),  # never revealed: no ticks to count
        ]


class TestRevealQueries:
    # The reveal: login session, user, the session read with its lock, the item (with its
    # category, question and follow-up), the reveal's UPDATE, its key points read and the
    # mentioned ones ticked in one UPDATE, the rendering's place and flag lookups (9), plus the
    # test's savepoint pair; however many points, for a question or a follow-up.
    REVEAL_BUDGET = 11
    NOTES = "kv cache keys values previous tokens recomputing attention past"

    def reveal_queries(
        self, client: Client, session: InterviewSession, budget: Any, position: int = 0
    ) -> int:
        with budget(self.REVEAL_BUDGET) as captured:
            response = client.post(
                item_url(session, position, "reveal"), {"notes": self.NOTES}, **HTMX
            )
        assert parse(html(response)).find_all("fieldset", cls="key-points")
        return len(captured)

    def test_the_reveal_costs_the_same_for_one_point_or_four(
        self, owner: User, owner_client: Client, clock: Any, django_assert_max_num_queries: Any
    ) -> None:
        one = make_question(1)
        give_key_points(one, KV_POINTS[0])
        four = make_question(2)
        give_key_points(four, *KV_POINTS)

        few = self.reveal_queries(
            owner_client, start_interview(owner, [one]), django_assert_max_num_queries
        )
        many = self.reveal_queries(
            owner_client, start_interview(owner, [four]), django_assert_max_num_queries
        )

        assert few == many
        assert ItemKeyPoint.objects.filter(mentioned=True).count() == 3  # 1 of 1, 2 of 4

    def test_a_follow_up_costs_the_same_as_a_question(
        self, owner: User, owner_client: Client, clock: Any, django_assert_max_num_queries: Any
    ) -> None:
        question = make_question(1)
        give_key_points(question, *KV_POINTS)
        scenario = Scenario.objects.create(
            question=question, label="1.1", prompt="A long chat?", answer="Page the cache."
        )
        KeyPoint.objects.create(scenario=scenario, position=0, text=KV_POINTS[0])
        session = start_interview(owner, [question], include_scenarios=True)

        asked = self.reveal_queries(owner_client, session, django_assert_max_num_queries)
        services.grade_item(session=session, position=0, grade=Grade.SOLID, now=T0)
        followed_up = self.reveal_queries(
            owner_client, session, django_assert_max_num_queries, position=1
        )

        assert asked == followed_up
        assert session.items.get(position=1).key_points.get().mentioned
