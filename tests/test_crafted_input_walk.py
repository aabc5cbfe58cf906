"""No crafted input gets a 5xx, anywhere: a walk over the whole urlconf (ours and the admin's).

Every URL pattern is reversed with the ids of real objects (an open and a finished interview,
a question with a scenario, a flag, a password-reset link, one object of each admin model), then
fetched and posted as an anonymous visitor and as a signed-in superuser who owns the data. The
parameters tried are the ones the code reads: a recording middleware, first in the chain, notes
every name looked up in `request.GET` and `request.POST` (by a view, a form, a widget, Django's
own views), and the pages' forms add the names of their fields, the value each form would send
being the baseline that the crafted value replaces. Each name then gets a NUL, an over-long
string and numbers too big for any column, one at a time.

Each request runs in a savepoint rolled back after it (a delete, a log-out or an ended interview
does not change what the next request sees), and the client's cookies are put back.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from pytest_django.fixtures import Settings

from questions import flags
from questions.models import AnswerFlag, KeyPoint, Question, Scenario
from sessions import services
from sessions.models import InterviewSession
from tests.cast import answer_each, make_question, make_superuser, start_interview
from tests.dom import Node, form_data, parse

CRAFTED = {
    "NUL": "kv\x00cache",
    "over-long": "x" * 20_000,
    "huge": "9" * 30,
    "huge negative": "-" + "9" * 30,
}
# Query strings a page needs before its other parameters are read at all.
BASELINE_QUERY = {
    "admin:autocomplete": {
        "app_label": "questions",
        "model_name": "question",
        "field_name": "category",
        "term": "fund",
    },
    "questions:list": {"q": "answer"},
}
# What the admin's catch-all pattern (no name, a regular expression) is tried with.
CATCH_ALL = {"(?P<url>.*)$": "no-such-page/"}
# What the unnamed groups of a regular expression stand for (django-simple-history's).
POSITIONAL = {"^([^/]+)/history/([^/]+)/$": ("object_id", "history_id")}

pytestmark = pytest.mark.django_db


# Which names the code reads.
class _Read:
    get: set[str] = set()
    post: set[str] = set()


class _RecordingQueryDict(QueryDict):
    read: set[str]

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> list[Any]:
        self.read.add(key)
        return super().getlist(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


class _RecordingGET(_RecordingQueryDict):
    read = _Read.get


class _RecordingPOST(_RecordingQueryDict):
    read = _Read.post


def _recording(cls: type[_RecordingQueryDict], original: QueryDict) -> QueryDict:
    recording = cls(mutable=True, encoding=original.encoding)
    for name, values in original.lists():
        recording.setlist(name, values)
    recording._mutable = False
    return recording


class RecordReadsMiddleware:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.GET = _recording(_RecordingGET, request.GET)
        request.POST = _recording(_RecordingPOST, request.POST)
        response: HttpResponse = self.get_response(request)
        return response


# The objects the URLs name.
@dataclass
class World:
    user: User
    question: Question
    scenario: Scenario
    sessions: list[InterviewSession]
    flag: AnswerFlag
    reset: dict[str, str]


@pytest.fixture
def world(clock: Any) -> World:
    user = make_superuser("owner")
    question = make_question(1)
    make_question(2)
    scenario = Scenario.objects.create(
        question=question, label="1.1", prompt="And then?", answer="Then this."
    )
    KeyPoint.objects.create(question=question, position=0, text="A point")
    finished = start_interview(user, [question, Question.objects.get(number=2)])
    answer_each(finished, [3, 1])
    services.end_session(session=finished, now=timezone.now())
    open_session = start_interview(user, [question], include_scenarios=True)
    services.show_current_item(session=open_session, now=timezone.now())
    flag = flags.flag_answer(
        user=user, question=question, reason=AnswerFlag.Reason.WRONG, comment="Typo."
    )
    AnswerFlag.objects.filter(pk=flag.pk).update(
        status=AnswerFlag.Status.RESOLVED, resolved_at=timezone.now()
    )
    reset = {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    return World(user, question, scenario, [open_session, finished], flag, reset)


def kwarg_choices(name: str, world: World, model: type[models.Model] | None) -> list[Any]:
    """The values a URL's `name` is tried with; [] when none is known."""
    simple: dict[str, list[Any]] = {
        "number": [world.question.number],
        "scenario_id": [world.scenario.pk],
        "session_id": [session.pk for session in world.sessions],
        "position": [1, 2],
        "flag_id": [world.flag.pk],
        "app_label": ["questions", "auth", "axes"],
        "content_type_id": [ContentType.objects.get_for_model(Question).pk],
        "id": [world.user.pk],  # the admin's password change for a user
        **{key: [value] for key, value in world.reset.items()},
    }
    if name in simple:
        return simple[name]
    if name == "object_id":
        instance = (model or Question)._default_manager.order_by("pk").first()
        # A model without objects (the lockout logs): an id that is not there.
        return [instance.pk if instance is not None else 1]
    if name == "history_id" and model is not None and hasattr(model, "history"):
        return [model.history.order_by("pk").values_list("history_id", flat=True).first()]
    return []


