"""The production static path: `collectstatic` with the configured storage writes hashed,
compressed copies; pages link the hashed names; whitenoise, inside the WSGI application, serves
them cached forever and compressed when the browser asks.

The rest of the suite swaps in the plain storage (see tests/conftest.py); here the storage is the
one `interview_prep.settings` configures, read from the module itself.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import brotli
import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client, override_settings

from interview_prep import settings as project_settings
from tests.dom import parse

PRODUCTION_STORAGES = project_settings.STORAGES
FOREVER = "max-age=315360000, public, immutable"
HASHED = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")
LINKED_ASSETS = ["css/site.css", "images/favicon.svg", "django_htmx/htmx-2.min.js"]


@dataclass
class WsgiResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def wsgi_get(app: WSGIHandler, url: str, **headers: str) -> WsgiResponse:
    """One GET through the WSGI application, as gunicorn would make it."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": url,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    started: dict[str, object] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], *_: object) -> None:
        started["status"] = int(status.split()[0])
        started["headers"] = dict(response_headers)

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return WsgiResponse(started["status"], started["headers"], body)


def static_urls(markup: str) -> list[str]:
    return [
        value
        for node in parse(markup).iter()
        for name, value in node.attrs.items()
        if name in ("href", "src") and value and value.startswith("/static/")
    ]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`collectstatic` run once, with the production storage, into a temporary STATIC_ROOT."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def static_root(settings, collected: Path) -> Path:
    settings.STATIC_ROOT = collected
    settings.STORAGES = PRODUCTION_STORAGES
    return collected


@pytest.fixture
def manifest(collected: Path) -> dict[str, str]:
    return json.loads((collected / "staticfiles.json").read_text())["paths"]


@pytest.fixture
def app(static_root: Path) -> Iterator[WSGIHandler]:
    """The WSGI application built after the override, so whitenoise indexes STATIC_ROOT.

    Like Django's test client, it leaves the test database connection alone: the handler's
    request signals would otherwise check (and could close) it.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_it_configures_whitenoises_compressed_manifest_storage() -> None:
    assert PRODUCTION_STORAGES["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


@pytest.mark.parametrize("name", LINKED_ASSETS)
def test_collectstatic_writes_a_hashed_and_a_gzipped_copy(
    collected: Path, manifest: dict[str, str], name: str
) -> None:
    hashed = manifest[name]
    original = (collected / name).read_bytes()

    assert HASHED.search(hashed), hashed
    assert (collected / hashed).read_bytes() == original
    assert gzip.decompress((collected / f"{hashed}.gz").read_bytes()) == original


@pytest.mark.django_db
def test_pages_link_only_hashed_static_files(static_root: Path, manifest: dict[str, str]) -> None:
    response = Client().get("/")

    assert response.status_code == 200
    urls = static_urls(response.content.decode())
    assert sorted(urls) == sorted(f"/static/{manifest[name]}" for name in LINKED_ASSETS)
    for url in urls:
        assert HASHED.search(url), url
        assert (static_root / url.removeprefix("/static/")).is_file(), url


def test_whitenoise_serves_hashed_css_cached_forever(
    app: WSGIHandler, static_root: Path, manifest: dict[str, str]
) -> None:
    hashed = manifest["css/site.css"]

    response = wsgi_get(app, f"/static/{hashed}")

    assert response.status == 200
    assert response.headers["Cache-Control"] == FOREVER
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["Vary"] == "Accept-Encoding"
    assert "Content-Encoding" not in response.headers
    assert response.body == (static_root / hashed).read_bytes()
    # The SecurityMiddleware runs before whitenoise, so static files are covered as well.
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_whitenoise_serves_the_gzipped_copy_when_the_browser_accepts_it(
    app: WSGIHandler, static_root: Path, manifest: dict[str, str]
) -> None:
    hashed = manifest["css/site.css"]

    response = wsgi_get(app, f"/static/{hashed}", accept_encoding="gzip, deflate")

    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == FOREVER
    assert int(response.headers["Content-Length"]) == len(response.body)
    assert len(response.body) < (static_root / hashed).stat().st_size
    assert gzip.decompress(response.body) == (static_root / hashed).read_bytes()


def test_whitenoise_serves_the_brotli_copy_when_the_browser_prefers_it(
    app: WSGIHandler, static_root: Path, manifest: dict[str, str]
) -> None:
    hashed = manifest["css/site.css"]

    response = wsgi_get(app, f"/static/{hashed}", accept_encoding="gzip, br")

    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.body) == (static_root / hashed).read_bytes()


def test_whitenoise_answers_a_revalidation_with_304(
    app: WSGIHandler, manifest: dict[str, str]
) -> None:
    url = f"/static/{manifest['css/site.css']}"
    etag = wsgi_get(app, url).headers["ETag"]

    response = wsgi_get(app, url, if_none_match=etag)

    assert response.status == 304
    assert response.body == b""


def test_whitenoise_caches_an_unhashed_name_only_briefly(app: WSGIHandler) -> None:
    # Someone linking /static/css/site.css directly must get the next deployment's file soon.
    response = wsgi_get(app, "/static/css/site.css")

    assert response.status == 200
    assert response.headers["Cache-Control"] == "max-age=60, public"
    assert "immutable" not in response.headers["Cache-Control"]


def test_favicon_ico_leads_to_the_hashed_icon(
    app: WSGIHandler, static_root: Path, manifest: dict[str, str]
) -> None:
    # Pages that name no icon (the admin, JSON) make browsers ask for /favicon.ico.
    response = wsgi_get(app, "/favicon.ico")

    assert response.status == 302
    assert response.headers["Location"] == f"/static/{manifest['images/favicon.svg']}"
    icon = wsgi_get(app, response.headers["Location"])
    assert icon.status == 200
    assert icon.headers["Content-Type"].startswith("image/svg+xml")
    assert icon.body == (static_root / "images/favicon.svg").read_bytes()
