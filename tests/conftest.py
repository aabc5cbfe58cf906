from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.test import Client
from pytest_django.fixtures import Settings
from time_machine import TimeMachineFixture

from questions.bank import BUNDLED_BANK, ParsedBank, read_bank
from questions.importing import import_bank
from questions.models import Question
from sessions import services
from sessions.models import InterviewSession
from tests.cast import (
    FAST_PASSWORD_HASHERS,
    T0,
    ensure_editors_group,
    logged_in,
    make_other_user,
    make_owner,
    make_question,
    start_interview,
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Settings) -> None:
    # The manifest storage needs `collectstatic` before any template renders; the production
    # path (hashed, compressed files served by whitenoise) is tested on its own.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Settings) -> None:
    # Throttle counts must not leak from one test into the next. The database cache's table is
    # not a model's, so no flush or rollback empties it: tests count in memory, each from zero;
    # tests/test_accounts_throttle.py runs the database cache itself.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
    }
    caches["default"].clear()


@pytest.fixture(scope="session")
def parsed_bank() -> ParsedBank:
    return read_bank(BUNDLED_BANK)


@pytest.fixture
def bank(db: None, parsed_bank: ParsedBank) -> ParsedBank:
    """The bundled bank, imported into the test database."""
    import_bank(parsed_bank)
    return parsed_bank


@pytest.fixture
def owner(db: None) -> User:
    return make_owner()


@pytest.fixture
def owner_client(owner: User) -> Client:
    """A test client logged in as the owner."""
    return logged_in(owner)


@pytest.fixture
def other_user(db: None) -> User:
    return make_other_user()


@pytest.fixture
def editors_group(db: None) -> Group:
    # A transactional test (the live server needs committed data) flushes the database after
    # it ran, deleting the group the data migration made: put it back.
    return ensure_editors_group()


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> TimeMachineFixture:
    """Time stands still at T0 until the test moves it (`clock.move_to(..., tick=False)`)."""
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def questions(db: None) -> list[Question]:
    """Questions 1 to 3, in the default category."""
    return [make_question(number) for number in range(1, 4)]


@pytest.fixture
def four_questions(db: None) -> list[Question]:
    """Questions 1 to 4, in the default category."""
    return [make_question(number) for number in range(1, 5)]


@pytest.fixture
def session(owner: User, questions: list[Question], clock: TimeMachineFixture) -> InterviewSession:
    """The owner's timed interview of the three questions, the first one on screen since T0."""
    session = start_interview(owner, questions)
    services.show_current_item(session=session, now=T0)
    return session
