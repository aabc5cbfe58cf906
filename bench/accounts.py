"""The benchmark's candidates, made straight in the database (`python -m bench.accounts`).

Signing 1,000 candidates up through the form would measure password hashing, so each gets a
ready login session and CSRF secret (the cookies a browser would hold) and one open timed
interview. `make` subcommands:

    prepare N_SATURATION N_THINK QUESTIONS OUT.json   the accounts, written for the load generator
    count PREFIX                                      the grades and reviews in the database
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.middleware.csrf import CSRF_SECRET_LENGTH  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from questions.models import Question  # noqa: E402
from sessions import services  # noqa: E402
from sessions.models import InterviewSession, Item, ReviewLog  # noqa: E402

CSRF_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _account(user: User, questions: list[Question]) -> dict[str, Any]:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    # The unmasked secret is a valid token too: the same value goes in the cookie and header.
    csrf = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALPHABET)
    session = services.start_session(
        user=user,
        questions=questions,
        mode=InterviewSession.Mode.TIMED,
        seconds_per_item=settings.INTERVIEW_MAX_SECONDS_PER_ITEM,
        include_scenarios=False,
        now=timezone.now(),
    )
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}; "
        f"{settings.CSRF_COOKIE_NAME}={csrf}",
        "csrf": csrf,
        "items": [session.item_url(position) for position in range(len(questions))],
    }


def prepare(saturation: int, think: int, questions: int, out: Path) -> None:
    prefix = f"bench-{secrets.token_hex(3)}-"
    password = make_password(secrets.token_urlsafe(16))  # hashed once: nobody logs in
    users = User.objects.bulk_create(
        User(username=f"{prefix}{index}", password=password) for index in range(saturation + think)
    )
    bank = list(Question.objects.active())
    numbers = [question.number for question in bank]

    def draw(count: int) -> list[Question]:
        return [bank[secrets.randbelow(len(bank))] for _ in range(count)]

    # The saturation accounts' interviews have two questions: the reveal and the grade step are
    # measured on the first, and the step renders the second.
    report = {
        "prefix": prefix,
        "question_numbers": numbers,
        "saturation": [_account(user, draw(2)) for user in users[:saturation]],
        "think": [_account(user, draw(questions)) for user in users[saturation:]],
    }
    out.write_text(json.dumps(report))


def count(prefix: str) -> None:
    items = Item.objects.filter(session__user__username__startswith=prefix)
    print(
        json.dumps(
            {
                "graded": items.filter(grade__isnull=False).count(),
                "reviews": ReviewLog.objects.filter(
                    item__session__user__username__startswith=prefix
                ).count(),
            }
        )
    )


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "prepare":
        prepare(int(arguments[0]), int(arguments[1]), int(arguments[2]), Path(arguments[3]))
    elif command == "count":
        count(arguments[0])
    else:
        raise SystemExit(__doc__)