@dataclass
class Route:
    name: str  # with its namespaces; "" for a pattern without a name
    route: str  # the path patterns from the root, for one without a name
    pattern: URLPattern
    model: type[models.Model] | None


def routes(
    patterns: list[URLPattern | URLResolver], namespace: tuple[str, ...] = (), prefix: str = ""
) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace + ((entry.namespace,) if entry.namespace else ())
            yield from routes(entry.url_patterns, inner, prefix + str(entry.pattern))
            continue
        name = ":".join((*namespace, entry.name)) if entry.name else ""
        route = prefix + CATCH_ALL.get(str(entry.pattern), str(entry.pattern))
        yield Route(name, route, entry, _admin_model(prefix))


def _admin_model(prefix: str) -> type[models.Model] | None:
    """The model whose admin pages live under `prefix` (admin/<app_label>/<model_name>/)."""
    app_label, _, model_name = prefix.removeprefix("admin/").strip("/").partition("/")
    if not prefix.startswith("admin/") or not model_name:
        return None
    return apps.get_model(app_label, model_name)


def addresses(world: World) -> tuple[dict[str, str], list[str]]:
    """{address: route name} for every pattern, and the patterns no sample arguments fit."""
    found: dict[str, str] = {}
    unresolved = []
    for route in routes(get_resolver().url_patterns):
        pattern = str(route.pattern.pattern)
        names = list(POSITIONAL.get(pattern, route.pattern.pattern.regex.groupindex))
        names = [name for name in names if name != "url"]
        choices = [kwarg_choices(name, world, route.model) for name in names]
        if any(not values for values in choices):
            unresolved.append(route.name or route.route)
            continue
        for values in itertools.product(*choices):
            kwargs = dict(zip(names, values, strict=True))
            if pattern in POSITIONAL:
                url = reverse(route.name, args=list(values))
            elif route.name:
                url = reverse(route.name, kwargs=kwargs)
            else:  # a path pattern, its converters written out
                url = "/" + re.sub(
                    r"<(?:\w+:)?(\w+)>", lambda m, given=kwargs: str(given[m[1]]), route.route
                )
            found[url] = route.name or route.route
    return found, unresolved


# Requests, each undone.
class _Undo(Exception):
    pass


@dataclass
class Walk:
    client: Client
    who: str
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def send(self, method: str, url: str, data: dict[str, Any] | None = None) -> HttpResponse:
        """The response, the request's writes rolled back; a 5xx or an exception is noted."""
        cookies = copy.deepcopy(self.client.cookies)
        response: HttpResponse | None = None
        shown = f"{self.who} {method} {url} {_shorten(data)}"
        try:
            with transaction.atomic():
                response = getattr(self.client, method.lower())(url, data or {})
                raise _Undo
        except _Undo:
            pass
        except Exception as error:  # noqa: BLE001 - every crash is a finding, reported below
            self.failures.append(f"{shown}: {type(error).__name__}: {error}")
        finally:
            self.client.cookies = cookies
            self.requests += 1
        if response is None:
            return HttpResponse(status=599)
        if response.status_code >= 500:
            self.failures.append(f"{shown}: {response.status_code}")
        return response


