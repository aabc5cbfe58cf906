from __future__ import annotations

import collections
from pathlib import Path

import pytest

from questions.bank import (
    BUNDLED_BANK,
    BankFormatError,
    ParsedBank,
    ParsedQuestion,
    ParsedScenario,
    parse_bank,
    read_bank,
    render_bank,
)

EXPECTED_CATEGORIES = (
    "Fundamentals and Basics",
    "Transformer Architecture",
    "Large Language Models (LLMs)",
    "Training and Fine-tuning",
    "Prompt Engineering",
    "Text Generation",
    "Image Generation",
    "Multimodal Models",
    "Evaluation Metrics",
    "Ethics and Safety",
    "Optimization and Inference",
    "Architectures and Models",
    "Advanced Topics (121-200)",
)
EXPECTED_SCENARIO_LABELS = [
    "1.1", "2.1", "3.1", "4.1", "5.1", "6.1", "7.1", "8.1", "9.1", "10.1", "11.1", "12.1",
    "13.1", "21.1", "41.1", "47.1", "61.1", "62.1", "91.1", "101.1", "121.1", "125.1",
    "132.1", "200.1",
]  # fmt: skip


def lines(*rows: str) -> str:
    """A bank text written one line per argument, so line numbers can be counted."""
    return "\n".join(rows) + "\n"


def parse_error(text: str) -> BankFormatError:
    with pytest.raises(BankFormatError) as caught:
        parse_bank(text)
    return caught.value


def all_text(bank: ParsedBank) -> str:
    parts = [bank.title, *bank.categories]
    for question in bank.questions:
        parts += [question.title, question.answer]
        for scenario in question.scenarios:
            parts += [scenario.label, scenario.prompt, scenario.answer]
    return "\n".join(parts)


def question(bank: ParsedBank, number: int) -> ParsedQuestion:
    (found,) = [item for item in bank.questions if item.number == number]
    return found


# The bundled bank


def test_it_reads_200_questions_numbered_1_to_200(parsed_bank: ParsedBank) -> None:
    assert [item.number for item in parsed_bank.questions] == list(range(1, 201))


def test_it_reads_the_bank_title(parsed_bank: ParsedBank) -> None:
    assert parsed_bank.title == "200 Generative AI Interview Questions and Answers"


def test_it_reads_13_categories_in_file_order(parsed_bank: ParsedBank) -> None:
    assert parsed_bank.categories == EXPECTED_CATEGORIES


def test_it_files_each_question_under_its_heading_category(parsed_bank: ParsedBank) -> None:
    by_category = collections.defaultdict(list)
    for item in parsed_bank.questions:
        by_category[item.category].append(item.number)
    for index, name in enumerate(EXPECTED_CATEGORIES[:12]):
        assert by_category[name] == list(range(index * 10 + 1, index * 10 + 11)), name
    assert by_category["Advanced Topics (121-200)"] == list(range(121, 201))


def test_it_reads_24_scenarios_labelled_after_their_question(parsed_bank: ParsedBank) -> None:
    labels = [s.label for item in parsed_bank.questions for s in item.scenarios]
    assert labels == EXPECTED_SCENARIO_LABELS
    assert parsed_bank.scenario_count == 24
    for item in parsed_bank.questions:
        for scenario in item.scenarios:
            assert scenario.label.split(".")[0] == str(item.number)
            assert scenario.prompt and scenario.answer


def test_it_keeps_scenarios_apart_from_their_question(parsed_bank: ParsedBank) -> None:
    first = question(parsed_bank, 1)
    assert "Scenario" not in first.answer
    (scenario,) = first.scenarios
    assert scenario.prompt.startswith("A marketing team wants to generate product descriptions")
    assert scenario.prompt.endswith("How would you use generative AI to solve this problem?")
    assert scenario.answer.startswith("You could use few-shot prompting")
    assert scenario.answer.endswith("before full deployment.")
    assert "**" not in scenario.prompt + scenario.answer


def test_it_keeps_blank_lines_inside_a_multi_paragraph_answer(parsed_bank: ParsedBank) -> None:
    answer = question(parsed_bank, 1).answer
    paragraphs = answer.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("Generative AI is a subset of artificial intelligence")
    assert paragraphs[1].startswith("The core principle of generative AI")
    assert paragraphs[2].startswith("Real-world applications include ChatGPT")
    assert paragraphs[2].endswith("accessible to developers and end-users alike.")
    assert all("\n" not in paragraph for paragraph in paragraphs)


