"""Make an existing user a bank editor: staff (may log in to admin) and in the Editors group."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

EDITORS = "Editors"


class Command(BaseCommand):
    help = "Give an existing user editor rights: staff status and the Editors group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--dry-run", action="store_true", help="say what would change only")

    def handle(self, *args: Any, username: str, dry_run: bool, **options: Any) -> None:
        User = get_user_model()
        try:
            group = Group.objects.get(name=EDITORS)
        except Group.DoesNotExist:
            raise CommandError(f"There is no {EDITORS!r} group: run `manage.py migrate`.") from None
        with transaction.atomic():
            try:
                user = User.objects.select_for_update().get(**{User.USERNAME_FIELD: username})
            except User.DoesNotExist:
                raise CommandError(
                    f"No user named {username!r}. They must sign up (or be created) first."
                ) from None
            already = user.is_staff and user.groups.filter(pk=group.pk).exists()
            if already:
                self.stdout.write(f"{username} is already an editor; nothing changed.")
                return
            if dry_run:
                self.stdout.write(f"Dry run: {username} would become staff and an editor.")
                return
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(group)
        self.stdout.write(self.style.SUCCESS(f"{username} is now an editor (staff, {EDITORS})."))
