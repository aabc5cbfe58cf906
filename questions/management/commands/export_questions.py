"""Export the question bank as Markdown (the import format) or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questions.bank import render_bank
from questions.importing import bank_as_json, bank_from_database


class Command(BaseCommand):
    help = "Write the question bank to stdout or a file, as Markdown (re-importable) or JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["markdown", "json"], default="markdown")
        parser.add_argument("--output", type=Path, help="file to write (default: stdout)")

    def handle(self, *args: Any, format: str, output: Path | None, **options: Any) -> None:
        bank = bank_from_database()
        if not bank.questions:
            raise CommandError("The bank is empty: run `manage.py import_questions` first.")
        if format == "json":
            text = json.dumps(bank_as_json(bank), ensure_ascii=False, indent=2) + "\n"
        else:
            text = render_bank(bank)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{output}: cannot write ({error.strerror})") from None
        if options["verbosity"] >= 1:
            self.stderr.write(
                self.style.SUCCESS(f"Wrote {len(bank.questions)} questions to {output}.")
            )
