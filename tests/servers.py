"""Real gunicorn processes for the scale-out and outage tests, a cookie-keeping HTTP client built
on the standard library, and a TCP proxy that can cut a node off from PostgreSQL.

Everything here is bounded: every wait has a deadline and every socket a timeout, so a broken
server fails a test instead of hanging the run.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

from tests import dom

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
REQUEST_TIMEOUT = 15  # seconds for one HTTP request to a node
START_TIMEOUT = 30  # seconds for a node to answer /healthz after it was started
STOP_TIMEOUT = 10  # seconds for a graceful stop before the node is killed
# The project's own variables; a node gets exactly the ones a test gives it.
PROJECT_PREFIXES = (
    "DJANGO_", "DATABASE_URL", "AXES_", "INTERVIEW_", "GUNICORN_", "THROTTLE_", "EMAIL_",
    "REDIS_URL", "DEFAULT_FROM_EMAIL",
)  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_url(settings_dict: dict[str, Any], *, host: str, port: int) -> str:
    """A DATABASE_URL for the database `settings_dict` describes (the test database)."""
    user = urllib.parse.quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{urllib.parse.quote(password, safe='')}" if password else user
    name = urllib.parse.quote(settings_dict["NAME"], safe="")
    return f"postgres://{credentials}@{host}:{port}/{name}"


def clean_environment(**variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(PROJECT_PREFIXES)}
    env.update(variables)
    return env


def collect_static(static_root: Path) -> None:
    """`collectstatic` the way `make serve` runs it, into `static_root`."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=clean_environment(
            DJANGO_SECRET_KEY="collectstatic-only", DJANGO_STATIC_ROOT=str(static_root)
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )


class Node:
    """One gunicorn process (with its workers) started from gunicorn.conf.py."""

    def __init__(self, name: str, *, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(GUNICORN), "--config", "gunicorn.conf.py"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the workers stop with it
            )

    def __repr__(self) -> str:
        return f"<Node {self.name} {self.url}>"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"{self} exited with {code}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self} did not answer /healthz in {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        # SIGTERM is gunicorn's graceful shutdown; the whole group, in case the arbiter is gone.
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)


def node_environment(
    *, database_url: str, static_root: Path, secret_key: str, **extra: str
) -> dict[str, str]:
    """Production settings for a node: DEBUG off, no access log, two workers."""
    return clean_environment(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_STATIC_ROOT=str(static_root),
        GUNICORN_WORKERS="2",
        GUNICORN_ACCESS_LOG="",
        GUNICORN_LOG_LEVEL="warning",
        **extra,
    )


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


# HTTP.
@dataclass
class Reply:
    status: int
    headers: Message
    text: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the caller sees the 302 and decides


class Browser:
    """One person's client: a cookie jar shared by every node it talks to.

    Cookies are kept per host, not per port, so one jar serves nodes on two loopback ports as
    a load balancer's single address would.
    """

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def request(
        self,
        method: str,
        url: str,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Reply:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        started = time.monotonic()
        try:
            response = self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
            response = error
        with response:
            text = response.read().decode()
        return Reply(response.status, response.headers, text, time.monotonic() - started)

    def get(self, url: str, **options: Any) -> Reply:
        return self.request("GET", url, **options)

    def post(self, url: str, data: dict[str, Any], **options: Any) -> Reply:
        return self.request("POST", url, data, **options)


# Reading pages.
@dataclass
class Page:
    root: dom.Node

    @classmethod
    def parse(cls, markup: str) -> Page:
        return cls(dom.parse(markup))

    def form_action(self, css_class: str) -> str:
        action = self.root.find("form", cls=css_class).attrs["action"]
        assert action is not None
        return action

    @property
    def csrf_token(self) -> str:
        inputs = self.root.find_all("input", name="csrfmiddlewaretoken")
        if inputs:
            token = inputs[0].attrs["value"]
        else:
            token = json.loads(self.root.find("body").attrs["hx-headers"] or "{}")["X-CSRFToken"]
        assert token
        return token

    def _first_words(self, tag: str) -> str:
        found = self.root.find_all(tag)
        return found[0].words if found else ""

    @property
    def heading(self) -> str:
        return self._first_words("h1")

    @property
    def notes(self) -> str:
        return self._first_words("textarea")


def log_in(
    browser: Browser, login_node: Node, post_node: Node, username: str, password: str
) -> Reply:
    """A real log-in: the form from one node, the POST (with its CSRF token) to the other."""
    form = browser.get(f"{login_node.url}/accounts/login/")
    assert form.status == 200, form.text[:500]
    reply = browser.post(
        f"{post_node.url}/accounts/login/",
        {
            "csrfmiddlewaretoken": Page.parse(form.text).csrf_token,
            "username": username,
            "password": password,
        },
    )
    assert reply.status == 302, reply.text[:500]
    assert reply.location == "/"
    return reply


# A PostgreSQL that goes away.
class TcpProxy:
    """Forwards a loopback port to PostgreSQL, and can be cut off and restored on that port.

    Stopped, the port refuses connections (a database that is down). Swallowing, it accepts
    connections and never answers (a database behind a network that drops packets).
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._forward = True

    def start(self, *, forward: bool = True) -> None:
        self.stop()
        self._forward = forward
        self._stopping.clear()
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()

    def swallow(self) -> None:
        self.start(forward=False)

    def stop(self) -> None:
        """Close the listening socket and every connection through it."""
        if self._listener is None:
            return
        self._stopping.set()
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._listener.close()
        self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    def _track(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._sockets.update(sockets)

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            if not self._forward:
                self._track(client)  # held open, never answered
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            self._track(client, server)
            for source, target in ((client, server), (server, client)):
                threading.Thread(
                    target=_pump, args=(source, target), name="tcp-proxy-pump", daemon=True
                ).start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
