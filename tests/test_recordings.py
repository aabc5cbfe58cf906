"""Spoken answers kept on the server (issue 16): upload, serve, delete; the interview settings.

Only for a candidate who turned "keep recordings" on; owner-only (404 for anyone else); the
size and container checked with a plain-text reason (4xx, never 500); gone with the interview
and with the account.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings

from sessions.models import InterviewSession, Preferences, Recording
from sessions.scoring import Grade
from tests.cast import (
    PASSWORD,
    T0,
    anonymous,
    answer_each,
    html,
    item_url,
    logged_in,
    messages_shown,
    start_interview,
    summary_url,
)
from tests.dom import find_all

pytestmark = pytest.mark.django_db

WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 60  # the EBML signature MediaRecorder's WebM starts with
OGG = b"OggS" + b"\x00" * 60
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 52
SETTINGS_URL = "/accounts/settings/"
INTERVIEW_SETTINGS_URL = "/accounts/settings/interview/"


def audio(data: bytes = WEBM, content_type: str = "audio/webm") -> SimpleUploadedFile:
    return SimpleUploadedFile("answer.webm", data, content_type=content_type)


def keeping(user: User) -> User:
    Preferences.objects.update_or_create(user=user, defaults={"keep_recordings": True})
    return user


def upload(client: Client, session: InterviewSession, position: int = 0, **kwargs: Any) -> Any:
    return client.post(item_url(session, position, "recording/upload"), {"audio": audio(**kwargs)})


def recording_url(session: InterviewSession, position: int = 0) -> str:
    return item_url(session, position, "recording")


class TestUpload:
    def test_it_keeps_the_recording_of_a_candidate_who_chose_so(
        self, owner: User, session: InterviewSession, clock: Any
    ) -> None:
        response = upload(logged_in(keeping(owner)), session)

        assert response.status_code == 204
        kept = Recording.objects.get(item__session=session, item__position=0)
        assert (bytes(kept.audio), kept.content_type, kept.size) == (WEBM, "audio/webm", 64)
        assert kept.recorded_at == T0

    def test_it_replaces_an_earlier_recording_of_the_item(
        self, owner: User, session: InterviewSession
    ) -> None:
        client = logged_in(keeping(owner))
        upload(client, session)
        upload(client, session, data=OGG, content_type="audio/ogg")

        (kept,) = Recording.objects.filter(item__session=session)
        assert (bytes(kept.audio), kept.content_type) == (OGG, "audio/ogg")

    @pytest.mark.parametrize(
        ("data", "content_type"), [(WEBM, "audio/webm"), (OGG, "audio/ogg"), (MP4, "audio/mp4")]
    )
    def test_it_accepts_each_container_media_recorder_writes(
        self, owner: User, session: InterviewSession, data: bytes, content_type: str
    ) -> None:
        response = upload(logged_in(keeping(owner)), session, data=data, content_type=content_type)
        assert response.status_code == 204
        assert Recording.objects.get(item__session=session).content_type == content_type

    def test_it_uploads_nothing_while_keeping_is_off(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        response = upload(owner_client, session)

        assert response.status_code == 403
        assert "Keeping recordings is off in your settings" in html(response)
        assert not Recording.objects.exists()

    def test_it_refuses_a_recording_over_the_limit(
        self, owner: User, session: InterviewSession, settings: Settings
    ) -> None:
        settings.RECORDING_MAX_BYTES = 2 * 1024 * 1024
        too_big = WEBM + b"\x00" * (2 * 1024 * 1024)

        response = upload(logged_in(keeping(owner)), session, data=too_big)

        assert response.status_code == 413
        assert html(response) == "The recording is larger than 2 MB, so it was not kept."
        assert not Recording.objects.exists()

    def test_it_refuses_a_body_far_over_the_limit_before_reading_it(
        self, owner: User, session: InterviewSession, settings: Settings
    ) -> None:
        settings.RECORDING_MAX_BYTES = 1024 * 1024
        # With the CSRF check on, which would read (and here choke on) the body first.
        response = logged_in(keeping(owner), enforce_csrf_checks=True).post(
            item_url(session, 0, "recording/upload"),
            b"x" * 10,
            content_type="multipart/form-data; boundary=x",
            CONTENT_LENGTH=str(5 * 1024 * 1024),
        )

        assert response.status_code == 413
        assert "larger than 1 MB" in html(response)

    @pytest.mark.parametrize(
        ("data", "content_type"),
        [
            (b"<html><script>alert(1)</script>", "audio/webm"),  # not what it claims
            (WEBM, "text/html"),
            (WEBM, "video/webm"),
            (OGG, "audio/webm"),  # a real container, labelled as another
        ],
    )
    def test_it_refuses_what_is_not_audio_in_an_accepted_container(
        self, owner: User, session: InterviewSession, data: bytes, content_type: str
    ) -> None:
        response = upload(logged_in(keeping(owner)), session, data=data, content_type=content_type)

        assert response.status_code == 415
        assert html(response) == (
            "Only audio recordings (audio/webm, audio/ogg, audio/mp4) are kept."
        )
        assert not Recording.objects.exists()

    def test_it_refuses_an_empty_or_missing_recording(
        self, owner: User, session: InterviewSession
    ) -> None:
        client = logged_in(keeping(owner))
        empty = upload(client, session, data=b"")
        missing = client.post(item_url(session, 0, "recording/upload"), {"notes": "x"})
        malformed = client.post(
            item_url(session, 0, "recording/upload"),
            b"--x\r\nContent-Disposition: form-data; name=\r\n",
            content_type="multipart/form-data",  # no boundary
        )

        assert (empty.status_code, html(empty)) == (400, "The recording is empty.")
        assert missing.status_code == 400
        assert "No recording was sent" in html(missing)
        assert malformed.status_code == 400
        assert not Recording.objects.exists()

    def test_it_refuses_an_item_not_yet_asked(self, owner: User, session: InterviewSession) -> None:
        response = upload(logged_in(keeping(owner)), session, position=1)

        assert response.status_code == 409
        assert html(response) == "This question has not been asked yet."
        assert not Recording.objects.exists()

    def test_it_is_404_for_another_users_interview_and_no_such_item(
        self, other_user: User, owner: User, session: InterviewSession
    ) -> None:
        keeping(owner)
        intruder = logged_in(keeping(other_user))

        assert upload(intruder, session).status_code == 404
        assert upload(logged_in(owner), session, position=9).status_code == 404
        assert not Recording.objects.exists()

    def test_it_needs_a_login_and_a_post(self, owner: User, session: InterviewSession) -> None:
        keeping(owner)
        response = upload(anonymous(), session)

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert logged_in(owner).get(item_url(session, 0, "recording/upload")).status_code == 405
        assert not Recording.objects.exists()

    def test_it_needs_the_csrf_token(self, owner: User, session: InterviewSession) -> None:
        client = logged_in(keeping(owner), enforce_csrf_checks=True)
        url = item_url(session, 0, "recording/upload")
        client.get(item_url(session, 0))  # the page sets the CSRF cookie

        refused = client.post(url, {"audio": audio()})
        token = client.cookies["csrftoken"].value
        accepted = client.post(url, {"audio": audio()}, HTTP_X_CSRFTOKEN=token)

        assert refused.status_code == 403
        assert accepted.status_code == 204
        assert Recording.objects.count() == 1


class TestServe:
    def test_it_serves_the_recording_to_its_owner_only(
        self, owner: User, other_user: User, session: InterviewSession
    ) -> None:
        upload(logged_in(keeping(owner)), session)

        mine = logged_in(owner).get(recording_url(session))
        theirs = logged_in(other_user).get(recording_url(session))
        nobody = anonymous().get(recording_url(session))

        assert mine.status_code == 200
        assert (mine.content, mine["Content-Type"]) == (WEBM, "audio/webm")
        assert "no-store" in mine["Cache-Control"]
        assert theirs.status_code == 404
        assert WEBM not in theirs.content
        assert nobody.status_code == 302

    def test_an_item_without_a_recording_is_404(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        assert owner_client.get(recording_url(session)).status_code == 404
        assert owner_client.get(recording_url(session, 7)).status_code == 404

    def test_the_summary_plays_the_kept_recordings_and_offers_to_delete_them(
        self, owner: User, session: InterviewSession
    ) -> None:
        client = logged_in(keeping(owner))
        upload(client, session)
        answer_each(session, [Grade.SOLID, Grade.MISSED, Grade.PARTIAL])

        page = html(client.get(summary_url(session)))

        (player,) = find_all(page, "audio")
        assert player.attrs["src"] == recording_url(session)
        (delete,) = find_all(page, "form", action=f"/interviews/{session.pk}/recordings/delete/")
        assert "hidden" not in delete.attrs

    def test_the_summary_hides_the_delete_control_with_nothing_kept(
        self, owner_client: Client, session: InterviewSession
    ) -> None:
        answer_each(session, [Grade.SOLID, Grade.MISSED, Grade.PARTIAL])

        page = html(owner_client.get(summary_url(session)))

        assert find_all(page, "audio") == []
        (delete,) = find_all(page, "form", action=f"/interviews/{session.pk}/recordings/delete/")
        assert "hidden" in delete.attrs  # the script shows it for this browser's own copies


class TestDelete:
    def test_delete_recordings_removes_this_interviews_only(
        self, owner: User, session: InterviewSession, questions: Any
    ) -> None:
        client = logged_in(keeping(owner))
        upload(client, session)
        answer_each(session, [Grade.SOLID, Grade.MISSED, Grade.PARTIAL])
        other_interview = start_interview(owner, questions)
        client.get(item_url(other_interview, 0))
        upload(client, other_interview)

        response = client.post(f"/interviews/{session.pk}/recordings/delete/", follow=True)

        assert response.redirect_chain == [(f"/interviews/{session.pk}/", 302)]
        assert messages_shown(html(response)) == ["The recordings of this interview were deleted."]
        assert list(Recording.objects.values_list("item__session", flat=True)) == [
            other_interview.pk
        ]
        assert client.get(recording_url(session)).status_code == 404

    def test_another_user_cannot_delete_them(
        self, owner: User, other_user: User, session: InterviewSession
    ) -> None:
        upload(logged_in(keeping(owner)), session)

        response = logged_in(other_user).post(f"/interviews/{session.pk}/recordings/delete/")

        assert response.status_code == 404
        assert Recording.objects.count() == 1

    def test_they_go_with_the_interview(self, owner: User, session: InterviewSession) -> None:
        upload(logged_in(keeping(owner)), session)
        assert Recording.objects.count() == 1

        session.delete()

        assert not Recording.objects.exists()

    def test_they_go_with_the_account(self, owner: User, session: InterviewSession) -> None:
        client = logged_in(keeping(owner))
        upload(client, session)

        client.post("/accounts/settings/delete/", {"password": PASSWORD})

        assert not User.objects.filter(pk=owner.pk).exists()
        assert not Recording.objects.exists()


class TestInterviewSettings:
    def test_both_are_off_until_chosen(self, owner_client: Client) -> None:
        page = html(owner_client.get(SETTINGS_URL))

        (keep,) = find_all(page, "input", name="keep_recordings")
        (sound,) = find_all(page, "input", name="warning_sound")
        assert "checked" not in keep.attrs
        assert "checked" not in sound.attrs

    def test_it_saves_and_clears_them(self, owner: User, owner_client: Client) -> None:
        response = owner_client.post(
            INTERVIEW_SETTINGS_URL, {"keep_recordings": "on", "warning_sound": "on"}, follow=True
        )

        assert messages_shown(html(response)) == ["Interview settings saved."]
        saved = Preferences.objects.get(user=owner)
        assert (saved.keep_recordings, saved.warning_sound) == (True, True)
        (keep,) = find_all(html(response), "input", name="keep_recordings")
        assert "checked" in keep.attrs

        owner_client.post(INTERVIEW_SETTINGS_URL, {"warning_sound": "on"})

        saved.refresh_from_db()
        assert (saved.keep_recordings, saved.warning_sound) == (False, True)

    def test_saving_them_keeps_the_plan(self, owner: User, owner_client: Client) -> None:
        Preferences.objects.create(user=owner, time_zone="Asia/Tokyo", new_per_day=3)

        owner_client.post(INTERVIEW_SETTINGS_URL, {"keep_recordings": "on"})

        saved = Preferences.objects.get(user=owner)
        assert (saved.time_zone, saved.new_per_day, saved.keep_recordings) == (
            "Asia/Tokyo",
            3,
            True,
        )

    def test_the_interview_page_tells_its_scripts(
        self, owner: User, owner_client: Client, session: InterviewSession
    ) -> None:
        Preferences.objects.create(user=owner, warning_sound=True)

        page = html(owner_client.get(item_url(session, 0)))

        (preferences,) = find_all(page, "div", id="interview-preferences")
        assert preferences.attrs["data-keep-recordings"] == "off"
        assert preferences.attrs["data-warning-sound"] == "on"
        (recorder,) = find_all(page, "div", cls="recorder")
        assert recorder.attrs["data-upload-url"] == item_url(session, 0, "recording/upload")
