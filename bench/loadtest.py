"""Load benchmark: many candidates at once against gunicorn + PostgreSQL, on loopback only.

Run it with `make bench` (see docs/performance.md). The script

1. prepares a PostgreSQL database (migrate, import the bank, collectstatic into a temp dir),
2. starts gunicorn with production settings on 127.0.0.1,
3. measures `/healthz` as the baseline at the same concurrency,
4. lets N simulated candidates sign up and run timed interviews with a real HTTP client,
   timing the interview step (grade → next item rendered, an HTMX request),
5. checks in the database that no grade was lost or recorded twice, and prints a report.

It is bounded: a fixed number of requests per candidate and a wall-clock limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CATEGORY_INPUT = re.compile(r'name="categories" value="(\d+)"')
ACTION = re.compile(r'hx-post="(/interviews/\d+/items/\d+/(?:reveal|grade)/)"')


@dataclass
class Stats:
    step_latencies: list[float] = field(default_factory=list)
    healthz_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    grades_accepted: int = 0
    sessions: list[int] = field(default_factory=list)
    step_seconds: float = 0.0
    healthz_seconds: float = 0.0


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(env: dict[str, str], database_url: str) -> None:
    name = database_url.rsplit("/", 1)[-1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        # A fresh database each run, so earlier runs' rows do not skew the figures.
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    manage("migrate", "--noinput", "-v0", env=env)
    manage("import_questions", "-v0", env=env)
    manage("collectstatic", "--noinput", "-v0", env=env)


async def wait_until_up(base: str, deadline: float) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


async def healthz_load(base: str, workers: int, per_worker: int, stats: Stats) -> None:
    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for _ in range(per_worker):
                started = time.perf_counter()
                response = await client.get("/healthz")
                stats.healthz_latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    stats.errors.append(f"healthz {response.status_code}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    stats.healthz_seconds = time.perf_counter() - started


def form_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


async def sign_up(client: httpx.AsyncClient, username: str, password: str) -> None:
    page = await client.get("/accounts/signup/")
    response = await client.post(
        "/accounts/signup/",
        data={
            "csrfmiddlewaretoken": form_token(page.text),
            "username": username,
            "password1": password,
            "password2": password,
        },
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-up answered {response.status_code}")


async def think(seconds: float) -> None:
    """A candidate reading and typing between requests: uniformly 0.5–1.5 × the mean."""
    if seconds > 0:
        await asyncio.sleep(seconds * (0.5 + secrets.randbelow(1001) / 1000))


async def run_interview(
    client: httpx.AsyncClient, questions: int, stats: Stats, measure: bool, think_time: float
) -> None:
    page = await client.get("/interviews/new/")
    await think(think_time)
    response = await client.post(
        "/interviews/new/",
        data={
            "csrfmiddlewaretoken": form_token(page.text),
            "categories": CATEGORY_INPUT.findall(page.text),
            "question_count": str(questions),
            "seconds_per_item": "900",
            "mode": "timed",
        },
    )
    if response.status_code != 302:
        raise RuntimeError(f"starting an interview answered {response.status_code}")
    session_url = response.headers["location"]
    stats.sessions.append(int(session_url.strip("/").split("/")[-1]))
    page = await client.get(session_url, follow_redirects=True)  # to the first item's page
    token = form_token(page.text)
    htmx = {"HX-Request": "true", "X-CSRFToken": token}
    fragment = page.text
    for _ in range(questions):
        await think(think_time)
        reveal_url = ACTION.search(fragment).group(1)
        response = await client.post(reveal_url, data={"notes": "My answer."}, headers=htmx)
        if response.status_code != 200:
            raise RuntimeError(f"reveal answered {response.status_code}")
        grade_url = ACTION.search(response.text).group(1)
        await think(think_time)
        started = time.perf_counter()
        response = await client.post(grade_url, data={"grade": "2"}, headers=htmx)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"grade answered {response.status_code}")
        stats.grades_accepted += 1
        if measure:
            stats.step_latencies.append(elapsed)
        fragment = response.text
    if "hx-redirect" not in response.headers:
        raise RuntimeError("the last grade did not lead to the summary")
    summary = await client.get(response.headers["hx-redirect"])
    if summary.status_code != 200:
        raise RuntimeError(f"the summary answered {summary.status_code}")


async def guarded(index: int, work: Any, stats: Stats) -> bool:
    try:
        await work
    except (RuntimeError, httpx.HTTPError, AttributeError, KeyError) as error:
        stats.errors.append(f"candidate {index}: {error!r}")
        return False
    return True


async def candidates_run(base: str, args: argparse.Namespace, stats: Stats) -> None:
    """Everyone signs up and warms up first; then the measured interviews start together."""
    run_id = secrets.token_hex(3)
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in range(args.candidates)]

    async def warm_up(index: int, client: httpx.AsyncClient) -> None:
        await sign_up(client, f"bench-{run_id}-{index}", f"Quiet-harbour-lantern-{index}")
        await run_interview(client, args.questions, stats, measure=False, think_time=0)

    async def interviews(client: httpx.AsyncClient) -> None:
        for _ in range(args.interviews):
            await run_interview(client, args.questions, stats, measure=True, think_time=args.think)

    try:
        ready = await asyncio.gather(
            *(guarded(i, warm_up(i, client), stats) for i, client in enumerate(clients))
        )
        started = time.perf_counter()
        await asyncio.gather(
            *(guarded(i, interviews(client), stats) for i, client in enumerate(clients) if ready[i])
        )
        stats.step_seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def check_database(env: dict[str, str], session_ids: list[int]) -> dict[str, int]:
    script = (
        "import json, sys\n"
        "from django.db.models import Count, Q\n"
        "from sessions.models import Item\n"
        "ids = json.loads(sys.stdin.read())\n"
        "rows = Item.objects.filter(session_id__in=ids)\n"
        "print(json.dumps(rows.aggregate(items=Count('pk'), graded=Count('pk', "
        "filter=Q(grade__isnull=False)), graded_at=Count('graded_at'))))\n"
    )
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-v0", "-c", script],
        cwd=ROOT,
        env=env,
        input=json.dumps(session_ids),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


async def main_async(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    base = f"http://127.0.0.1:{args.port}"
    stats = Stats()
    await wait_until_up(base, time.monotonic() + 30)

    await healthz_load(base, args.candidates, args.healthz_requests, stats)
    await asyncio.wait_for(candidates_run(base, args, stats), timeout=args.time_limit)
    database = check_database(env, stats.sessions)
    expected = stats.grades_accepted
    step_count = len(stats.step_latencies)
    health_count = len(stats.healthz_latencies)
    step_rps = step_count / stats.step_seconds if stats.step_seconds else 0.0
    health_rps = health_count / stats.healthz_seconds if stats.healthz_seconds else 0.0
    return {
        "candidates": args.candidates,
        "interviews_per_candidate": args.interviews,
        "questions_per_interview": args.questions,
        "gunicorn_workers": env["GUNICORN_WORKERS"],
        "cores": os.cpu_count(),
        "think_seconds": args.think,
        "healthz": {
            "requests": health_count,
            "rps": round(health_rps, 1),
            "p50_ms": round(1000 * percentile(stats.healthz_latencies, 0.50), 1),
            "p95_ms": round(1000 * percentile(stats.healthz_latencies, 0.95), 1),
            "p99_ms": round(1000 * percentile(stats.healthz_latencies, 0.99), 1),
        },
        "interview_step": {
            "requests": step_count,
            "rps": round(step_rps, 1),
            "p50_ms": round(1000 * percentile(stats.step_latencies, 0.50), 1),
            "p95_ms": round(1000 * percentile(stats.step_latencies, 0.95), 1),
            "p99_ms": round(1000 * percentile(stats.step_latencies, 0.99), 1),
            "mean_ms": round(1000 * statistics.fmean(stats.step_latencies), 1)
            if stats.step_latencies
            else None,
        },
        "step_to_healthz_throughput_ratio": round(step_rps / health_rps, 3) if health_rps else None,
        "errors": len(stats.errors),
        "error_samples": stats.errors[:5],
        "grades_accepted_by_server": expected,
        "grades_in_database": database["graded"],
        "grades_lost": max(0, expected - database["graded"]),
        "grades_doubled": max(0, database["graded"] - expected),
        "items_in_database": database["items"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--interviews", type=int, default=2, help="measured interviews each")
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a candidate spends before each reveal and each grade (0: flat out)",
    )
    parser.add_argument("--healthz-requests", type=int, default=40, help="per candidate")
    # cores + 1, not gunicorn's usual 2 × cores + 1: here PostgreSQL and this load generator
    # share the same cores, and more workers only queue behind each other (measured: p95 of the
    # interview step 58–64 ms with 3 workers, 135–198 ms with 5, on 2 cores).
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--time-limit", type=float, default=300, help="seconds, whole run")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/interview_prep_bench"
        ),
    )
    parser.add_argument("--output", type=Path, default=ROOT / "artifacts" / "bench.json")
    args = parser.parse_args()

    static_root = tempfile.mkdtemp(prefix="bench-static-")
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_STATIC_ROOT": static_root,
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "GUNICORN_WORKERS": str(args.workers),
        "GUNICORN_LOG_LEVEL": "warning",
        "GUNICORN_ACCESS_LOG": "",
        # Every simulated candidate signs up from 127.0.0.1: the per-address sign-up throttle
        # would turn most of them away.
        "THROTTLE_SIGNUP_RATE": "100000/h",
    }
    prepare(env, args.database_url)
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
    )
    try:
        report = asyncio.run(main_async(args, env))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    failed = report["errors"] or report["grades_lost"] or report["grades_doubled"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
