from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from questions.bank import BUNDLED_BANK, ParsedBank, read_bank
from questions.importing import import_bank
from questions.models import Category, Question


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: pytest.FixtureRequest) -> None:
    # The manifest storage needs `collectstatic` before any template renders; the production
    # path (hashed, compressed files served by whitenoise) is tested on its own.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def parsed_bank() -> ParsedBank:
    return read_bank(BUNDLED_BANK)


@pytest.fixture
def bank(db: None, parsed_bank: ParsedBank) -> ParsedBank:
    """The bundled bank, imported into the test database."""
    import_bank(parsed_bank)
    return parsed_bank


def make_user(username: str = "candidate", **extra: object) -> User:
    return User.objects.create_user(username=username, password="a-Long-pass-phrase-42", **extra)


def make_question(number: int, *, category: Category | None = None, **fields: object) -> Question:
    if category is None:
        category, _ = Category.objects.get_or_create(
            name="Fundamentals", defaults={"slug": "fundamentals", "position": 0}
        )
    defaults = {"title": f"Question {number}?", "answer": f"Answer to question {number}."}
    defaults.update(fields)
    return Question.objects.create(number=number, category=category, **defaults)
