"""Answering out loud in a real browser (issue 16): record, stop on reveal, play back, delete.

Chromium runs with a fake microphone and an automatic "allow" (conftest.MEDIA_ARGS). A refused
or missing microphone is a getUserMedia that rejects, as the browser's would. The speech
service of headless Chromium is out of reach (no network), so the live transcript fails there
and says so; its success path uses a stand-in for the browser's SpeechRecognition.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from questions.bank import ParsedBank
from questions.models import Question
from sessions import services
from sessions.models import InterviewSession, Preferences, Recording
from tests.cast import make_user
from tests.e2e.conftest import DESKTOP, PHONE, BrowserProblems, Screenshot, assert_fits, log_in
from tests.e2e.interview_page import model_answer, notes_box
from tests.e2e.test_accessibility import AXE, RUN_AXE

pytestmark = pytest.mark.e2e

LIMIT = 300  # seconds per question
NOTES = "Generative AI creates new content: text, images, code."
MediaContext = Callable[..., BrowserContext]

# The browser's own store of recordings, read back by the tests.
STORED_KEYS = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open("interview-recordings", 1);
  request.onsuccess = () => {
    const database = request.result;
    if (!database.objectStoreNames.contains("recordings")) { resolve([]); return; }
    const keys = database.transaction("recordings").objectStore("recordings").getAllKeys();
    keys.onsuccess = () => resolve(keys.result);
    keys.onerror = () => reject(keys.error);
  };
  request.onerror = () => reject(request.error);
})"""

# The length the player learns (recorder.js seeks WebM's unknown duration out of it).
DURATION = """(audio) => new Promise((resolve) => {
  const check = () => {
    if (Number.isFinite(audio.duration) && audio.duration > 0) resolve(audio.duration);
    else setTimeout(check, 50);
  };
  check();
})"""


def violations(page: Page) -> list[str]:
    """axe's WCAG A and AA findings, with the page's CSP left on (so it still checks media-src:
    axe is evaluated through the debugging protocol, not added as a script tag)."""
    page.evaluate(AXE.read_text() + "\n;undefined")
    return page.evaluate(RUN_AXE)


def refusing_microphone(name: str) -> str:
    """An init script: getUserMedia rejects as the browser does when `name` happens."""
    return (
        "if (navigator.mediaDevices) navigator.mediaDevices.getUserMedia = () => Promise.reject("
        f"new DOMException('refused by the test', '{name}'));"
    )


# A stand-in for the browser's speech service: what it "hears" arrives as one final result.
HEARD = f"""
window.SpeechRecognition = class {{
  constructor() {{ this.listeners = {{}}; }}
  addEventListener(type, listener) {{ this.listeners[type] = listener; }}
  start() {{
    setTimeout(() => this.listeners.result({{
      resultIndex: 0,
      results: [Object.assign([{{ transcript: {NOTES!r} }}], {{ isFinal: true }})],
    }}), 100);
  }}
  stop() {{}}
}};
"""


def timed_interview(numbers: list[int], *, seconds: int = LIMIT) -> InterviewSession:
    return services.start_session(
        user=make_user("candidate"),
        questions=list(Question.objects.filter(number__in=numbers).order_by("number")),
        mode=InterviewSession.Mode.TIMED,
        seconds_per_item=seconds,
        include_scenarios=False,
        now=timezone.now(),
    )


@pytest.fixture
def interview(live_bank: ParsedBank) -> InterviewSession:
    """A timed interview of bank question 1 alone."""
    return timed_interview([1])


def record_button(page: Page) -> Any:
    return page.locator("[data-record-toggle]")


def recorder_status(page: Page) -> Any:
    return page.locator("[data-recorder-status]")


def uploads_of(page: Page) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/recording/upload/" in r.url else None)
    return sent


