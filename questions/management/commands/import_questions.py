"""Import the question bank from Markdown (by default the bank bundled with the app).

Idempotent: questions that already match are left untouched. All or nothing: a malformed file
or a database error leaves the database exactly as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questions.bank import BUNDLED_BANK, BankFormatError, read_bank
from questions.importing import import_bank


class Command(BaseCommand):
    help = "Create or update questions from a bank Markdown file (default: the bundled bank)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", nargs="?", type=Path, default=BUNDLED_BANK, help="bank Markdown file"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, save nothing"
        )
        parser.add_argument(
            "--overwrite-edited",
            action="store_true",
            help="replace answers that an editor changed since the last import",
        )

    def handle(
        self, *args: Any, path: Path, dry_run: bool, overwrite_edited: bool, **options: Any
    ) -> None:
        try:
            bank = read_bank(path)
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise CommandError(f"{path}: is a directory, not a bank file") from None
        except OSError as error:
            raise CommandError(f"{path}: cannot read ({error.strerror})") from None
        except BankFormatError as error:
            raise CommandError(f"{path}: {error}") from None

        report = import_bank(
            bank, dry_run=dry_run, overwrite_edited=overwrite_edited, source=path.name
        )
        verbosity = options["verbosity"]
        if verbosity >= 2:
            self.stdout.write(
                f"Read {len(bank.questions)} questions, {len(bank.categories)} categories and "
                f"{bank.scenario_count} scenarios from {path}."
            )
            self.stdout.write(
                f"Categories created: {report.categories_created}; scenarios written: "
                f"{report.scenarios_written}, removed: {report.scenarios_deleted}."
            )
        if report.not_in_file and verbosity >= 1:
            numbers = ", ".join(map(str, report.not_in_file[:20]))
            more = " …" if len(report.not_in_file) > 20 else ""
            self.stdout.write(
                self.style.WARNING(
                    f"{len(report.not_in_file)} question(s) in the database are not in the file "
                    f"and were left as they are: {numbers}{more}"
                )
            )
        if report.conflicts and verbosity >= 1:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(report.conflicts)} answer(s) were changed by an editor since the last "
                    f"import and were kept: questions {', '.join(map(str, report.conflicts))}. "
                    "Run again with --overwrite-edited to replace them with the file's text."
                )
            )
        if verbosity < 1:
            return
        summary = (
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged"
        )
        if dry_run:
            self.stdout.write(self.style.WARNING(f"Dry run, nothing saved: {summary}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {path.name}: {summary}."))
