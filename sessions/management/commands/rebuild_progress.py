"""Derive the dashboard's tallies again from the items: every user's, or one user's.

The services keep the tallies (sessions.tallies) with every grade, undo, changed grade and end of
an interview, so on a healthy database nothing changes. Run it after changing items outside the
services (deleting an interview in the database, say). One transaction per user.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from sessions import tallies


class Command(BaseCommand):
    help = "Derive the dashboard's tallies from the items, for every user or for USERNAME."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", help="only this user's tallies")

    def handle(self, *args: Any, username: str | None, **options: Any) -> None:
        User = get_user_model()
        users = User.objects.order_by("pk")
        if username is not None:
            users = users.filter(**{User.USERNAME_FIELD: username})
            if not users.exists():
                raise CommandError(f"No user named {username!r}.")
        changed = 0
        for user in users.iterator():
            with transaction.atomic():
                before = tallies.snapshot([user.pk])
                tallies.rebuild([user.pk])
                if tallies.snapshot([user.pk]) != before:
                    changed += 1
                    if options["verbosity"] >= 2:
                        self.stdout.write(f"{user}: tallies changed")
        self.stdout.write(
            self.style.SUCCESS(
                f"Tallies derived again; {changed} user{'' if changed == 1 else 's'} changed."
            )
        )