def test_a_candidate_records_hears_it_back_and_deletes_it(
    new_media_context: MediaContext,
    interview: InterviewSession,
    screenshot: Screenshot,
    color_scheme: str,
    width: int,
) -> None:
    phone = width == PHONE
    context = new_media_context(
        viewport={"width": width, "height": 900},
        color_scheme=color_scheme,
        has_touch=phone,
        is_mobile=phone,
    )
    problems = BrowserProblems()
    page = problems.watch(context).new_page()
    uploads = uploads_of(page)
    log_in(page)
    page.goto(interview.item_url(0))

    # R (from anywhere but the notes) starts recording; the time spoken shows beside the clock.
    expect(record_button(page)).to_have_text(re.compile(r"^Record answer"))
    page.locator("#item-heading").focus()
    page.keyboard.press("r")
    expect(record_button(page)).to_have_attribute("aria-pressed", "true")
    expect(record_button(page)).to_have_text(re.compile(r"^Stop recording"))
    elapsed = page.locator(".timer [data-recording-elapsed]")
    expect(elapsed).to_be_visible()
    expect(elapsed).to_have_text(re.compile(r"Speaking 0:0[1-9]"))
    assert notes_box(page).input_value() == ""  # the R was a shortcut, not typed
    # The text box works while recording.
    notes_box(page).fill(NOTES)
    assert_fits(page)
    screenshot(page, "1-recording")
    assert violations(page) == []

    # The reveal stops the recording; it plays back beside the model answer and key points.
    page.keyboard.press("Control+Enter")
    expect(model_answer(page)).to_be_focused()
    player = page.locator("[data-recording-slot] audio")
    expect(player).to_be_visible()
    assert player.evaluate(DURATION) > 0.5
    expect(page.locator("[data-recording-slot] [data-recording-note]")).to_have_text(
        re.compile(r"^Recorded 0:0[1-9]\.$")
    )
    expect(page.get_by_role("checkbox")).to_have_count(3)  # the key points, beside it
    assert page.evaluate(STORED_KEYS) == [f"{interview.pk}:0"]
    assert_fits(page)
    screenshot(page, "2-revealed-playback")
    assert violations(page) == []

    # Kept in the browser only: nothing was uploaded; the summary plays it too.
    page.keyboard.press("3")
    expect(page.get_by_role("heading", name="Interview summary", level=1)).to_be_visible()
    summary_player = page.locator("#item-0 [data-recording-slot] audio")
    expect(summary_player).to_be_visible()
    assert summary_player.evaluate(DURATION) > 0.5
    assert uploads == []
    assert not Recording.objects.exists()
    delete = page.get_by_role("button", name="Delete recordings")
    expect(delete).to_be_visible()
    assert_fits(page)
    screenshot(page, "3-summary-playback")
    assert violations(page) == []

    delete.click()
    expect(page.locator(".messages")).to_have_text("The recordings of this interview were deleted.")
    expect(page.locator("[data-recording-slot] audio")).to_have_count(0)
    expect(delete).to_be_hidden()
    assert page.evaluate(STORED_KEYS) == []
    problems.assert_none()


def test_the_clock_running_out_stops_the_recording(
    new_media_context: MediaContext, live_bank: ParsedBank
) -> None:
    # A real three-second clock (the recording itself runs on real time).
    interview = timed_interview([1], seconds=3)
    context = new_media_context(viewport={"width": DESKTOP, "height": 900})
    problems = BrowserProblems()
    page = problems.watch(context).new_page()
    log_in(page)
    page.goto(interview.item_url(0))
    record_button(page).click()
    expect(record_button(page)).to_have_attribute("aria-pressed", "true")

    # The clock at zero revealed the answer, and the recording ended with it.
    expect(model_answer(page)).to_be_visible(timeout=10_000)
    player = page.locator("[data-recording-slot] audio")
    expect(player).to_be_visible()
    assert player.evaluate(DURATION) > 0
    assert page.evaluate(STORED_KEYS) == [f"{interview.pk}:0"]
    expect(record_button(page)).to_have_count(0)
    assert interview.items.get().timed_out
    problems.assert_none()


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ("NotAllowedError", "Microphone access was refused"),
        ("NotFoundError", "No microphone was found"),
    ],
)
def test_a_refused_or_missing_microphone_says_so_and_the_text_box_still_works(
    new_media_context: MediaContext,
    interview: InterviewSession,
    screenshot: Screenshot,
    error: str,
    message: str,
) -> None:
    context = new_media_context(viewport={"width": 360, "height": 800})
    context.add_init_script(refusing_microphone(error))
    problems = BrowserProblems()
    page = problems.watch(context).new_page()
    log_in(page)
    page.goto(interview.item_url(0))

    record_button(page).click()

    expect(recorder_status(page)).to_contain_text(message)
    expect(recorder_status(page)).to_contain_text("You can still type your answer.")
    expect(record_button(page)).to_have_attribute("aria-pressed", "false")
    expect(record_button(page)).to_be_enabled()
    screenshot(page, "refused")
    notes_box(page).fill(NOTES)
    page.get_by_role("button", name="Reveal answer").click()
    expect(model_answer(page)).to_be_visible()
    expect(page.locator(".notes-text")).to_contain_text("creates new content")
    expect(page.locator("[data-recording-slot]")).to_be_hidden()
    problems.assert_none()


