"""HTML goes out compressed, without making the CSRF token a fixed secret to guess at (BREACH)."""

from __future__ import annotations

import gzip
import re

from django.test import Client

from questions.models import Question

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _page(client: Client, url: str) -> tuple[str, str]:
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    html = gzip.decompress(response.content).decode()
    match = TOKEN.search(html)
    assert match, "no form on the page"
    return html, match.group(1)


def test_it_compresses_pages_and_masks_each_csrf_token_afresh(
    owner_client: Client, questions: list[Question]
) -> None:
    url = f"/questions/{questions[0].number}/"
    first_html, first = _page(owner_client, url)
    second_html, second = _page(owner_client, url)
    assert questions[0].title in first_html
    # The same secret behind both, masked differently each time: nothing repeats to compare.
    assert first != second
    assert len(first) == len(second) == 64


def test_it_sends_plain_html_to_a_client_that_does_not_ask_for_gzip(
    owner_client: Client, questions: list[Question]
) -> None:
    response = owner_client.get(f"/questions/{questions[0].number}/")
    assert not response.has_header("Content-Encoding")
    assert questions[0].title in response.content.decode()
