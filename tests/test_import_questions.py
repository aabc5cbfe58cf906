from __future__ import annotations

import datetime as dt
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from questions.bank import BUNDLED_BANK, read_bank
from questions.importing import ImportReport
from questions.models import Category, KeyPoint, Question, Scenario
from tests.cast import make_question

pytestmark = pytest.mark.django_db

BANK_TEXT = BUNDLED_BANK.read_text(encoding="utf-8")
FIRST_ANSWER_START = "Generative AI is a subset of artificial intelligence"


def run(*args: Any, **options: Any) -> str:
    out = io.StringIO()
    call_command("import_questions", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def snapshot() -> tuple[list[tuple[Any, ...]], ...]:
    """Every row and field of the bank, including primary keys and timestamps."""
    return (
        list(Category.objects.order_by("pk").values_list()),
        list(Question.objects.order_by("pk").values_list()),
        list(Scenario.objects.order_by("pk").values_list()),
        list(KeyPoint.objects.order_by("pk").values_list()),
    )


def counts() -> tuple[int, int, int]:
    return Question.objects.count(), Category.objects.count(), Scenario.objects.count()


def write(tmp_path: Path, text: str, name: str = "bank.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def with_rows_appended(text: str, *rows: str) -> tuple[str, int]:
    """`text` with a blank line and `rows` added at the end, and the line number of the first."""
    text = text.rstrip("\n") + "\n"
    return text + "\n" + "\n".join(rows) + "\n", text.count("\n") + 2


def edited_bank() -> str:
    """The bundled bank with question 1's answer changed: importing it would update a row."""
    assert FIRST_ANSWER_START in BANK_TEXT
    return BANK_TEXT.replace(FIRST_ANSWER_START, "EDITED: generative AI is a subset of AI", 1)


# A good file


def test_first_import_creates_the_whole_bank() -> None:
    out = run()
    assert out == "Imported genai-interview-questions.md: 200 created, 0 updated, 0 unchanged.\n"
    assert counts() == (200, 13, 24)
    first = Question.objects.get(number=1)
    assert first.category.name == "Fundamentals and Basics"
    assert first.answer.startswith(FIRST_ANSWER_START)
    assert list(first.scenarios.values_list("label", "position")) == [("1.1", 0)]
    advanced = Category.objects.get(name="Advanced Topics (121-200)")
    assert (advanced.slug, advanced.position) == ("advanced-topics", 12)
    assert advanced.questions.count() == 80


def test_it_reads_the_path_given() -> None:
    out = run(str(BUNDLED_BANK))
    assert "200 created, 0 updated, 0 unchanged" in out
    assert counts() == (200, 13, 24)


def test_second_import_changes_nothing() -> None:
    run()
    before = snapshot()
    # A later clock: any save would move `updated_at`.
    with time_machine.travel(dt.datetime(2040, 1, 1, tzinfo=dt.UTC), tick=False):
        out = run()
    assert out == "Imported genai-interview-questions.md: 0 created, 0 updated, 200 unchanged.\n"
    assert snapshot() == before
    assert not Question.objects.filter(updated_at__year=2040).exists()


def edit_answer_as_editor(number: int, answer: str) -> None:
    question = Question.objects.get(number=number)
    question.answer = answer
    question._change_reason = "Fixed a typo"
    question.save()


def test_it_keeps_an_answer_an_editor_changed_since_the_last_import() -> None:
    run()
    edit_answer_as_editor(1, "Edited by an editor.")

    out = run()

    assert "1 answer(s) were changed by an editor since the last import and were kept" in out
    assert "questions 1." in out and "--overwrite-edited" in out
    assert "0 created, 0 updated, 200 unchanged" in out
    assert Question.objects.get(number=1).answer == "Edited by an editor."


def test_it_still_updates_the_other_fields_of_a_conflicting_question(tmp_path: Path) -> None:
    run()
    edit_answer_as_editor(1, "Edited by an editor.")
    text = BUNDLED_BANK.read_text(encoding="utf-8").replace(
        "### 1. What is Generative AI?", "### 1. What is generative AI, really?"
    )

    out = run(write(tmp_path, text))

    assert "0 created, 1 updated, 199 unchanged" in out
    first = Question.objects.get(number=1)
    assert (first.title, first.answer) == ("What is generative AI, really?", "Edited by an editor.")


def test_overwrite_edited_restores_the_file_answer() -> None:
    run()
    original = Question.objects.get(number=1).answer
    edit_answer_as_editor(1, "Edited by an editor.")
    untouched = dict(Question.objects.exclude(number=1).values_list("number", "updated_at"))

    later = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False):
        out = run(overwrite_edited=True)

    assert "were kept" not in out
    assert "0 created, 1 updated, 199 unchanged" in out
    first = Question.objects.get(number=1)
    assert first.answer == original
    assert first.updated_at == later
    assert dict(Question.objects.exclude(number=1).values_list("number", "updated_at")) == (
        untouched
    )


def test_a_file_change_to_an_answer_nobody_edited_is_applied(tmp_path: Path) -> None:
    run()
    text = BUNDLED_BANK.read_text(encoding="utf-8").replace(
        "Generative AI is a subset", "Generative AI is a branch", 1
    )

    out = run(write(tmp_path, text))

    assert "were kept" not in out
    assert "0 created, 1 updated, 199 unchanged" in out
    assert Question.objects.get(number=1).answer.startswith("Generative AI is a branch")


def test_a_third_import_compares_with_the_last_import_not_the_first(tmp_path: Path) -> None:
    # The second import changes the answer; only a comparison with that import (not the
    # first) sees that nobody edited it since, so the third file's change is applied.
    run()
    run(
        write(
            tmp_path, BANK_TEXT.replace("Generative AI is a subset", "Generative AI is a branch", 1)
        )
    )
    text = BANK_TEXT.replace("Generative AI is a subset", "Generative AI is an offshoot", 1)

    out = run(write(tmp_path, text))

    assert "were kept" not in out
    assert "0 created, 1 updated, 199 unchanged" in out
    assert Question.objects.get(number=1).answer.startswith("Generative AI is an offshoot")


def test_imports_are_recorded_in_history_with_their_source() -> None:
    run()
    record = Question.history.get(number=1)
    assert record.history_type == "+"
    assert record.history_change_reason == "Imported from genai-interview-questions.md"
    assert record.history_user is None


def test_it_is_silent_at_verbosity_zero() -> None:
    assert run(verbosity=0) == ""


def test_it_restores_an_edited_or_deleted_scenario() -> None:
    run()
    Scenario.objects.filter(label="2.1").update(answer="Changed.")
    Scenario.objects.filter(label="3.1").delete()
    out = run(verbosity=2)
    assert "0 created, 2 updated, 198 unchanged" in out
    assert "scenarios written: 2, removed: 0" in out
    assert Scenario.objects.get(label="2.1").answer.startswith("Use a discriminative model")
    assert Scenario.objects.get(label="3.1").question.number == 3
    assert Scenario.objects.count() == 24


def test_it_removes_scenarios_the_file_no_longer_has(tmp_path: Path) -> None:
    run()
    start = BANK_TEXT.index("**Scenario Question 1.1:**")
    end = BANK_TEXT.index("### 2. ")
    path = write(tmp_path, BANK_TEXT[:start] + BANK_TEXT[end:])
    out = run(path, verbosity=2)
    assert "0 created, 1 updated, 199 unchanged" in out
    assert "scenarios written: 0, removed: 1" in out
    assert not Scenario.objects.filter(label="1.1").exists()
    assert Scenario.objects.count() == 23


def test_verbose_output_describes_the_file() -> None:
    out = run(verbosity=2)
    assert f"Read 200 questions, 13 categories and 24 scenarios from {BUNDLED_BANK}." in out
    assert (
        "Categories created: 13; scenarios written: 24, removed: 0; "
        "key points written for 224 answer(s)." in out
    )


def test_it_warns_about_questions_missing_from_the_file() -> None:
    run()
    extra = make_question(201, category=Category.objects.get(position=0), answer="Kept.")
    out = run()
    assert "1 question(s) in the database are not in the file and were left as they are: 201" in out
    assert "0 created, 0 updated, 200 unchanged" in out
    extra.refresh_from_db()
    assert extra.answer == "Kept."


def test_dry_run_saves_nothing() -> None:
    out = run(dry_run=True)
    assert out == "Dry run, nothing saved: 200 created, 0 updated, 0 unchanged.\n"
    assert counts() == (0, 0, 0)


def test_dry_run_reports_an_update_without_making_it() -> None:
    run()
    Question.objects.filter(number=7).update(title="Edited title")
    before = snapshot()
    out = run("--dry-run")
    assert out == "Dry run, nothing saved: 0 created, 1 updated, 199 unchanged.\n"
    assert snapshot() == before
    assert Question.objects.get(number=7).title == "Edited title"


# Bad input: a clear error, and the database as it was


@pytest.fixture
def imported() -> tuple[list[tuple[Any, ...]], ...]:
    run()
    return snapshot()


def assert_rejected(path: Path, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        run(path)
    assert str(caught.value) == message


def test_it_rejects_duplicate_numbers(tmp_path: Path, imported: Any) -> None:
    text, line = with_rows_appended(edited_bank(), "### 5. Again?", "**Answer:** Twice.")
    path = write(tmp_path, text)
    assert_rejected(
        path, f"{path}: line {line}: duplicate question number 5 (first used on line 65)"
    )
    assert snapshot() == imported


def test_it_rejects_a_question_with_no_answer(tmp_path: Path, imported: Any) -> None:
    text, line = with_rows_appended(edited_bank(), "### 201. Unanswered?", "")
    path = write(tmp_path, text)
    assert_rejected(path, f"{path}: line {line}: question 201 has no answer")
    assert snapshot() == imported


def test_it_rejects_a_scenario_answer_without_its_question(tmp_path: Path, imported: Any) -> None:
    text, line = with_rows_appended(edited_bank(), "**Scenario Answer 200.2:** Orphan.")
    path = write(tmp_path, text)
    assert_rejected(
        path, f"{path}: line {line}: scenario answer 200.2 without its scenario question"
    )
    assert snapshot() == imported


def test_it_rejects_bytes_that_are_not_utf8(tmp_path: Path, imported: Any) -> None:
    text, line = with_rows_appended(edited_bank(), "### 201. Café?", "**Answer:** Oui.")
    path = tmp_path / "latin1.md"
    path.write_bytes(text.encode().replace("Café".encode(), b"Caf\xe9"))
    offset = text.encode().index(b"Caf\xc3\xa9") + 3
    assert_rejected(
        path,
        f"{path}: line {line}: the file is not valid UTF-8 (byte 0xe9 at offset {offset})",
    )
    assert snapshot() == imported


def test_it_rejects_an_empty_file(tmp_path: Path, imported: Any) -> None:
    path = write(tmp_path, "")
    assert_rejected(path, f"{path}: the file is empty")
    assert snapshot() == imported


def test_it_rejects_a_missing_path(tmp_path: Path, imported: Any) -> None:
    path = tmp_path / "nowhere.md"
    assert_rejected(path, f"{path}: no such file")
    assert snapshot() == imported


def test_it_rejects_a_directory(tmp_path: Path, imported: Any) -> None:
    assert_rejected(tmp_path, f"{tmp_path}: is a directory, not a bank file")
    assert snapshot() == imported


def test_it_rejects_a_path_through_a_file(tmp_path: Path, imported: Any) -> None:
    path = write(tmp_path, BANK_TEXT) / "bank.md"
    assert_rejected(path, f"{path}: cannot read (Not a directory)")
    assert snapshot() == imported


# A database failure half-way: all or nothing
#
# Plain `db` tests on purpose: the import's atomic block becomes a savepoint that must roll back,
# and no flush wipes rows that data migrations created (the Editors group) for later tests.


def fail_on_third_create() -> Any:
    """Patch Scenario.save so that the third new scenario fails to save."""
    original = Scenario.save
    calls = []

    def save(scenario: Scenario, *args: Any, **kwargs: Any) -> None:
        if scenario.pk is None:
            calls.append(scenario.label)
            if len(calls) == 3:
                raise DatabaseError("disk I/O error (simulated)")
        original(scenario, *args, **kwargs)

    return mock.patch.object(Scenario, "save", autospec=True, side_effect=save)


def test_a_database_failure_leaves_an_empty_database_empty() -> None:
    with fail_on_third_create() as create, pytest.raises(DatabaseError, match="simulated"):
        run()
    # Every save in an empty database is a new scenario: the third one failed.
    assert create.call_count == 3
    assert counts() == (0, 0, 0)


def test_a_database_failure_leaves_an_imported_bank_as_it_was(tmp_path: Path) -> None:
    run()
    before = snapshot()
    text = edited_bank()
    for number in (3, 4, 5):
        previous = number - 1
        extra = (
            f"**Scenario Question {previous}.2:** Another?\n\n"
            f"**Scenario Answer {previous}.2:** Another answer.\n\n"
        )
        text = text.replace(f"### {number}. ", extra + f"### {number}. ", 1)
    path = write(tmp_path, text)

    with fail_on_third_create() as create, pytest.raises(DatabaseError, match="simulated"):
        run(path)

    # Question 1 was saved and two scenarios created before the failure: all rolled back.
    saved = [call.args[0].label for call in create.call_args_list]
    assert saved[-3:] == ["2.2", "3.2", "4.2"]
    assert snapshot() == before
    assert Question.objects.get(number=1).answer.startswith(FIRST_ANSWER_START)


# The real command line


@pytest.fixture(scope="module")
def command_line(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """An environment whose database is a fresh, migrated SQLite file."""
    database = tmp_path_factory.mktemp("cli") / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "insecure-key-for-tests-only",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    manage("migrate", "--noinput", env=env, check=True)
    return env, database


def manage(*args: str, env: dict[str, str], check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def stored_questions(database: Path) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(database)
    try:
        query = "SELECT number, title, answer, updated_at FROM questions_question ORDER BY number"
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def test_the_command_line_fails_on_a_missing_file(command_line: Any) -> None:
    env, database = command_line

    good = manage("import_questions", env=env)
    assert good.returncode == 0, good.stderr
    assert good.stdout == (
        "Imported genai-interview-questions.md: 200 created, 0 updated, 0 unchanged.\n"
    )
    before = stored_questions(database)

    bad = manage("import_questions", "/nonexistent", env=env)

    assert bad.returncode != 0
    assert bad.stderr.strip() == "CommandError: /nonexistent: no such file"
    assert bad.stdout == ""
    after = stored_questions(database)
    assert len(after) == 200
    assert after == before


def test_the_report_lists_twenty_missing_numbers_then_an_ellipsis() -> None:
    report = ImportReport(unchanged=1, not_in_file=list(range(201, 226)), conflicts=[7])
    bank = read_bank(BUNDLED_BANK)

    lines = report.lines(bank=bank, path=Path("bank.md"), dry_run=False, verbosity=1)

    assert [line.level for line in lines] == ["warning", "warning", "success"]
    assert lines[0].text.startswith("25 question(s) in the database are not in the file")
    assert lines[0].text.endswith(": " + ", ".join(map(str, range(201, 221))) + " …")
    assert lines[1].text.startswith("1 answer(s) were changed by an editor")
    assert lines[2].text == "Imported bank.md: 0 created, 0 updated, 1 unchanged."
    assert report.lines(bank=bank, path=Path("bank.md"), dry_run=False, verbosity=0) == []