def test_it_keeps_a_bullet_list_that_follows_a_line_directly(parsed_bank: ParsedBank) -> None:
    assert question(parsed_bank, 24).answer == (
        "Scaling laws describe how model performance improves with:\n"
        "- Model size (parameters)\n"
        "- Dataset size\n"
        "- Compute budget\n"
        "Generally, performance scales predictably with these factors following power laws."
    )


def test_it_keeps_a_numbered_list(parsed_bank: ParsedBank) -> None:
    assert question(parsed_bank, 32).answer == (
        "RLHF is a training method that uses human feedback to align model outputs with human "
        "preferences. It involves:\n"
        "1. Supervised fine-tuning\n"
        "2. Training a reward model from human comparisons\n"
        "3. Optimizing the policy using RL (e.g., PPO) to maximize the reward"
    )


def test_it_keeps_unicode_intact(parsed_bank: ParsedBank) -> None:
    assert question(parsed_bank, 16).answer.endswith("LN(x) = γ * (x - μ) / √(σ² + ε) + β.")
    assert "softmax(QK^T / √d_k) V" in question(parsed_bank, 12).answer
    assert question(parsed_bank, 20).answer.startswith("Self-attention has O(n²d) time complexity")
    assert "(length + α) / (1 + α)^β" in question(parsed_bank, 55).answer
    assert "set to -∞ before applying softmax" in question(parsed_bank, 18).answer
    assert "(input text → positive/negative label)" in question(parsed_bank, 9).answer
    assert "discriminative by design—they find decision boundaries" in (
        question(parsed_bank, 2).answer
    )
    assert question(parsed_bank, 85).title == "What is FID (Fréchet Inception Distance)?"


def test_it_loses_no_non_ascii_character_of_the_file(parsed_bank: ParsedBank) -> None:
    def non_ascii(text: str) -> collections.Counter[str]:
        return collections.Counter(char for char in text if ord(char) > 127)

    in_file = non_ascii(BUNDLED_BANK.read_text(encoding="utf-8"))
    assert in_file["—"] == 46 and in_file["²"] == 5 and in_file["√"] == 3
    assert non_ascii(all_text(parsed_bank)) == in_file


def test_it_skips_the_table_of_contents(parsed_bank: ParsedBank) -> None:
    assert "Table of Contents" not in parsed_bank.categories
    # The file's contents list stops at 12 entries: categories come from the headings alone.
    assert len(parsed_bank.categories) == 13
    assert "](#" not in all_text(parsed_bank)


def test_it_leaves_category_separators_out_of_answers(parsed_bank: ParsedBank) -> None:
    texts = [item.answer for item in parsed_bank.questions]
    texts += [s.answer for item in parsed_bank.questions for s in item.scenarios]
    assert not [text for text in texts if "---" in text]
    # Question 30 is the last of its category, right before a `---` line.
    assert question(parsed_bank, 30).answer.endswith(
        "improving zero-shot and few-shot performance."
    )
    assert question(parsed_bank, 10).scenarios[0].answer.endswith(".")


def test_it_strips_no_inner_text_and_trims_surrounding_blank_lines(
    parsed_bank: ParsedBank,
) -> None:
    for item in parsed_bank.questions:
        for text in [item.answer, *(s.prompt for s in item.scenarios)]:
            assert text == text.strip(), item.number
            assert "\n\n\n" not in text, item.number


def test_render_then_parse_gives_back_the_same_bank(parsed_bank: ParsedBank) -> None:
    assert parse_bank(render_bank(parsed_bank)) == parsed_bank


def test_render_then_parse_keeps_tricky_answers() -> None:
    bank = ParsedBank(
        title="Tricky",
        categories=("One", "Two (1-2)"),
        questions=(
            ParsedQuestion(
                number=1,
                category="One",
                title="Rules and spaces?",
                answer="Above a rule\n\n---\n\nbelow it,  \ntrailing spaces kept\n\n\n---",
                scenarios=(
                    ParsedScenario(label="1.1", prompt="Why?\n- because", answer="So.\n\n1. one"),
                    ParsedScenario(label="1.2", prompt="And?", answer="Ça marche — √2."),
                ),
            ),
            ParsedQuestion(number=2, category="Two (1-2)", title="Last?", answer="    code"),
        ),
    )
    assert parse_bank(render_bank(bank)) == bank


