from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from pytest_django.fixtures import Settings

from questions.bank import BUNDLED_BANK, ParsedBank, read_bank
from questions.importing import import_bank
from tests.cast import FAST_PASSWORD_HASHERS, ensure_editors_group, make_other_user, make_owner


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
def other_user(db: None) -> User:
    return make_other_user()


@pytest.fixture
def editors_group(db: None) -> Group:
    # A transactional test (the live server needs committed data) flushes the database after
    # it ran, deleting the group the data migration made: put it back.
    return ensure_editors_group()
