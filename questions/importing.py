"""Moving the question bank between its Markdown/JSON form and the database."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast

from django.db import transaction
from django.db.models import OuterRef, Subquery

from questions.bank import DEFAULT_TITLE, ParsedBank, ParsedQuestion, ParsedScenario
from questions.models import Category, Question, Scenario, category_slug

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import WithAnnotations

Level = Literal["info", "warning", "success"]
# Numbers listed before "…": a small file imported into the full bank would list hundreds.
MAX_NUMBERS_LISTED = 20


@dataclass(frozen=True)
class ReportLine:
    text: str
    level: Level = "info"


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

    def lines(
        self, *, bank: ParsedBank, path: Path, dry_run: bool, verbosity: int
    ) -> list[ReportLine]:
        """What the import says: counts at verbosity 2, warnings and the summary from 1."""
        if verbosity < 1:
            return []
        lines = []
        if verbosity >= 2:
            lines += [
                ReportLine(
                    f"Read {len(bank.questions)} questions, {len(bank.categories)} categories "
                    f"and {bank.scenario_count} scenarios from {path}."
                ),
                ReportLine(
                    f"Categories created: {self.categories_created}; scenarios written: "
                    f"{self.scenarios_written}, removed: {self.scenarios_deleted}."
                ),
            ]
        if self.not_in_file:
            lines.append(self._not_in_file_line())
        if self.conflicts:
            lines.append(self._conflicts_line())
        summary = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if dry_run:
            lines.append(ReportLine(f"Dry run, nothing saved: {summary}.", "warning"))
        else:
            lines.append(ReportLine(f"Imported {path.name}: {summary}.", "success"))
        return lines

    def _not_in_file_line(self) -> ReportLine:
        numbers = ", ".join(map(str, self.not_in_file[:MAX_NUMBERS_LISTED]))
        more = " …" if len(self.not_in_file) > MAX_NUMBERS_LISTED else ""
        return ReportLine(
            f"{len(self.not_in_file)} question(s) in the database are not in the file and were "
            f"left as they are: {numbers}{more}",
            "warning",
        )

    def _conflicts_line(self) -> ReportLine:
        return ReportLine(
            f"{len(self.conflicts)} answer(s) were changed by an editor since the last import "
            f"and were kept: questions {', '.join(map(str, self.conflicts))}. "
            "Run again with --overwrite-edited to replace them with the file's text.",
            "warning",
        )


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
        existing = _questions_with_last_imported_answer()
        for parsed in bank.questions:
            category = categories[parsed.category]
            question = existing.get(parsed.number)
            if question is None:
                _create_question(parsed, category, report, reason)
                continue
            if _is_conflict(question, parsed) and not overwrite_edited:
                report.conflicts.append(parsed.number)
                parsed = dataclasses.replace(parsed, answer=question.answer)
            _update_question(question, parsed, category, report, reason)
        in_file = {parsed.number for parsed in bank.questions}
        report.not_in_file = sorted(set(existing) - in_file)
        if dry_run:
            transaction.set_rollback(True)
    return report


class _LastImport(TypedDict):
    last_imported_answer: str | None


def _questions_with_last_imported_answer() -> dict[int, WithAnnotations[Question, _LastImport]]:
    """Every question by number, locked, with the answer its latest import wrote."""
    last_imported = Question.history.filter(
        id=OuterRef("pk"), history_change_reason__startswith=IMPORT_REASON
    ).order_by("-history_date", "-history_id")
    questions = (
        Question.objects.select_for_update(of=("self",))
        .annotate(last_imported_answer=Subquery(last_imported.values("answer")[:1]))
        .prefetch_related("scenarios")
    )
    # QuestionQuerySet fixes its row type to Question, so django-stubs drops the annotation.
    annotated = cast("QuerySet[WithAnnotations[Question, _LastImport]]", questions)
    return {question.number: question for question in annotated}


def _is_conflict(question: WithAnnotations[Question, _LastImport], parsed: ParsedQuestion) -> bool:
    """The conflict rule: the file changes an answer an editor changed since the last import.

    Compared with the latest import, not the first, so a file imported again and again only
    conflicts with edits made since.
    """
    return question.answer != parsed.answer and question.answer != question.last_imported_answer


def _create_question(
    parsed: ParsedQuestion, category: Category, report: ImportReport, reason: str
) -> None:
    question = Question(
        number=parsed.number, category=category, title=parsed.title, answer=parsed.answer
    )
    question._change_reason = reason
    question.save()
    _sync_scenarios(question, parsed.scenarios, [], report, reason)
    report.created += 1


def _update_question(
    question: Question,
    parsed: ParsedQuestion,
    category: Category,
    report: ImportReport,
    reason: str,
) -> None:
    fields_changed = _update_fields(question, parsed, category, reason)
    scenarios_changed = _sync_scenarios(
        question, parsed.scenarios, list(question.scenarios.all()), report, reason
    )
    if fields_changed or scenarios_changed:
        report.updated += 1
    else:
        report.unchanged += 1


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
