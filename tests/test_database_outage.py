"""PostgreSQL goes away in the middle of an interview, then comes back.

A real gunicorn node reaches the database through a TCP proxy in this process, so the test can
cut it off: first refusing connections (the database is down), then swallowing them (a network
that drops packets, where only the connect timeout stops a request from hanging). Pages must
answer 503 quickly, with the friendly page, and the interview must resume where it stood.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection

from questions.bank import ParsedBank
from questions.models import Category
from sessions.models import Grade, InterviewSession, Item
from tests.cast import PASSWORD, make_user
from tests.servers import (
    Browser,
    Node,
    Page,
    Reply,
    TcpProxy,
    collect_static,
    log_in,
    new_secret_key,
    node_environment,
    postgres_url,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="cuts a gunicorn node off from PostgreSQL: set DATABASE_URL to run it",
)

CONNECT_TIMEOUT = 2  # DJANGO_DB_CONNECT_TIMEOUT for the node
# How long an answer may take while the database is away: the connect timeout plus a margin
# for starting a worker's request and rendering the page, far below gunicorn's 30 s.
OUTAGE_ANSWER_LIMIT = CONNECT_TIMEOUT + 2
NOTES = "Self-attention: every token attends to every other, weighted by similarity."
UNAVAILABLE = "<h1>Temporarily unavailable</h1>"


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    database = connection.settings_dict
    upstream = (database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432))
    proxy = TcpProxy(upstream)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def node(transactional_db: None, proxy: TcpProxy, tmp_path: Path) -> Iterator[Node]:
    """One gunicorn node whose database connections all go through the proxy."""
    static_root = tmp_path / "staticfiles"
    collect_static(static_root)
    env = node_environment(
        database_url=postgres_url(connection.settings_dict, host="127.0.0.1", port=proxy.port),
        static_root=static_root,
        secret_key=new_secret_key(),
        # A fresh connection for every request, so a request after the outage finds none stale.
        DJANGO_DB_CONN_MAX_AGE="0",
        DJANGO_DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
    )
    node = Node("A", env=env, log=tmp_path / "gunicorn.log")
    try:
        node.wait_until_healthy()
        yield node
    finally:
        node.stop()


@pytest.fixture
def candidate(transactional_db: None, bank: ParsedBank) -> User:
    return make_user("candidate")


def start_interview(browser: Browser, node: Node) -> InterviewSession:
    form = Page.parse(browser.get(f"{node.url}/interviews/new/").text)
    reply = browser.post(
        f"{node.url}/interviews/new/",
        {
            "csrfmiddlewaretoken": form.csrf_token,
            "categories": [Category.objects.order_by("position").first().pk],
            "question_count": 2,
            "seconds_per_item": 900,
            "mode": "timed",
        },
    )
    assert reply.status == 302, reply.text[:500]
    return InterviewSession.objects.get(user__username="candidate")


def reveal_and_grade(
    browser: Browser, node: Node, session: InterviewSession, position: int, grade: int
) -> Reply:
    page = Page.parse(browser.get(f"{node.url}{session.item_url(position)}").text)
    reply = browser.post(
        node.url + page.form_action("reveal-form"),
        {"csrfmiddlewaretoken": page.csrf_token, "notes": page.notes, "timed_out": ""},
    )
    assert reply.status == 302, reply.text[:500]
    page = Page.parse(browser.get(node.url + reply.location).text)
    reply = browser.post(
        node.url + page.form_action("grade-form"),
        {"csrfmiddlewaretoken": page.csrf_token, "grade": grade},
    )
    assert reply.status == 302, reply.text[:500]
    return reply


def assert_friendly_503(reply: Reply) -> None:
    assert reply.status == 503, reply.text[:500]
    assert reply.seconds < OUTAGE_ANSWER_LIMIT, reply.seconds
    assert reply.headers["Retry-After"] == "10"
    assert UNAVAILABLE in reply.text
    assert 'class="site-nav"' in reply.text  # the site's layout
    for leak in ("Traceback", "OperationalError", "psycopg", "127.0.0.1"):
        assert leak not in reply.text, leak


def assert_healthz_503(reply: Reply) -> None:
    assert reply.status == 503, reply.text[:500]
    assert reply.seconds < OUTAGE_ANSWER_LIMIT, reply.seconds
    assert reply.json() == {"status": "unavailable", "database": "unreachable"}


def test_an_interview_survives_a_database_outage(
    node: Node, proxy: TcpProxy, candidate: User
) -> None:
    browser = Browser()
    log_in(browser, node, node, "candidate", PASSWORD)
    session = start_interview(browser, node)
    first, second = session.items.order_by("position")
    reveal_and_grade(browser, node, session, 0, Grade.SOLID)
    # On the second item, the notes are saved as the candidate types (an HTMX request).
    page = Page.parse(browser.get(node.url + session.item_url(1)).text)
    saved = browser.post(
        f"{node.url}/interviews/{session.pk}/items/1/notes/",
        {"notes": NOTES},
        headers={"HX-Request": "true", "X-CSRFToken": page.csrf_token},
    )
    assert saved.status == 204, saved.text[:500]
    reveal_url = node.url + page.form_action("reveal-form")

    # The database goes down: connections are refused.
    proxy.stop()
    assert_healthz_503(browser.get(f"{node.url}/healthz"))
    assert_friendly_503(browser.get(node.url + session.get_absolute_url()))
    assert_friendly_503(browser.get(f"{node.url}/"))
    assert_friendly_503(
        browser.post(reveal_url, {"csrfmiddlewaretoken": page.csrf_token, "notes": "Lost?"})
    )

    # The network drops packets instead: only the connect timeout ends the wait.
    proxy.swallow()
    healthz = browser.get(f"{node.url}/healthz")
    assert_healthz_503(healthz)
    assert healthz.seconds >= CONNECT_TIMEOUT - 0.5  # it really waited for the timeout
    assert_friendly_503(browser.get(node.url + session.get_absolute_url()))

    # Back on the same port: the interview resumes at the second item with nothing lost.
    proxy.start()
    health = browser.get(f"{node.url}/healthz")
    assert health.status == 200
    assert health.json() == {"status": "ok", "database": "ok"}
    reopened = browser.get(node.url + session.get_absolute_url())
    assert (reopened.status, reopened.location) == (302, session.item_url(1))
    resumed = browser.get(node.url + reopened.location)
    assert resumed.status == 200, resumed.text[:500]
    page = Page.parse(resumed.text)
    assert page.heading.startswith(second.label)
    assert page.notes == NOTES
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.grade == Grade.SOLID
    assert (second.notes, second.revealed_at, second.grade) == (NOTES, None, None)

    reply = reveal_and_grade(browser, node, session, 1, Grade.EXCELLENT)
    summary = browser.get(node.url + reply.location)
    assert summary.status == 200
    assert "<h1>Interview summary</h1>" in summary.text
    assert re.search(r'data-testid="score">83%<', summary.text)  # (2 + 3) of 6 points
    assert list(session.items.order_by("position").values_list("grade", "notes")) == [
        (Grade.SOLID, ""),
        (Grade.EXCELLENT, NOTES),
    ]
    assert Item.objects.filter(session=session, graded_at__isnull=False).count() == 2