def test_kept_recordings_go_to_the_server_for_the_owner_only(
    new_media_context: MediaContext, interview: InterviewSession, screenshot: Screenshot
) -> None:
    Preferences.objects.create(user=interview.user, keep_recordings=True)
    make_user("other")
    context = new_media_context(viewport={"width": DESKTOP, "height": 900})
    problems = BrowserProblems()
    page = problems.watch(context).new_page()
    log_in(page)
    page.goto(interview.item_url(0))

    record_button(page).click()
    expect(page.locator(".timer [data-recording-elapsed]")).to_have_text(re.compile(r"0:0[1-9]"))
    page.get_by_role("button", name="Reveal answer").click()

    note = page.locator("[data-recording-slot] [data-recording-note]")
    expect(note).to_have_text("Kept with the interview (and in this browser).")
    kept = Recording.objects.get(item__session=interview, item__position=0)
    assert kept.content_type == "audio/webm"
    assert bytes(kept.audio)[:4] == b"\x1a\x45\xdf\xa3"
    assert kept.size > 1000

    # The summary plays the server's copy.
    page.keyboard.press("2")
    url = interview.item_url(0) + "recording/"
    player = page.locator("#item-0 [data-recording-slot] audio")
    expect(player).to_have_attribute("src", url)
    assert player.evaluate(DURATION) > 0.5
    screenshot(page, "summary-kept")

    # Anyone else: 404.
    other = new_media_context().new_page()
    log_in(other, "other")
    assert other.goto(url).status == 404
    problems.assert_none()


def test_headless_chromium_offers_no_speech_service_and_the_recording_goes_on(
    new_media_context: MediaContext, interview: InterviewSession
) -> None:
    context = new_media_context(viewport={"width": DESKTOP, "height": 900})
    problems = BrowserProblems()
    page = problems.watch(context).new_page()
    log_in(page)
    page.goto(interview.item_url(0))
    transcript = page.get_by_label("Transcribe into my notes")
    expect(transcript).to_be_visible()

    transcript.check()
    record_button(page).click()

    expect(recorder_status(page)).to_contain_text("The recording goes on")
    expect(record_button(page)).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".timer [data-recording-elapsed]")).to_have_text(re.compile(r"0:0[1-9]"))
    page.keyboard.press("Control+Enter")
    expect(page.locator("[data-recording-slot] audio")).to_be_visible()
    problems.assert_none()


def test_a_live_transcript_fills_the_notes_and_meets_the_key_points(
    new_media_context: MediaContext, interview: InterviewSession, screenshot: Screenshot
) -> None:
    context = new_media_context(viewport={"width": DESKTOP, "height": 900})
    context.add_init_script(HEARD)
    problems = BrowserProblems()
    page = problems.watch(context).new_page()
    log_in(page)
    page.goto(interview.item_url(0))

    page.get_by_label("Transcribe into my notes").check()
    record_button(page).click()

    expect(notes_box(page)).to_have_value(f"[transcribed] {NOTES}")
    expect(page.locator("[data-transcribed-flag]")).to_be_visible()
    # Saved as typed notes are.
    expect(page.locator("[data-autosave-status]")).to_contain_text("Saved")
    screenshot(page, "transcribed")
    page.keyboard.press("Control+Enter")

    first_point = page.locator(".key-point").nth(0)
    expect(first_point.locator(".tag-mentioned")).to_have_text("mentioned in your notes")
    expect(page.get_by_role("checkbox").nth(0)).to_be_checked()
    assert interview.items.get().notes == f"[transcribed] {NOTES}"
    problems.assert_none()


