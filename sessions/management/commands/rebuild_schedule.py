"""Rebuild FSRS cards from the review log: every user's, or one user's.

Each card is replayed from its reviews in order from a fresh card (sessions.memory.rebuild), which
is what the grades, undos and changes gave it one at a time; so on a healthy database nothing
changes. Run it after changing FSRS_DESIRED_RETENTION, or to repair cards after an interview was
deleted (its reviews went with it). One transaction per user.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from sessions import memory
from sessions.models import Card


class Command(BaseCommand):
    help = "Replay the review log into the FSRS cards, for every user or for USERNAME."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", help="only this user's cards")
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, save nothing"
        )

    def handle(self, *args: Any, username: str | None, dry_run: bool, **options: Any) -> None:
        User = get_user_model()
        users = User.objects.filter(cards__isnull=False).distinct().order_by("pk")
        if username is not None:
            if not User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
                raise CommandError(f"No user named {username!r}.")
            users = users.filter(**{User.USERNAME_FIELD: username})
        totals = memory.Rebuilt()
        for user in users.iterator():
            with transaction.atomic():
                rebuilt = memory.rebuild(Card.objects.filter(user=user), dry_run=dry_run)
            if options["verbosity"] >= 2:
                self.stdout.write(f"{user}: {_summary(rebuilt, dry_run=dry_run)}")
            totals += rebuilt
        prefix = "Dry run: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{_summary(totals, dry_run=dry_run)}"))


def _summary(rebuilt: memory.Rebuilt, *, dry_run: bool = False) -> str:
    would = "would be " if dry_run else ""
    return (
        f"{rebuilt.cards} card{'' if rebuilt.cards == 1 else 's'} replayed from "
        f"{rebuilt.reviews} review{'' if rebuilt.reviews == 1 else 's'}; "
        f"{rebuilt.changed} {would}changed, {rebuilt.removed} without reviews {would}removed."
    )