# Small banks that parse


def test_it_keeps_a_rule_inside_an_answer_when_no_category_follows() -> None:
    bank = parse_bank(
        lines(
            "## Cat",
            "### 1. Q?",
            "**Answer:** above",
            "---",
            "below",
            "",
            "---",
            "",
            "## Next",
            "### 2. R?",
            "**Answer:** two",
        )
    )
    assert bank.questions[0].answer == "above\n---\nbelow"
    assert bank.categories == ("Cat", "Next")


def test_it_ignores_anything_inside_the_table_of_contents() -> None:
    bank = parse_bank(
        lines(
            "# My bank",
            "## Table of Contents",
            "1. [Cat](#cat)",
            "stray words that would be an error elsewhere",
            "---",
            "## Cat",
            "### 1. Q?",
            "**Answer:** A.",
        )
    )
    assert bank == ParsedBank(
        title="My bank",
        categories=("Cat",),
        questions=(ParsedQuestion(number=1, category="Cat", title="Q?", answer="A."),),
    )


def test_it_trims_blank_lines_around_an_answer_that_starts_on_the_next_line() -> None:
    bank = parse_bank(
        lines("## Cat", "### 1. Q?", "**Answer:**", "", "  ", "Text.", "", "More.", "")
    )
    assert bank.questions[0].answer == "Text.\n\nMore."


def test_it_reads_windows_line_endings() -> None:
    bank = parse_bank("## Cat\r\n### 1. Q?\r\n**Answer:** one\r\n\r\ntwo\r\n")
    assert bank.questions[0].answer == "one\n\ntwo"


# Errors, each naming the line of the problem


def test_it_rejects_duplicate_numbers() -> None:
    error = parse_error(
        lines(
            "## Cat",  # 1
            "### 1. First?",  # 2
            "**Answer:** one",  # 3
            "",  # 4
            "### 2. Second?",  # 5
            "**Answer:** two",  # 6
            "",  # 7
            "### 1. Again?",  # 8
            "**Answer:** three",  # 9
        )
    )
    assert error.line == 8
    assert error.message == "duplicate question number 1 (first used on line 2)"
    assert str(error) == "line 8: duplicate question number 1 (first used on line 2)"


def test_it_rejects_a_question_with_no_answer() -> None:
    error = parse_error(
        lines(
            "## Cat",  # 1
            "### 1. First?",  # 2
            "**Answer:** one",  # 3
            "### 2. Unanswered?",  # 4
            "",  # 5
            "### 3. Third?",  # 6
            "**Answer:** three",  # 7
        )
    )
    assert error.line == 4
    assert error.message == "question 2 has no answer"


def test_it_rejects_a_blank_answer_on_the_last_question() -> None:
    error = parse_error(lines("## Cat", "### 1. Q?", "**Answer:**   ", "", ""))
    assert (error.line, error.message) == (2, "question 1 has no answer")


def test_it_rejects_a_scenario_answer_without_its_question() -> None:
    error = parse_error(
        lines(
            "## Cat",  # 1
            "### 1. First?",  # 2
            "**Answer:** one",  # 3
            "",  # 4
            "**Scenario Answer 1.1:** orphan",  # 5
        )
    )
    assert error.line == 5
    assert error.message == "scenario answer 1.1 without its scenario question"


def test_it_rejects_a_scenario_answer_with_another_label() -> None:
    error = parse_error(
        lines(
            "## Cat",  # 1
            "### 1. First?",  # 2
            "**Answer:** one",  # 3
            "**Scenario Question 1.1:** what?",  # 4
            "**Scenario Answer 1.2:** this",  # 5
        )
    )
    assert (error.line, error.message) == (5, "scenario answer 1.2 without its scenario question")


def test_it_rejects_a_scenario_question_without_answer_at_the_end() -> None:
    error = parse_error(
        lines(
            "## Cat",  # 1
            "### 1. First?",  # 2
            "**Answer:** one",  # 3
            "",  # 4
            "**Scenario Question 1.1:** what then?",  # 5
            "",  # 6
            "### 2. Second?",  # 7
            "**Answer:** two",  # 8
        )
    )
    assert error.line == 5
    assert error.message == "scenario question 1.1 has no Scenario Answer"


