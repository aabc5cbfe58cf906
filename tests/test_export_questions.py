from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from questions.bank import ParsedBank, ParsedQuestion, parse_bank, read_bank, render_bank
from questions.importing import bank_as_json, bank_from_database
from questions.keypoints import derive_key_points
from questions.models import Category, KeyPoint, Question, Scenario
from tests.cast import with_derived_key_points


def export(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_questions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def stored_bank() -> tuple[list[tuple[Any, ...]], ...]:
    """Every field of the bank except primary keys and timestamps."""
    return (
        list(Category.objects.order_by("position").values_list("name", "slug", "position")),
        list(
            Question.objects.order_by("number").values_list(
                "number", "category__name", "title", "answer", "is_active"
            )
        ),
        list(
            Scenario.objects.order_by("question__number", "label").values_list(
                "question__number", "label", "prompt", "answer", "position"
            )
        ),
        list(
            KeyPoint.objects.order_by(
                "question__number", "scenario__label", "position"
            ).values_list("question__number", "scenario__label", "position", "text")
        ),
    )


def wipe() -> None:
    KeyPoint.objects.all().delete()
    Scenario.objects.all().delete()
    Question.objects.all().delete()
    Category.objects.all().delete()


def import_file(path: Path) -> str:
    out = io.StringIO()
    call_command("import_questions", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()


# JSON


def test_json_lists_every_question_in_number_order(bank: ParsedBank) -> None:
    out, _ = export("--format=json")
    data = json.loads(out)
    assert [item["number"] for item in data] == list(range(1, 201))
    assert {frozenset(item) for item in data} == {
        frozenset({"number", "category", "title", "answer", "key_points", "scenarios"})
    }


def test_json_holds_the_text_of_each_question(bank: ParsedBank) -> None:
    data = json.loads(export("--format=json")[0])
    for item, parsed in zip(data, bank.questions, strict=True):
        assert item == {
            "number": parsed.number,
            "category": parsed.category,
            "title": parsed.title,
            "answer": parsed.answer,
            "key_points": derive_key_points(parsed.answer),
            "scenarios": [
                {
                    "label": s.label,
                    "question": s.prompt,
                    "answer": s.answer,
                    "key_points": derive_key_points(s.answer),
                }
                for s in parsed.scenarios
            ],
        }


def test_json_scenarios_have_label_question_and_answer(bank: ParsedBank) -> None:
    data = json.loads(export("--format=json")[0])
    scenarios = [scenario for item in data for scenario in item["scenarios"]]
    assert len(scenarios) == 24
    assert {frozenset(scenario) for scenario in scenarios} == {
        frozenset({"label", "question", "answer", "key_points"})
    }
    first = data[0]["scenarios"][0]
    assert first["label"] == "1.1"
    assert first["question"].startswith("A marketing team wants to generate product descriptions")


def test_json_is_sorted_by_number_even_when_categories_are_not(bank: ParsedBank) -> None:
    last = Category.objects.get(name="Advanced Topics (121-200)")
    Question.objects.filter(number=1).update(category=last)
    data = json.loads(export("--format=json")[0])
    assert [item["number"] for item in data] == list(range(1, 201))
    assert data[0]["category"] == "Advanced Topics (121-200)"


def test_bank_as_json_sorts_a_bank_in_file_order_by_number() -> None:
    questions = tuple(
        ParsedQuestion(number=number, category=category, title=f"Q{number}?", answer="A.")
        for number, category in [(2, "One"), (3, "Two"), (1, "Two")]
    )
    data = bank_as_json(ParsedBank(title="T", categories=("One", "Two"), questions=questions))
    assert [(item["number"], item["category"]) for item in data] == [
        (1, "Two"),
        (2, "One"),
        (3, "Two"),
    ]


def test_json_keeps_unicode_unescaped(bank: ParsedBank) -> None:
    out, _ = export("--format=json")
    assert "LN(x) = γ * (x - μ) / √(σ² + ε) + β." in out
    assert "discriminative by design—they find decision boundaries" in out
    assert "Fréchet" in out
    assert "\\u" not in out


def test_json_goes_to_the_output_file(bank: ParsedBank, tmp_path: Path) -> None:
    path = tmp_path / "bank.json"
    out, err = export("--format=json", "--output", str(path))
    assert out == ""
    assert err == f"Wrote 200 questions to {path}.\n"
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(export("--format=json")[0])


# Markdown


def test_markdown_is_the_default_and_parses_back_to_the_bundled_bank(bank: ParsedBank) -> None:
    out, err = export()
    assert err == ""
    assert out == render_bank(bank_from_database())
    # The bundled bank lists no key points: the import derived them, the export writes them.
    assert parse_bank(out) == with_derived_key_points(bank)


def test_markdown_export_imports_back_into_an_empty_database(
    bank: ParsedBank, tmp_path: Path
) -> None:
    path = tmp_path / "export.md"
    _, err = export("--output", str(path))
    assert err == f"Wrote 200 questions to {path}.\n"
    before = stored_bank()
    assert [len(rows) for rows in before][:3] == [13, 200, 24]
    assert len(before[3]) >= 224  # every question and scenario has at least one key point

    wipe()
    assert stored_bank() == ([], [], [], [])
    out = import_file(path)

    assert out == "Imported export.md: 200 created, 0 updated, 0 unchanged.\n"
    assert stored_bank() == before


def test_markdown_export_keeps_an_editors_changes(bank: ParsedBank, tmp_path: Path) -> None:
    last = Category.objects.get(name="Advanced Topics (121-200)")
    Question.objects.filter(number=3).update(
        category=last,
        title="Moved — and retitled (√2)?",
        answer="First paragraph.\n\n---\n\n- a list\n- of two\nAfter it.  \n\n\n    code block",
    )
    Scenario.objects.filter(label="2.1").update(prompt="Line one\nline two", answer="1. a\n2. b")
    path = tmp_path / "export.md"
    export("--output", str(path))
    before = stored_bank()

    wipe()
    import_file(path)

    assert stored_bank() == before
    # Written under its new category, so the file's order is no longer the numbers' order.
    expected_order = [1, 2, *range(4, 121), 3, *range(121, 201)]
    assert [question.number for question in read_bank(path).questions] == expected_order


def test_a_second_import_of_an_export_changes_nothing(bank: ParsedBank, tmp_path: Path) -> None:
    path = tmp_path / "export.md"
    export("--output", str(path))
    assert import_file(path) == "Imported export.md: 0 created, 0 updated, 200 unchanged.\n"


# Errors


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_it_refuses_to_export_an_empty_bank(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / "out"
    with pytest.raises(CommandError) as caught:
        export(f"--format={fmt}", "--output", str(path))
    assert str(caught.value) == "The bank is empty: run `manage.py import_questions` first."
    assert not path.exists()


def test_it_reports_an_output_file_it_cannot_write(bank: ParsedBank, tmp_path: Path) -> None:
    path = tmp_path / "missing-directory" / "bank.md"
    with pytest.raises(CommandError) as caught:
        export("--output", str(path))
    assert str(caught.value) == f"{path}: cannot write (No such file or directory)"
    assert not path.parent.exists()
