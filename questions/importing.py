"""Moving the question bank between its Markdown/JSON form and the database."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast

from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from simple_history.utils import bulk_create_with_history

from questions import search
from questions.bank import DEFAULT_TITLE, ParsedBank, ParsedQuestion, ParsedScenario
from questions.keypoints import derive_key_points
from questions.models import Category, KeyPoint, Question, Scenario, category_slug

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
    # Answers ("12", "12.1") whose key points were written, and those an editor's points kept.
    key_points_written: int = 0
    key_point_conflicts: list[str] = field(default_factory=list)

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
                    f"{self.scenarios_written}, removed: {self.scenarios_deleted}; key points "
                    f"written for {self.key_points_written} answer(s)."
                ),
            ]
        if self.not_in_file:
            lines.append(self._not_in_file_line())
        if self.conflicts:
            lines.append(self._conflicts_line())
        if self.key_point_conflicts:
            lines.append(self._key_point_conflicts_line())
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

    def _key_point_conflicts_line(self) -> ReportLine:
        return ReportLine(
            f"{len(self.key_point_conflicts)} answer(s) have key points an editor changed since "
            f"the last import, kept as they are: {', '.join(self.key_point_conflicts)}. "
            "Run again with --overwrite-edited to replace them with the file's.",
            "warning",
        )


IMPORT_REASON = "Imported from"
DERIVED_REASON = "key points derived from the answer"


def import_bank(
    bank: ParsedBank,
    *,
    dry_run: bool = False,
    overwrite_edited: bool = False,
    source: str = "bank file",
) -> ImportReport:
    """Create or update every question of `bank`, all or nothing.

    Idempotent: a question whose fields, scenarios and key points already match is not written
    at all, so its `updated_at` stays put. An answer an editor changed since the last import is
    kept (and reported) unless `overwrite_edited`, and so are key points an editor changed.
    Answers the file gives no key points get the points `derive_key_points` finds in them. With
    `dry_run` the work is done and then rolled back. Every write is recorded in the bank's
    history with the reason "Imported from <source>".
    """
    report = ImportReport()
    reason = f"{IMPORT_REASON} {source}"
    # The index is written once per changed question, at the end, and rolls back with the rest.
    with transaction.atomic(), search.batched():
        categories = _sync_categories(bank, report, reason)
        existing = _questions_with_last_imported_answer()
        key_points = _KeyPointSync(reason, overwrite_edited, report)
        for parsed in bank.questions:
            category = categories[parsed.category]
            question = existing.get(parsed.number)
            if question is None:
                _create_question(parsed, category, report, reason, key_points)
                continue
            if _is_conflict(question, parsed) and not overwrite_edited:
                report.conflicts.append(parsed.number)
                parsed = dataclasses.replace(parsed, answer=question.answer)
            _update_question(question, parsed, category, report, reason, key_points)
        key_points.create_pending()
        in_file = {parsed.number for parsed in bank.questions}
        report.not_in_file = sorted(set(existing) - in_file)
        if dry_run:
            transaction.set_rollback(True)
    return report


class _KeyPointSync:
    """Writes each answer's key points: the file's, or, when the file lists none and the answer
    has none yet, the ones `derive_key_points` finds in it, so every answer has a checklist.

    The file's points follow the answers' conflict rule: points an editor changed since an import
    last wrote them are kept unless `overwrite_edited`.
    """

    def __init__(self, reason: str, overwrite_edited: bool, report: ImportReport) -> None:
        self.reason = reason
        self.overwrite_edited = overwrite_edited
        self.report = report
        self.pending: list[KeyPoint] = []
        self.edited_owners = _owners_with_points_edited_since_import()

    def sync(
        self,
        owner: Question | Scenario,
        current: list[KeyPoint],
        *,
        label: str,
        listed: tuple[str, ...],
        answer: str,
    ) -> bool:
        """Bring `owner`'s points to the wanted list; whether anything was (or will be) written."""
        if not listed and current:
            return False  # only an answer without points gets derived ones
        wanted = list(listed) or derive_key_points(answer)
        reason = self.reason if listed else f"{self.reason} ({DERIVED_REASON})"
        if [point.text for point in current] == wanted:
            return False
        if current and _owner_key(owner) in self.edited_owners and not self.overwrite_edited:
            self.report.key_point_conflicts.append(label)
            return False
        owner_field: dict[str, Question | Scenario] = (
            {"scenario": owner} if isinstance(owner, Scenario) else {"question": owner}
        )
        for position, text in enumerate(wanted):
            if position < len(current):
                point = current[position]
                if point.text != text:
                    point.text = text
                    point._change_reason = reason
                    point.save()
            else:
                point = KeyPoint(position=position, text=text, **owner_field)
                point._change_reason = reason
                self.pending.append(point)
        for stale in current[len(wanted) :]:
            stale._change_reason = reason
            stale.delete()
        self.report.key_points_written += 1
        return True

    def create_pending(self) -> None:
        """The new points in one batch (each with its history row): the first import has ~800."""
        if self.pending:
            bulk_create_with_history(self.pending, KeyPoint)
        # A bulk insert sends no post_save: tell the search index itself.
        for point in self.pending:
            search.question_changed(
                point.question_id if point.scenario is None else point.scenario.question_id
            )


