"""Moving the question bank between its Markdown/JSON form and the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from questions.bank import DEFAULT_TITLE, ParsedBank, ParsedQuestion, ParsedScenario, category_slug
from questions.models import Category, Question, Scenario


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    categories_created: int = 0
    scenarios_written: int = 0
    scenarios_deleted: int = 0
    # Numbers in the database that the file does not mention; left as they are.
    not_in_file: list[int] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(
            self.created
            or self.updated
            or self.categories_created
            or self.scenarios_written
            or self.scenarios_deleted
        )


def import_bank(bank: ParsedBank, *, dry_run: bool = False) -> ImportReport:
    """Create or update every question of `bank`, all or nothing.

    Idempotent: a question whose fields and scenarios already match is not written at all, so
    its `updated_at` stays put. With `dry_run` the work is done and then rolled back.
    """
    report = ImportReport()
    with transaction.atomic():
        categories = _sync_categories(bank, report)
        existing = {
            question.number: question
            for question in Question.objects.select_for_update().prefetch_related("scenarios")
        }
        for parsed in bank.questions:
            category = categories[parsed.category]
            question = existing.get(parsed.number)
            if question is None:
                question = Question.objects.create(
                    number=parsed.number,
                    category=category,
                    title=parsed.title,
                    answer=parsed.answer,
                )
                _sync_scenarios(question, parsed.scenarios, [], report)
                report.created += 1
                continue
            fields_changed = _update_fields(question, parsed, category)
            scenarios_changed = _sync_scenarios(
                question, parsed.scenarios, list(question.scenarios.all()), report
            )
            if fields_changed or scenarios_changed:
                report.updated += 1
            else:
                report.unchanged += 1
        in_file = {parsed.number for parsed in bank.questions}
        report.not_in_file = sorted(set(existing) - in_file)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _sync_categories(bank: ParsedBank, report: ImportReport) -> dict[str, Category]:
    by_name = {category.name: category for category in Category.objects.all()}
    for position, name in enumerate(bank.categories):
        category = by_name.get(name)
        if category is None:
            by_name[name] = Category.objects.create(
                name=name, slug=category_slug(name), position=position
            )
            report.categories_created += 1
        elif category.position != position:
            category.position = position
            category.save(update_fields=["position"])
    return by_name


def _update_fields(question: Question, parsed: ParsedQuestion, category: Category) -> bool:
    wanted = {"category_id": category.pk, "title": parsed.title, "answer": parsed.answer}
    changed = [name for name, value in wanted.items() if getattr(question, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(question, name, wanted[name])
    question.save()
    return True


def _sync_scenarios(
    question: Question,
    parsed: tuple[ParsedScenario, ...],
    current: list[Scenario],
    report: ImportReport,
) -> bool:
    by_label = {scenario.label: scenario for scenario in current}
    changed = False
    for position, item in enumerate(parsed):
        scenario = by_label.pop(item.label, None)
        wanted = {"prompt": item.prompt, "answer": item.answer, "position": position}
        if scenario is None:
            Scenario.objects.create(question=question, label=item.label, **wanted)
        elif any(getattr(scenario, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(scenario, name, value)
            scenario.save()
        else:
            continue
        report.scenarios_written += 1
        changed = True
    for stale in by_label.values():
        stale.delete()
        report.scenarios_deleted += 1
        changed = True
    return changed


def bank_from_database() -> ParsedBank:
    """The whole bank as stored, in number order, ready to render or serialise."""
    questions = Question.objects.select_related("category").prefetch_related("scenarios")
    parsed = tuple(
        ParsedQuestion(
            number=question.number,
            category=question.category.name,
            title=question.title,
            answer=question.answer,
            scenarios=tuple(
                ParsedScenario(label=scenario.label, prompt=scenario.prompt, answer=scenario.answer)
                for scenario in question.scenarios.all()
            ),
        )
        for question in questions
    )
    return ParsedBank(
        title=f"{len(parsed)} {DEFAULT_TITLE}",
        categories=tuple(Category.objects.values_list("name", flat=True)),
        questions=parsed,
    )


def bank_as_json(bank: ParsedBank) -> list[dict[str, Any]]:
    return [
        {
            "number": question.number,
            "category": question.category,
            "title": question.title,
            "answer": question.answer,
            "scenarios": [
                {"label": scenario.label, "question": scenario.prompt, "answer": scenario.answer}
                for scenario in question.scenarios
            ],
        }
        for question in sorted(bank.questions, key=lambda question: question.number)
    ]
