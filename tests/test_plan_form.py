"""The plan form (/readiness/plan/): the interview date (set, change, clear; never a past day),
new questions a day (0–50) and the time zone; a refusal says why and keeps what was typed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from time_machine import TimeMachineFixture

from sessions.models import Preferences
from tests.cast import anonymous, count_queries, messages_of
from tests.dom import Node, form_data, parse

pytestmark = pytest.mark.django_db

URL = "/readiness/plan/"
# The login session, the user, the open interview, the preferences.
BUDGET = 4


def form_of(response: object) -> Node:
    return parse(response.content).find("form", cls="plan-form")  # type: ignore[attr-defined]


def errors_of(form: Node) -> dict[str, str]:
    """Each field's error, by the field's name."""
    found = {}
    for field in form.find_all("div", cls="field-error"):
        control = next(node for node in field.iter() if node.attrs.get("name"))
        found[control.attrs["name"] or ""] = field.find("ul", cls="errorlist").words
    return found


def post(client: Client, **fields: str) -> object:
    data = {"interview_date": "2025-03-20", "new_per_day": "12", "time_zone": "Europe/Paris"}
    data.update(fields)
    return client.post(URL, data)


@pytest.fixture(autouse=True)
def _clock(clock: TimeMachineFixture) -> None:
    """T0 is 9:00 UTC on Saturday 1 March 2025."""


class TestSaving:
    def test_it_saves_the_plan_and_goes_to_readiness(
        self, owner: User, owner_client: Client
    ) -> None:
        response = post(owner_client)

        assert response.status_code == 302  # type: ignore[attr-defined]
        assert response["Location"] == "/readiness/"  # type: ignore[index]
        assert messages_of(response) == ["Plan saved."]  # type: ignore[arg-type]
        saved = Preferences.objects.get(user=owner)
        assert (saved.interview_date, saved.new_per_day, saved.time_zone) == (
            date(2025, 3, 20),
            12,
            "Europe/Paris",
        )

    def test_it_changes_a_saved_plan(self, owner: User, owner_client: Client) -> None:
        Preferences.objects.create(user=owner, interview_date=date(2025, 4, 1), new_per_day=3)

        post(owner_client, interview_date="2025-05-02", new_per_day="0")

        saved = Preferences.objects.get(user=owner)
        assert (saved.interview_date, saved.new_per_day) == (date(2025, 5, 2), 0)

    def test_the_form_shows_the_saved_plan(self, owner: User, owner_client: Client) -> None:
        Preferences.objects.create(
            user=owner, interview_date=date(2025, 4, 1), new_per_day=3, time_zone="Asia/Tokyo"
        )

        form = form_of(owner_client.get(URL))

        assert form_data(form) == {
            "csrfmiddlewaretoken": form_data(form)["csrfmiddlewaretoken"],
            "interview_date": ["2025-04-01"],
            "new_per_day": ["3"],
            "time_zone": ["Asia/Tokyo"],
        }
        assert form.find("input", name="interview_date").attrs["type"] == "date"
        assert form.find("button", name="clear_date").words == "Clear the date"

    def test_before_any_plan_the_defaults_are_offered(self, owner_client: Client) -> None:
        form = form_of(owner_client.get(URL))

        data = form_data(form)
        assert (data["interview_date"], data["new_per_day"], data["time_zone"]) == (
            [""],
            ["10"],
            ["UTC"],
        )
        assert not form.find_all("button", name="clear_date")  # nothing to clear

    def test_clearing_removes_the_date_and_keeps_the_rest(
        self, owner: User, owner_client: Client
    ) -> None:
        Preferences.objects.create(user=owner, interview_date=date(2025, 4, 1))

        response = post(owner_client, clear_date="1")

        assert messages_of(response) == ["Interview date cleared; plan saved."]  # type: ignore[arg-type]
        saved = Preferences.objects.get(user=owner)
        assert (saved.interview_date, saved.new_per_day, saved.time_zone) == (
            None,
            12,
            "Europe/Paris",
        )

    def test_today_is_not_past(self, owner: User, owner_client: Client) -> None:
        post(owner_client, interview_date="2025-03-01", time_zone="UTC")
        assert Preferences.objects.get(user=owner).interview_date == date(2025, 3, 1)

    def test_the_browser_zone_button_is_a_static_script_hidden_without_it(
        self, owner_client: Client
    ) -> None:
        page = parse(owner_client.get(URL).content)

        button = page.find("button", id="use-browser-zone")
        assert "hidden" in button.attrs and button.attrs["type"] == "button"
        assert [s.attrs.get("src") for s in page.find_all("script") if "src" in s.attrs][
            -1
        ] == "/static/js/plan.js"
        assert all("src" in script.attrs for script in page.find_all("script"))


class TestRefusals:
    def test_a_past_date_is_refused_and_nothing_typed_is_lost(self, owner_client: Client) -> None:
        response = post(owner_client, interview_date="2025-02-28", new_per_day="7")

        assert response.status_code == 400  # type: ignore[attr-defined]
        form = form_of(response)
        assert errors_of(form) == {
            "interview_date": "28 Feb 2025 has passed: choose today (1 Mar 2025) or a later "
            "day, or clear the date."
        }
        data = form_data(form)
        assert (data["interview_date"], data["new_per_day"], data["time_zone"]) == (
            ["2025-02-28"],
            ["7"],
            ["Europe/Paris"],
        )
        assert not Preferences.objects.exists()

    def test_past_is_judged_in_the_zone_chosen(
        self, owner_client: Client, clock: TimeMachineFixture
    ) -> None:
        clock.move_to(datetime(2025, 3, 1, 22, 30, tzinfo=UTC), tick=False)

        in_sydney = post(owner_client, interview_date="2025-03-01", time_zone="Australia/Sydney")
        in_london = post(owner_client, interview_date="2025-03-01", time_zone="Europe/London")

        assert in_sydney.status_code == 400  # type: ignore[attr-defined]
        assert "choose today (2 Mar 2025)" in errors_of(form_of(in_sydney))["interview_date"]
        assert in_london.status_code == 302  # type: ignore[attr-defined]

    @pytest.mark.parametrize("typed", ["51", "-1", "ten", "1e3", ""])
    def test_new_questions_a_day_must_be_0_to_50(self, owner_client: Client, typed: str) -> None:
        response = post(owner_client, new_per_day=typed)

        assert response.status_code == 400  # type: ignore[attr-defined]
        form = form_of(response)
        (problem,) = errors_of(form).values()
        assert "0–50" in problem or "between 0 and 50" in problem
        assert form_data(form)["new_per_day"] == [typed]
        assert form_data(form)["interview_date"] == ["2025-03-20"]
        assert not Preferences.objects.exists()

    @pytest.mark.parametrize("typed", ["Mars/Olympus_Mons", "localtime", "", "<b>UTC</b>"])
    def test_an_unknown_time_zone_is_refused(self, owner_client: Client, typed: str) -> None:
        response = post(owner_client, time_zone=typed, new_per_day="9")

        assert response.status_code == 400  # type: ignore[attr-defined]
        form = form_of(response)
        expected = (
            "Choose your time zone."
            if not typed
            else f"“{typed}” is not a time zone we know; choose one from the list."
        )
        assert errors_of(form) == {"time_zone": expected}
        data = form_data(form)
        assert (data["interview_date"], data["new_per_day"]) == (["2025-03-20"], ["9"])
        assert not Preferences.objects.exists()

    def test_a_refusal_offers_to_clear_only_a_saved_date(self, owner_client: Client) -> None:
        response = post(owner_client, time_zone="Mars/Olympus_Mons")  # a valid date typed

        assert not form_of(response).find_all("button", name="clear_date")

    def test_a_malformed_date_is_refused(self, owner_client: Client) -> None:
        response = post(owner_client, interview_date="20/03/2025")

        assert response.status_code == 400  # type: ignore[attr-defined]
        form = form_of(response)
        assert errors_of(form) == {
            "interview_date": "Enter the date as year-month-day, e.g. 2025-03-20."
        }
        assert form_data(form)["interview_date"] == ["20/03/2025"]

    def test_it_needs_a_login(self) -> None:
        response = anonymous().post(URL, {"new_per_day": "5"})
        assert response.status_code == 302
        assert not Preferences.objects.exists()


def test_it_changes_only_the_users_own_plan(
    owner: User, other_user: User, owner_client: Client
) -> None:
    Preferences.objects.create(user=other_user, new_per_day=2, time_zone="Asia/Tokyo")

    post(owner_client)

    theirs = Preferences.objects.get(user=other_user)
    assert (theirs.new_per_day, theirs.time_zone) == (2, "Asia/Tokyo")


def test_it_runs_a_fixed_number_of_queries(
    owner: User, owner_client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    before = count_queries(owner_client, URL, django_assert_max_num_queries, BUDGET)
    Preferences.objects.create(user=owner, interview_date=date(2025, 4, 1))
    assert count_queries(owner_client, URL, django_assert_max_num_queries, BUDGET) == before
