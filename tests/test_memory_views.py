"""The memory model on the pages (issue 13): the practice run's "count toward my schedule"."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from questions.models import Category, Question
from sessions.models import Card, Grade, InterviewSession
from tests.cast import answer, start_interview
from tests.dom import parse

pytestmark = pytest.mark.django_db

NEW_URL = "/interviews/new/"


def start_form(mode: str, **extra: str) -> dict[str, Any]:
    return {
        "categories": [category.pk for category in Category.objects.all()],
        "question_count": "2",
        "seconds_per_item": "120",
        "mode": mode,
        **extra,
    }


class TestCountTowardMySchedule:
    def test_the_form_offers_it_checked_for_practice_runs(
        self, owner_client: Client, questions: list[Question]
    ) -> None:
        page = parse(owner_client.get(NEW_URL).content)

        field = page.find("div", cls="practice-only")
        box = field.find("input", name="counts_toward_schedule")
        assert box.attrs["type"] == "checkbox" and "checked" in box.attrs
        assert field.find("label").words == "Count toward my schedule"

    def test_a_practice_run_can_be_left_out_of_the_schedule(
        self, owner_client: Client, owner: User, questions: list[Question], clock: Any
    ) -> None:
        owner_client.post(NEW_URL, start_form("practice"))  # the box unticked: not posted
        session = InterviewSession.objects.get()
        assert not session.counts_toward_schedule

        answer(session, Grade.SOLID)

        assert not Card.objects.exists()

    def test_a_ticked_practice_run_counts(
        self, owner_client: Client, owner: User, questions: list[Question], clock: Any
    ) -> None:
        owner_client.post(NEW_URL, start_form("practice", counts_toward_schedule="on"))
        session = InterviewSession.objects.get()

        answer(session, Grade.SOLID)

        assert session.counts_toward_schedule
        assert Card.objects.get().reviews == 1

    def test_a_timed_interview_always_counts(
        self, owner_client: Client, questions: list[Question]
    ) -> None:
        owner_client.post(NEW_URL, start_form("timed"))  # the box unticked, as it was hidden

        assert InterviewSession.objects.get().counts_toward_schedule

    def test_retrying_the_weak_questions_keeps_the_choice(
        self, owner_client: Client, owner: User, questions: list[Question], clock: Any
    ) -> None:
        practice = start_interview(
            owner,
            questions[:1],
            mode=InterviewSession.Mode.PRACTICE,
            counts_toward_schedule=False,
        )
        answer(practice, Grade.MISSED)

        owner_client.post(f"/interviews/{practice.pk}/retry/")

        retry = InterviewSession.objects.exclude(pk=practice.pk).get()
        assert not retry.counts_toward_schedule
