"""Who may open which admin page (anonymous, candidate, editor, superuser); making editors."""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.test.client import Client

from questions.models import AnswerFlag, Category, Question, Scenario
from tests.cast import (
    EDITOR_PERMISSIONS,
    EDITORS,
    make_editor,
    make_question,
    make_superuser,
    make_user,
)
from tests.dom import parse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("editors_group")]

LOGIN_URL = "/admin/login/"


@dataclass
class Bank:
    """One of everything an admin page can show."""

    category: Category
    question: Question
    scenario: Scenario
    flag: AnswerFlag
    history_id: int


@pytest.fixture
def objects(db: None) -> Bank:
    question = make_question(7, title="What is attention?")
    scenario = Scenario.objects.create(
        question=question, label="7.1", prompt="Why?", answer="Because."
    )
    flag = AnswerFlag.objects.create(
        question=question, user=make_user("flagger"), reason="wrong", comment="Typo in line 2."
    )
    return Bank(question.category, question, scenario, flag, question.history.get().history_id)


@dataclass(frozen=True)
class AdminPage:
    url: Callable[[Bank], str]
    title: str  # the page's <title> starts with this (the object's name is filled in)


PAGES: dict[str, AdminPage] = {
    "index": AdminPage(lambda b: "/admin/", "Site administration"),
    "question changelist": AdminPage(
        lambda b: "/admin/questions/question/", "Select question to change"
    ),
    "question add": AdminPage(lambda b: "/admin/questions/question/add/", "Add question"),
    "question change": AdminPage(
        lambda b: f"/admin/questions/question/{b.question.pk}/change/", "7. What is attention?"
    ),
    "question history": AdminPage(
        lambda b: f"/admin/questions/question/{b.question.pk}/history/",
        "Change history: 7. What is attention?",
    ),
    "question revert form": AdminPage(
        lambda b: f"/admin/questions/question/{b.question.pk}/history/{b.history_id}/",
        "Revert 7. What is attention?",
    ),
    "scenario changelist": AdminPage(
        lambda b: "/admin/questions/scenario/", "Select scenario to change"
    ),
    "scenario change": AdminPage(
        lambda b: f"/admin/questions/scenario/{b.scenario.pk}/change/", "Scenario 7.1"
    ),
    "scenario history": AdminPage(
        lambda b: f"/admin/questions/scenario/{b.scenario.pk}/history/",
        "Change history: Scenario 7.1",
    ),
    "category changelist": AdminPage(
        lambda b: "/admin/questions/category/", "Select category to change"
    ),
    "category add": AdminPage(lambda b: "/admin/questions/category/add/", "Add category"),
    "category change": AdminPage(
        lambda b: f"/admin/questions/category/{b.category.pk}/change/", "Fundamentals"
    ),
    "answerflag changelist": AdminPage(
        lambda b: "/admin/questions/answerflag/", "Select answer flag to change"
    ),
    "answerflag change": AdminPage(
        lambda b: f"/admin/questions/answerflag/{b.flag.pk}/change/",
        "The answer is wrong: question 7",
    ),
    "question delete": AdminPage(
        lambda b: f"/admin/questions/question/{b.question.pk}/delete/", "Delete"
    ),
    "category delete": AdminPage(
        # A category with questions is protected: the page says so instead of asking.
        lambda b: f"/admin/questions/category/{b.category.pk}/delete/",
        "Cannot delete category",
    ),
    "user changelist": AdminPage(lambda b: "/admin/auth/user/", "Select user to change"),
    "group changelist": AdminPage(lambda b: "/admin/auth/group/", "Select group to change"),
}
NOT_FOR_EDITORS = ["question delete", "category delete", "user changelist", "group changelist"]
EDITOR_PAGES = [name for name in PAGES if name not in NOT_FOR_EDITORS]


def page_title(response: HttpResponse) -> str:
    return parse(response.content).find("title").words


def assert_sent_to_admin_login(response: HttpResponse, url: str) -> None:
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == LOGIN_URL
    assert parse_qs(location.query) == {"next": [url]}


# Anonymous visitors and candidates


@pytest.mark.parametrize("name", PAGES)
def test_it_sends_anonymous_visitors_to_the_admin_login(
    client: Client, objects: Bank, name: str
) -> None:
    url = PAGES[name].url(objects)
    assert_sent_to_admin_login(client.get(url), url)


