"""Rebuild the search index (questions.search) from the bank as stored.

Saves and imports keep the index in step; run this after changing the bank outside Django
(raw SQL, a restored dump of the bank tables alone) or the indexing rule itself.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from questions import search


class Command(BaseCommand):
    help = "Rebuild the search index of every question, scenario and key point."

    def handle(self, *args: Any, **options: Any) -> None:
        documents = search.rebuild_index()
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"Indexed {documents} texts for search."))
