"""Moving the question bank between its Markdown/JSON form and the database."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery

from questions.bank import DEFAULT_TITLE, ParsedBank, ParsedQuestion, ParsedScenario
from questions.models import Category, Question, Scenario, category_slug


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
    # Numbers whose answer an editor changed since the last import, kept as the editor wrote it.
    conflicts: list[int] = field(default_factory=list)


IMPORT_REASON = "Imported from"


def import_bank(
    bank: ParsedBank,
    *,
    dry_run: bool = False,
    overwrite_edited: bool = False,
    source: str = "bank file",
) -> ImportReport:
    """Create or update every question of `bank`, all or nothing.

    Idempotent: a question whose fields and scenarios already match is not written at all, so
    its `updated_at` stays put. An answer an editor changed since the last import is kept (and
    reported) unless `overwrite_edited`. With `dry_run` the work is done and then rolled back.
    Every write is recorded in the bank's history with the reason "Imported from <source>".
    """
    report = ImportReport()
    reason = f"{IMPORT_REASON} {source}"
    with transaction.atomic():
        categories = _sync_categories(bank, report, reason)
        last_imported = Question.history.filter(
            id=OuterRef("pk"), history_change_reason__startswith=IMPORT_REASON
        ).order_by("-history_date", "-history_id")
        existing = {
            question.number: question
            for question in Question.objects.select_for_update(of=("self",))
            .annotate(last_imported_answer=Subquery(last_imported.values("answer")[:1]))
            .prefetch_related("scenarios")
        }
        for parsed in bank.questions:
            category = categories[parsed.category]
            question = existing.get(parsed.number)
            if question is None:
                question = Question(
                    number=parsed.number,
                    category=category,
                    title=parsed.title,
                    answer=parsed.answer,
                )
                question._change_reason = reason
                question.save()
                _sync_scenarios(question, parsed.scenarios, [], report, reason)
                report.created += 1
                continue
            edited_since_import = question.answer != question.last_imported_answer
            if question.answer != parsed.answer and edited_since_import and not overwrite_edited:
                report.conflicts.append(parsed.number)
                parsed = dataclasses.replace(parsed, answer=question.answer)
            fields_changed = _update_fields(question, parsed, category, reason)
            scenarios_changed = _sync_scenarios(
                question, parsed.scenarios, list(question.scenarios.all()), report, reason
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


def _sync_categories(bank: ParsedBank, report: ImportReport, reason: str) -> dict[str, Category]:
    by_name = {category.name: category for category in Category.objects.all()}
    for position, name in enumerate(bank.categories):
        category = by_name.get(name)
        if category is None:
            category = by_name[name] = Category(
                name=name, slug=category_slug(name), position=position
            )
            category._change_reason = reason
            category.save()
            report.categories_created += 1
        elif category.position != position:
            category.position = position
            category._change_reason = reason
            category.save(update_fields=["position"])
    return by_name


def _update_fields(
    question: Question, parsed: ParsedQuestion, category: Category, reason: str
) -> bool:
    wanted = {"category_id": category.pk, "title": parsed.title, "answer": parsed.answer}
    changed = [name for name, value in wanted.items() if getattr(question, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(question, name, wanted[name])
    question._change_reason = reason
    question.save()
    return True


def _sync_scenarios(
    question: Question,
    parsed: tuple[ParsedScenario, ...],
    current: list[Scenario],
    report: ImportReport,
    reason: str,
) -> bool:
    by_label = {scenario.label: scenario for scenario in current}
    changed = False
    for position, item in enumerate(parsed):
        scenario = by_label.pop(item.label, None)
        wanted = {"prompt": item.prompt, "answer": item.answer, "position": position}
        if scenario is None:
            scenario = Scenario(question=question, label=item.label, **wanted)
        elif any(getattr(scenario, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(scenario, name, value)
        else:
            continue
        scenario._change_reason = reason
        scenario.save()
        report.scenarios_written += 1
        changed = True
    for stale in by_label.values():
        stale._change_reason = reason
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