@pytest.mark.parametrize("name", PAGES)
def test_it_sends_candidates_to_the_admin_login(client: Client, objects: Bank, name: str) -> None:
    client.force_login(make_user("candidate"))
    url = PAGES[name].url(objects)

    response = client.get(url)

    assert_sent_to_admin_login(response, url)
    login_page = client.get(response["Location"])
    assert "You are authenticated as candidate, but are not authorized" in (
        parse(login_page.content).find("p", cls="errornote").words
    )


def test_it_ignores_a_change_posted_by_a_candidate(client: Client, objects: Bank) -> None:
    client.force_login(make_user("candidate"))
    url = f"/admin/questions/question/{objects.question.pk}/change/"

    response = client.post(url, {"title": "Vandalised", "answer": "Nothing"})

    assert_sent_to_admin_login(response, url)
    objects.question.refresh_from_db()
    assert objects.question.title == "What is attention?"


def test_it_refuses_a_candidate_the_retire_action(client: Client, objects: Bank) -> None:
    client.force_login(make_user("candidate"))

    client.post(
        "/admin/questions/question/",
        {"action": "retire", "_selected_action": [objects.question.pk]},
    )

    objects.question.refresh_from_db()
    assert objects.question.is_active


# Editors


@pytest.mark.parametrize("name", EDITOR_PAGES)
def test_it_lets_editors_open_the_bank_pages(client: Client, objects: Bank, name: str) -> None:
    client.force_login(make_editor())

    response = client.get(PAGES[name].url(objects))

    assert response.status_code == 200
    assert page_title(response).startswith(PAGES[name].title)


@pytest.mark.parametrize("name", NOT_FOR_EDITORS)
def test_it_forbids_editors_deleting_and_managing_users(
    client: Client, objects: Bank, name: str
) -> None:
    client.force_login(make_editor())

    response = client.get(PAGES[name].url(objects))

    assert response.status_code == 403
    assert parse(response.content).find("h1").words == "Not allowed"