def test_without_speech_recognition_the_recorder_says_so(
    new_media_context: MediaContext, interview: InterviewSession
) -> None:
    context = new_media_context(viewport={"width": DESKTOP, "height": 900})
    context.add_init_script(
        "delete window.webkitSpeechRecognition; delete window.SpeechRecognition;"
    )
    page = context.new_page()
    log_in(page)
    page.goto(interview.item_url(0))

    expect(page.locator("[data-transcript-choice]")).to_have_text(
        "No live transcript in this browser: the recording still works, the notes are typed."
    )
    record_button(page).click()
    expect(record_button(page)).to_have_attribute("aria-pressed", "true")


# Counts the tones the page starts (the Web Audio API's oscillators).
COUNT_TONES = """
window.__tones = 0;
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__tones += 1;
  return start.apply(this, args);
};
"""


@pytest.mark.parametrize("chosen", [True, False], ids=["sound-on", "sound-off"])
def test_the_clock_beeps_once_at_the_warning_only_when_chosen(
    new_media_context: MediaContext, interview: InterviewSession, chosen: bool
) -> None:
    Preferences.objects.create(user=interview.user, warning_sound=chosen)
    context = new_media_context(viewport={"width": DESKTOP, "height": 900})
    context.add_init_script(COUNT_TONES)
    page = context.new_page()
    page.clock.install()
    log_in(page)
    page.goto(interview.item_url(0))
    notes_box(page).type("a")  # a key pressed: the page may make sound
    timer = page.locator("[data-timer]")

    page.clock.run_for((LIMIT - LIMIT // 5 - 2) * 1000)
    expect(timer).not_to_have_class(re.compile("is-low"))
    assert page.evaluate("() => window.__tones") == 0

    page.clock.run_for(4000)
    expect(timer).to_have_class(re.compile("is-low"))
    page.clock.run_for(4000)
    assert page.evaluate("() => window.__tones") == (1 if chosen else 0)


def test_the_browser_without_a_microphone_refuses_and_says_so(
    new_context: Callable[..., BrowserContext], interview: InterviewSession
) -> None:
    # The suite's ordinary Chromium: no fake device, no automatic allow, no permission granted.
    context = new_context(viewport={"width": DESKTOP, "height": 900})
    context.grant_permissions([])
    problems = BrowserProblems()
    page = problems.watch(context).new_page()
    log_in(page)
    page.goto(interview.item_url(0))

    record_button(page).click()

    expect(recorder_status(page)).to_have_text(
        "No microphone was found, so nothing is recorded. You can still type your answer."
    )
    expect(record_button(page)).to_have_attribute("aria-pressed", "false")
    notes_box(page).fill(NOTES)
    expect(notes_box(page)).to_have_value(NOTES)
    problems.assert_none()


def test_the_interview_settings_are_chosen_on_the_settings_page(
    new_context: Callable[..., BrowserContext],
    live_bank: ParsedBank,
    screenshot: Screenshot,
    color_scheme: str,
) -> None:
    user = make_user("candidate")
    context = new_context(
        viewport={"width": PHONE, "height": 800}, color_scheme=color_scheme, has_touch=True
    )
    problems = BrowserProblems()
    page = problems.watch(context).new_page()
    log_in(page)
    page.goto("/accounts/settings/")
    keep = page.get_by_label("Keep my recordings")
    sound = page.get_by_label("Beep when the clock is nearly out")
    expect(keep).not_to_be_checked()
    expect(sound).not_to_be_checked()

    keep.check()
    page.get_by_role("button", name="Save interview settings").click()

    expect(page.locator(".messages")).to_have_text("Interview settings saved.")
    expect(page.get_by_label("Keep my recordings")).to_be_checked()
    saved = Preferences.objects.get(user=user)
    assert (saved.keep_recordings, saved.warning_sound) == (True, False)
    assert_fits(page)
    screenshot(page, "saved")
    assert violations(page) == []
    problems.assert_none()