def _shorten(data: dict[str, Any] | None) -> str:
    if not data:
        return ""
    return str(
        {
            key: (str(value)[:24] + "…") if len(str(value)) > 24 else value
            for key, value in data.items()
        }
    )


@dataclass
class Form:
    method: str
    action: str
    data: dict[str, list[str]]


def forms_on(page_url: str, markup: str) -> list[Form]:
    found = []
    for node in parse(markup).find_all("form"):
        action = urljoin(page_url, node.attrs.get("action") or page_url).partition("#")[0]
        found.append(Form((node.attrs.get("method") or "get").lower(), action, _sent_by(node)))
    return found


def _sent_by(form: Node) -> dict[str, list[str]]:
    """What the form sends as it stands, submitted with its first named button."""
    data = form_data(form)
    for node in form.iter():
        kind = (node.attrs.get("type") or ("submit" if node.tag == "button" else "text")).lower()
        if (
            node.tag in {"button", "input"}
            and kind in {"submit", "image"}
            and node.attrs.get("name")
        ):
            data.setdefault(node.attrs["name"] or "", []).append(node.attrs.get("value") or "")
            break
    return data


def _with(url: str, query: dict[str, Any]) -> str:
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def walk(client: Client, who: str, world: World) -> Walk:
    found, unresolved = addresses(world)
    assert unresolved == [], f"no sample for the arguments of {unresolved}: add one"
    run = Walk(client, who)
    query_names: dict[str, set[str]] = defaultdict(set)
    post_forms: dict[str, dict[str, list[str]]] = {}
    # Every page as it is: the query names it reads, the forms it offers.
    for url, name in found.items():
        baseline = BASELINE_QUERY.get(name, {})
        _Read.get.clear()
        response = run.send("GET", _with(url, baseline))
        query_names[url] |= _Read.get
        if "html" not in response.get("Content-Type", ""):
            continue
        for form in forms_on(f"http://testserver{url}", response.content.decode()):
            parts = urlsplit(form.action)
            if parts.netloc not in ("", "testserver"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if form.method == "get":
                query_names[parts.path] |= set(form.data)
            else:
                post_forms.setdefault(target, form.data)
    # Every query name with every crafted value.
    for url, names in query_names.items():
        baseline = BASELINE_QUERY.get(found.get(url, ""), {})
        for param, value in itertools.product(sorted(names), CRAFTED.values()):
            run.send("GET", _with(url, {**baseline, param: value}))
    # Every address posted to: what its form sends, then each field (and each name read) crafted.
    for url in sorted(set(found) | set(post_forms)):
        baseline_data: dict[str, Any] = dict(post_forms.get(url, {}))
        _Read.post.clear()
        run.send("POST", url, baseline_data)
        for param, value in itertools.product(
            sorted(_Read.post | set(baseline_data)), CRAFTED.values()
        ):
            run.send("POST", url, {**baseline_data, param: value})
    return run


@pytest.fixture
def recording(settings: Settings) -> None:
    settings.MIDDLEWARE = [f"{__name__}.RecordReadsMiddleware", *settings.MIDDLEWARE]
    settings.RATELIMIT_ENABLE = False  # a throttle's 429 would hide what comes after it


@pytest.mark.usefixtures("recording")
@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_no_crafted_query_or_post_gets_a_5xx(world: World, who: str) -> None:
    client = Client()
    if who == "owner":
        client.force_login(world.user)
    run = walk(client, who, world)
    assert run.failures == [], "\n".join(run.failures)
    print(f"{who}: {run.requests} requests")
