"""Import the question bank from Markdown (by default the bank bundled with the app).

Idempotent: questions that already match are left untouched. All or nothing: a malformed file
or a database error leaves the database exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questions.bank import BUNDLED_BANK, BankFormatError, ParsedBank, read_bank
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
        bank = _read(path)
        report = import_bank(
            bank, dry_run=dry_run, overwrite_edited=overwrite_edited, source=path.name
        )
        styles: dict[str, Callable[[str], str]] = {
            "info": str,
            "warning": self.style.WARNING,
            "success": self.style.SUCCESS,
        }
        lines = report.lines(bank=bank, path=path, dry_run=dry_run, verbosity=options["verbosity"])
        for line in lines:
            self.stdout.write(styles[line.level](line.text))


def _read(path: Path) -> ParsedBank:
    """The bank file, parsed; any problem reading it is a CommandError naming the file."""
    try:
        return read_bank(path)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{path}: is a directory, not a bank file") from None
    except OSError as error:
        raise CommandError(f"{path}: cannot read ({error.strerror})") from None
    except BankFormatError as error:
        raise CommandError(f"{path}: {error}") from None
