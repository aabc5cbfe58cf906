"""Valid HTML: `<time datetime>` values HTML accepts, and every page type through the W3C Nu
validator (vnu.jar, Java).

vnu.jar is 32 MB and not in the repository: `make test` fetches it from the npm registry into
`.cache/vnu.jar` (git-ignored; `make .cache/vnu.jar` alone), or point `VNU_JAR` at one. Without it,
or without Java, the validator test fails saying so: an unvalidated page is not a passed test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth.models import User
from django.test import Client

from questions.bank import ParsedBank
from questions.models import Question
from sessions.models import InterviewSession
from sessions.templatetags.interview import datetime_attr
from tests.cast import answer, answer_each, html, start_interview, summary_url
from tests.dom import parse

VNU_JAR = Path(os.environ.get("VNU_JAR", Path(__file__).parent.parent / ".cache" / "vnu.jar"))
# htmx's attributes are not HTML's; everything else must validate.
HTMX_ATTRIBUTES = r".*Attribute “hx-[a-z-]+” not allowed.*"


def test_a_time_attribute_carries_no_more_than_the_seconds(settings: object) -> None:
    moment = datetime(2026, 12, 2, 7, 34, 34, 982984, tzinfo=UTC)
    assert datetime_attr(moment) == "2026-12-02T07:34:34+00:00"
    assert datetime_attr(None) == ""


def test_the_summary_dates_its_start_without_microseconds(
    bank: ParsedBank, owner: User, owner_client: Client
) -> None:
    session = start_interview(owner, list(Question.objects.filter(number=1)))
    answer(session, 2)
    started = datetime(2026, 12, 2, 7, 34, 34, 982984, tzinfo=UTC)
    InterviewSession.objects.filter(pk=session.pk).update(started_at=started)

    page = parse(html(owner_client.get(summary_url(session))))

    (time,) = page.find_all("time")
    assert time.attrs["datetime"] == "2026-12-02T07:34:34+00:00"


def pages(client: Client, owner: User) -> dict[str, str]:
    """One rendered page of each type, by name."""
    questions = list(Question.objects.filter(number__in=[1, 24]).order_by("number"))
    finished = start_interview(owner, questions)
    answer_each(finished, [1, 2])
    InterviewSession.objects.filter(pk=finished.pk).update(
        started_at=datetime(2026, 12, 2, 7, 34, 34, 982984, tzinfo=UTC)
    )
    live = start_interview(owner, questions, now=datetime.now(UTC))
    urls = {
        "dashboard": "/",
        "history": "/history/",
        "new interview": "/interviews/new/",
        "question list": "/questions/",
        "question detail": "/questions/1/",
        "readiness": "/readiness/",
        "plan": "/readiness/plan/",
        "drill": "/interviews/drill/",
        "account settings": "/accounts/settings/",
        "summary": summary_url(finished),
        "item record": finished.item_url(0),
        "interview, question": live.item_url(0),
    }
    rendered = {name: client.get(url).content.decode() for name, url in urls.items()}
    client.post(f"/interviews/{live.pk}/items/0/reveal/", {"notes": "Attention."})
    rendered["interview, revealed"] = client.get(live.item_url(0)).content.decode()
    client.logout()
    rendered["log-in"] = client.get("/accounts/login/").content.decode()
    return rendered


def validation_errors(files: dict[str, str]) -> list[str]:
    """The Nu validator's errors for the given files (path → name), each as 'name: line N: …'."""
    assert shutil.which("java"), "Java runs the W3C Nu validator; install a JRE"
    assert VNU_JAR.exists(), f"no validator at {VNU_JAR}: run `make .cache/vnu.jar`"
    run = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--errors-only",
         "--filterpattern", HTMX_ATTRIBUTES, *files],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    # It reports on stderr, exiting 1 when it found errors; anything else is the validator failing.
    assert run.returncode in (0, 1), run.stderr
    messages = json.loads(run.stderr)["messages"]
    return [
        f"{files.get(m.get('url', '').removeprefix('file:'), m.get('url'))}: line "
        f"{m.get('lastLine')}: {m['message']}"
        for m in messages
    ]


def test_the_validator_reports_what_html_refuses(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<!doctype html><html lang="en"><head><title>t</title></head><body>'
        '<time datetime="2026-12-02T07:34:34.982984+00:00">2 Dec</time>'
        '<p hx-get="/x">htmx is allowed</p></body></html>',
        encoding="utf-8",
    )

    (error,) = validation_errors({str(page): "page"})

    assert error.startswith("page: line 1: Bad value “2026-12-02T07:34:34.982984+00:00”")


def test_every_page_type_validates(
    bank: ParsedBank, owner: User, owner_client: Client, tmp_path: Path
) -> None:
    files = {}
    for index, (name, markup) in enumerate(pages(owner_client, owner).items()):
        path = tmp_path / f"{index}.html"
        path.write_text(markup, encoding="utf-8")
        files[str(path)] = name

    assert validation_errors(files) == []