def test_it_rejects_a_scenario_question_without_answer_before_the_next() -> None:
    error = parse_error(
        lines(
            "## Cat",  # 1
            "### 1. First?",  # 2
            "**Answer:** one",  # 3
            "**Scenario Question 1.1:** what then?",  # 4
            "**Scenario Question 1.2:** and now?",  # 5
            "**Scenario Answer 1.2:** this",  # 6
        )
    )
    assert error.line == 4
    assert error.message == "scenario question 1.1 has no Scenario Answer"


def test_it_rejects_a_scenario_labelled_for_another_question() -> None:
    error = parse_error(
        lines(
            "## Cat",  # 1
            "### 1. First?",  # 2
            "**Answer:** one",  # 3
            "### 2. Second?",  # 4
            "**Answer:** two",  # 5
            "**Scenario Question 1.1:** misplaced?",  # 6
            "**Scenario Answer 1.1:** yes",  # 7
        )
    )
    assert error.line == 6
    assert error.message == "scenario 1.1 does not belong to question 2"


def test_it_rejects_a_scenario_label_that_only_shares_a_prefix() -> None:
    error = parse_error(
        lines(
            "## Cat",
            "### 1. First?",
            "**Answer:** one",
            "**Scenario Question 10.1:** misplaced?",
            "**Scenario Answer 10.1:** yes",
        )
    )
    assert (error.line, error.message) == (4, "scenario 10.1 does not belong to question 1")


def test_it_rejects_text_before_any_category() -> None:
    error = parse_error(
        lines(
            "# Title",  # 1
            "",  # 2
            "Some introduction.",  # 3
            "## Cat",  # 4
            "### 1. First?",  # 5
            "**Answer:** one",  # 6
        )
    )
    assert error.line == 3
    assert error.message == "unexpected text outside any question's answer: 'Some introduction.'"


def test_it_rejects_a_question_before_any_category() -> None:
    error = parse_error(lines("# Title", "### 1. First?", "**Answer:** one", "## Cat"))
    assert error.line == 2
    assert error.message == "question 1 comes before any '## Category' heading"


def test_it_rejects_an_answer_before_any_question() -> None:
    error = parse_error(lines("## Cat", "", "**Answer:** one"))
    assert error.line == 3
    assert error.message == "**Answer:** is not under a '### N. Title' question heading"


def test_it_rejects_text_between_a_question_heading_and_its_answer() -> None:
    error = parse_error(lines("## Cat", "### 1. First?", "stray", "**Answer:** one"))
    assert (error.line, error.message) == (
        3,
        "unexpected text outside question 1's answer: 'stray'",
    )


def test_it_rejects_a_category_that_appears_twice() -> None:
    error = parse_error(
        lines("## Cat", "### 1. First?", "**Answer:** one", "## Cat", "### 2. Q?", "**Answer:** 2")
    )
    assert (error.line, error.message) == (4, "category 'Cat' appears twice")


def test_it_rejects_an_empty_file() -> None:
    error = parse_error("")
    assert error.line == 0
    assert error.message == "the file is empty"
    assert str(error) == "the file is empty"


def test_it_rejects_a_whitespace_only_file() -> None:
    error = parse_error(" \n\t\n\r\n   \n")
    assert (error.line, str(error)) == (0, "the file is empty")


def test_it_rejects_a_file_without_questions() -> None:
    error = parse_error(lines("# Title", "## Cat"))
    assert error.line == 0
    assert error.message == "no questions found (expected '### 1. Title' headings)"


# Reading files


def test_read_bank_names_the_line_of_a_non_utf8_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    text = lines("## Cat", "### 1. Café?", "**Answer:** crème brûlée")
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(BankFormatError) as caught:
        read_bank(path)
    offset = len(b"## Cat\n### 1. Caf")
    assert caught.value.line == 2
    assert caught.value.message == (f"the file is not valid UTF-8 (byte 0xe9 at offset {offset})")


def test_read_bank_accepts_a_utf8_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(lines("# Título", "## Cat", "### 1. Q?", "**Answer:** √").encode("utf-8-sig"))
    bank = read_bank(path)
    assert bank.title == "Título"
    assert bank.questions[0].answer == "√"