@pytest.mark.parametrize("model", ["question", "category"])
def test_it_refuses_an_editor_confirming_a_delete(
    client: Client, objects: Bank, model: str
) -> None:
    client.force_login(make_editor())
    pk = objects.question.pk if model == "question" else objects.category.pk

    response = client.post(f"/admin/questions/{model}/{pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Question.objects.filter(pk=objects.question.pk).exists()
    assert Category.objects.filter(pk=objects.category.pk).exists()


def action_choices(client: Client) -> list[str]:
    page = parse(client.get("/admin/questions/question/").content)
    return [
        option.attrs["value"] for option in page.find("select", name="action").find_all("option")
    ]


def test_it_offers_editors_no_delete_action(client: Client, objects: Bank) -> None:
    client.force_login(make_editor())

    assert action_choices(client) == ["", "retire", "restore"]


def test_it_ignores_a_delete_selected_posted_by_an_editor(client: Client, objects: Bank) -> None:
    client.force_login(make_editor())

    response = client.post(
        "/admin/questions/question/",
        {"action": "delete_selected", "_selected_action": [objects.question.pk], "post": "yes"},
        follow=True,
    )

    assert Question.objects.filter(pk=objects.question.pk).exists()
    assert "No action selected." in [str(message) for message in response.context["messages"]]


def test_it_shows_editors_only_the_bank_on_the_index(client: Client, objects: Bank) -> None:
    client.force_login(make_editor())

    app_list = client.get("/admin/").context["app_list"]

    models = {
        (app["app_label"], model["object_name"]) for app in app_list for model in app["models"]
    }
    assert models == {
        ("questions", "AnswerFlag"),
        ("questions", "Category"),
        ("questions", "Question"),
        ("questions", "Scenario"),
    }


def test_it_gives_editors_no_rights_on_users_or_interviews(db: None) -> None:
    editor = make_editor()

    for app_label, model in [("auth", "user"), ("auth", "group"), ("interviews", "item")]:
        for action in ("view", "add", "change", "delete"):
            assert not editor.has_perm(f"{app_label}.{action}_{model}")
    assert not editor.has_perm("interviews.view_interviewsession")
    assert editor.has_perm("questions.change_question")
    assert not editor.has_perm("questions.delete_question")
    assert not editor.has_perm("questions.delete_scenario")
    assert editor.has_perm("questions.delete_keypoint")


# Superusers


@pytest.mark.parametrize("name", PAGES)
def test_it_lets_superusers_open_every_page(client: Client, objects: Bank, name: str) -> None:
    client.force_login(make_superuser())

    response = client.get(PAGES[name].url(objects))

    assert response.status_code == 200
    assert page_title(response).startswith(PAGES[name].title)


def test_it_offers_superusers_the_delete_action(client: Client, objects: Bank) -> None:
    client.force_login(make_superuser())

    assert action_choices(client) == ["", "delete_selected", "retire", "restore"]


# The Editors group


def test_the_migration_gives_editors_exactly_least_privilege(db: None) -> None:
    """Run the data migration's own function against the schema it was written for."""
    migration = importlib.import_module("questions.migrations.0003_editors_group")
    state = MigrationExecutor(connection).loader.project_state(("questions", "0003_editors_group"))
    Group.objects.filter(name=EDITORS).delete()

    migration.create_editors_group(state.apps, None)
    migration.create_editors_group(state.apps, None)  # running it again changes nothing

    group = Group.objects.get(name=EDITORS)
    granted = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert granted == {
        ("questions", f"{action}_{model}")
        for action in ("view", "add", "change")
        for model in ("category", "question", "scenario", "answerflag")
    }
    assert {codename for _, codename in granted} == set(migration.EDITOR_PERMISSIONS)


def test_the_key_points_migration_lets_editors_keep_key_points(db: None) -> None:
    """Editors may also delete a key point (never a question or scenario), as 0005 grants."""
    first = importlib.import_module("questions.migrations.0003_editors_group")
    migration = importlib.import_module("questions.migrations.0005_editors_key_points")
    state = MigrationExecutor(connection).loader.project_state(
        ("questions", "0005_editors_key_points")
    )
    Group.objects.filter(name=EDITORS).delete()

    first.create_editors_group(state.apps, None)
    migration.grant_key_points_to_editors(state.apps, None)
    migration.grant_key_points_to_editors(state.apps, None)  # running it again changes nothing

    granted = set(Group.objects.get(name=EDITORS).permissions.values_list("codename", flat=True))
    assert granted - set(first.EDITOR_PERMISSIONS) == {
        f"{action}_keypoint" for action in ("view", "add", "change", "delete")
    }
    assert granted == EDITOR_PERMISSIONS


# manage.py add_editor


def add_editor(*args: str) -> str:
    out = io.StringIO()
    call_command("add_editor", *args, stdout=out)
    return out.getvalue()


def test_add_editor_makes_a_user_staff_and_an_editor(editors_group: Group) -> None:
    make_user("alice")

    out = add_editor("alice")

    assert out == "alice is now an editor (staff, Editors).\n"
    alice = User.objects.get(username="alice")
    assert alice.is_staff
    assert not alice.is_superuser
    assert list(alice.groups.all()) == [editors_group]


def test_add_editor_says_when_nothing_changes(db: None) -> None:
    make_user("alice")
    add_editor("alice")

    out = add_editor("alice")

    assert out == "alice is already an editor; nothing changed.\n"
    assert User.objects.get(username="alice").groups.count() == 1


def test_add_editor_completes_a_staff_member_outside_the_group(editors_group: Group) -> None:
    make_user("alice", is_staff=True)

    out = add_editor("alice")

    assert out == "alice is now an editor (staff, Editors).\n"
    assert list(User.objects.get(username="alice").groups.all()) == [editors_group]


def test_add_editor_names_an_unknown_user(db: None) -> None:
    with pytest.raises(CommandError, match=r"^No user named 'ghost'\."):
        add_editor("ghost")

    assert not User.objects.exists()


def test_add_editor_dry_run_changes_nothing(db: None) -> None:
    make_user("alice")

    out = add_editor("alice", "--dry-run")

    assert out == "Dry run: alice would become staff and an editor.\n"
    alice = User.objects.get(username="alice")
    assert not alice.is_staff
    assert not alice.groups.exists()


def test_add_editor_asks_for_migrate_without_the_group(db: None) -> None:
    Group.objects.filter(name=EDITORS).delete()
    make_user("alice")

    with pytest.raises(CommandError, match="manage.py migrate"):
        add_editor("alice")

    assert not User.objects.get(username="alice").is_staff