def _owner_key(owner: Question | Scenario) -> tuple[str, int]:
    return ("scenario" if isinstance(owner, Scenario) else "question", owner.pk)


def _key_of(row: dict[str, Any]) -> tuple[str, int]:
    if row["scenario_id"] is not None:
        return ("scenario", row["scenario_id"])
    return ("question", row["question_id"])


def _owners_with_points_edited_since_import() -> set[tuple[str, int]]:
    """(kind, id) of each question and scenario whose points anyone but an import changed
    after an import last wrote them: those points are an editor's."""
    history = KeyPoint.history.order_by().values("question_id", "scenario_id")
    imported = Q(history_change_reason__startswith=IMPORT_REASON)
    last_import = {
        _key_of(row): row["last"]
        for row in history.filter(imported).annotate(last=Max("history_date"))
    }
    return {
        _key_of(row)
        for row in history.exclude(imported).annotate(last=Max("history_date"))
        if (when := last_import.get(_key_of(row))) is None or row["last"] > when
    }


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
        .prefetch_related("key_points", "scenarios__key_points")
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
    parsed: ParsedQuestion,
    category: Category,
    report: ImportReport,
    reason: str,
    key_points: _KeyPointSync,
) -> None:
    question = Question(
        number=parsed.number, category=category, title=parsed.title, answer=parsed.answer
    )
    question._change_reason = reason
    question.save()
    key_points.sync(
        question, [], label=str(parsed.number), listed=parsed.key_points, answer=parsed.answer
    )
    _sync_scenarios(question, parsed.scenarios, [], report, reason, key_points)
    report.created += 1


def _update_question(
    question: Question,
    parsed: ParsedQuestion,
    category: Category,
    report: ImportReport,
    reason: str,
    key_points: _KeyPointSync,
) -> None:
    fields_changed = _update_fields(question, parsed, category, reason)
    points_changed = key_points.sync(
        question,
        list(question.key_points.all()),
        label=str(parsed.number),
        listed=parsed.key_points,
        answer=parsed.answer,
    )
    scenarios_changed = _sync_scenarios(
        question, parsed.scenarios, list(question.scenarios.all()), report, reason, key_points
    )
    if fields_changed or points_changed or scenarios_changed:
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
    key_points: _KeyPointSync,
) -> bool:
    by_label = {scenario.label: scenario for scenario in current}
    changed = False
    for position, item in enumerate(parsed):
        scenario = by_label.pop(item.label, None)
        wanted = {"prompt": item.prompt, "answer": item.answer, "position": position}
        current_points = []
        if scenario is None:
            scenario = Scenario(question=question, label=item.label, **wanted)
        else:
            current_points = list(scenario.key_points.all())
        if scenario.pk is None or any(
            getattr(scenario, name) != value for name, value in wanted.items()
        ):
            for name, value in wanted.items():
                setattr(scenario, name, value)
            scenario._change_reason = reason
            scenario.save()
            report.scenarios_written += 1
            changed = True
        changed |= key_points.sync(
            scenario, current_points, label=item.label, listed=item.key_points, answer=item.answer
        )
    for stale in by_label.values():
        stale._change_reason = reason
        stale.delete()
        report.scenarios_deleted += 1
        changed = True
    return changed


def bank_from_database() -> ParsedBank:
    """The whole bank as stored, in number order, ready to render or serialise."""
    questions = Question.objects.select_related("category").prefetch_related(
        "key_points", "scenarios__key_points"
    )
    parsed = tuple(
        ParsedQuestion(
            number=question.number,
            category=question.category.name,
            title=question.title,
            answer=question.answer,
            scenarios=tuple(
                ParsedScenario(
                    label=scenario.label,
                    prompt=scenario.prompt,
                    answer=scenario.answer,
                    key_points=tuple(point.text for point in scenario.key_points.all()),
                )
                for scenario in question.scenarios.all()
            ),
            key_points=tuple(point.text for point in question.key_points.all()),
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
            "key_points": list(question.key_points),
            "scenarios": [
                {
                    "label": scenario.label,
                    "question": scenario.prompt,
                    "answer": scenario.answer,
                    "key_points": list(scenario.key_points),
                }
                for scenario in question.scenarios
            ],
        }
        for question in sorted(bank.questions, key=lambda question: question.number)
    ]
