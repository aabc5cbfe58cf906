"""Usernames: normalised to NFKC, and no look-alike of a name already taken."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from interview_prep.usernames import LOOK_ALIKE_MESSAGE, MIXED_SCRIPT_MESSAGE, skeleton
from tests.cast import anonymous, html, make_user
from tests.dom import find_all

pytestmark = pytest.mark.django_db

SIGNUP_URL = "/accounts/signup/"


def sign_up(username: str) -> tuple[int, list[str]]:
    response = anonymous().post(
        SIGNUP_URL,
        {
            "username": username,
            "email": "",
            "password1": "correct-Horse-battery-9",
            "password2": "correct-Horse-battery-9",
        },
    )
    errors = [
        li.words for ul in find_all(html(response), "ul", cls="errorlist") for li in ul.elements
    ]
    return response.status_code, errors


def test_it_stores_the_nfkc_form_of_the_name() -> None:
    # Fullwidth letters: Django's UsernameField normalises them before anything else.
    status, _ = sign_up("ｆｕｌｌｗｉｄｔｈ")

    assert status == 302
    assert User.objects.get().username == "fullwidth"


def test_it_refuses_the_nfkc_twin_of_a_taken_name() -> None:
    make_user("admin")

    status, errors = sign_up("ａｄｍｉｎ")

    assert status == 400
    assert "A user with that username already exists." in errors
    assert User.objects.count() == 1


def test_it_refuses_a_name_taken_in_another_case() -> None:
    make_user("admin")

    status, errors = sign_up("ADMIN")

    assert status == 400
    assert "A user with that username already exists." in errors


def test_it_refuses_latin_mixed_with_cyrillic_look_alikes() -> None:
    # "аdmin" with a Cyrillic а: refused even when no "admin" exists.
    status, errors = sign_up("\u0430dmin")

    assert status == 400
    assert MIXED_SCRIPT_MESSAGE in errors
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("taken", "wanted"),
    [
        pytest.param("ace", "\u0430\u0441\u0435", id="all-cyrillic"),
        pytest.param("Ace", "\u0410\u0421\u0415", id="all-cyrillic-capitals"),
        pytest.param("pop", "\u03c1\u03bf\u03c1", id="all-greek"),
        pytest.param("bob", "b0b", id="zero-for-o"),
        pytest.param("paul", "pau1", id="one-for-l"),
        pytest.param("admin", "adrnin", id="rn-for-m"),
    ],
)
def test_it_refuses_a_look_alike_of_a_taken_name(taken: str, wanted: str) -> None:
    make_user(taken)

    status, errors = sign_up(wanted)

    assert status == 400
    assert LOOK_ALIKE_MESSAGE in errors
    assert list(User.objects.values_list("username", flat=True)) == [taken]


@pytest.mark.parametrize(
    "username",
    ["josé", "\u0438\u0432\u0430\u043d", "李雷", "mary.ann", "ada_99"],
    ids=["accented-latin", "cyrillic-ivan", "han", "dot", "digits"],
)
def test_it_accepts_names_in_one_script_that_copy_nobody(username: str) -> None:
    make_user("admin")

    status, errors = sign_up(username)

    assert (status, errors) == (302, [])
    assert User.objects.filter(username=username).exists()


def test_skeletons_fold_look_alikes_together() -> None:
    assert skeleton("\u0430dmin") == skeleton("admin") == skeleton("ADMIN") == "admin"
    assert skeleton("b0b") == skeleton("bob")
    assert skeleton("josé") != skeleton("jose")  # an accent is not a look-alike
