"""Load benchmark: the interview's requests against gunicorn, each beside the bare-view floor.

Run it with `make bench` (see docs/performance.md). One run

1. makes a fresh database (PostgreSQL by default; a sqlite:/// URL for the smoke test): migrate,
   import the bank, collect the static files into a temporary directory;
2. makes the candidates straight in the database (bench/accounts.py: login cookies and one open
   timed interview each, no sign-up form, so password hashing is not what is measured);
3. starts gunicorn with production settings plus bench/settings.py (the floor at /bench/floor);
4. runs Locust (`FastHttpUser`, headless, one process) once per phase. Saturation, no think
   time, CANDIDATES users flat out: a static file, the floor, /healthz, a question page, the
   dashboard (each for --duration seconds), then every saturation candidate's reveal, then their
   grade step (a fixed count). Then CANDIDATES candidates with think time, each through a whole
   interview, every kind of request in turn;
5. counts the grades in the database against the grade steps the server accepted;
6. prints the report and writes it to artifacts/bench.json: requests/s at saturation and each
   one's cost in floor requests (floor req/s ÷ its req/s), p50/p95/p99 with think time, errors,
   grades lost and doubled, and the CPU the generator and gunicorn used in each phase.

It exits non-zero on any error, lost or doubled grade.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# (phase, the request it measures): the floor first among the pages, every ratio is to it.
DURATION_PHASES = [
    ("static", "static file"),
    ("floor", "floor"),
    ("healthz", "healthz"),
    ("question", "question page"),
    ("dashboard", "dashboard"),
]
COUNT_PHASES = [("reveal", "reveal"), ("grade", "grade step")]
THINK_NAMES = ["floor", "healthz", "question page", "dashboard", "reveal", "grade step"]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if values else 0.0


def summarise(records: list[list[Any]], name: str) -> dict[str, Any]:
    """One request's figures: `records` are (name, start s, response time ms, succeeded)."""
    rows = [row for row in records if row[0] == name]
    times = [row[2] for row in rows]
    window = max((r[1] + r[2] / 1000 for r in rows), default=0) - min(
        (r[1] for r in rows), default=0
    )
    return {
        "requests": len(rows),
        "errors": sum(1 for row in rows if not row[3]),
        "rps": round(len(rows) / window, 1) if window > 0 else 0.0,
        "p50_ms": round(percentile(times, 0.50), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "p99_ms": round(percentile(times, 0.99), 1),
    }


def gunicorn_env(database_url: str, port: int, workers: int, work: Path) -> dict[str, str]:
    """The environment gunicorn runs the benchmark under: production settings plus bench/settings,
    a fresh secret key, static files collected into the run's own directory, no access log."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_LOG_LEVEL": "warning",
        "GUNICORN_ACCESS_LOG": "",
    }


def prepare_database(env: dict[str, str], database_url: str) -> None:
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        import psycopg

        name = database_url.rsplit("/", 1)[-1]
        with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
            # A fresh database each run, so earlier runs' rows do not skew the figures.
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{name}"')
    for command in (["migrate", "--noinput"], ["import_questions"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "-v0"], cwd=ROOT, env=env, check=True
        )


def wait_until_up(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


def cpu_seconds(process: psutil.Process) -> float:
    """CPU time of a process and all its children (gunicorn's workers)."""
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        try:
            times = each.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _watch(generator: psutil.Popen) -> float:
    """Wait for the generator to finish; returns the CPU seconds it used."""
    used = 0.0
    while generator.poll() is None:
        try:
            times = generator.cpu_times()
        except psutil.NoSuchProcess:
            break
        used = times.user + times.system
        time.sleep(0.1)
    return used


def run_phase(
    scenario: str, args: argparse.Namespace, env: dict[str, str], server: psutil.Process
) -> tuple[list[list[Any]], dict[str, float]]:
    """One Locust run; returns its requests and the CPU the generator and gunicorn used."""
    out = Path(env["BENCH_ACCOUNTS"]).with_name(f"{scenario}.json")
    duration = args.duration if scenario in {p for p, _ in DURATION_PHASES} else args.time_limit
    command = [
        str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
        "--users", str(args.candidates), "--spawn-rate", "100", "--run-time", f"{duration}s",
        "--host", env["BENCH_BASE"], "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    phase_env = {**env, "BENCH_SCENARIO": scenario, "BENCH_OUT": str(out)}
    server_before = cpu_seconds(server)
    started = time.monotonic()
    log = out.with_suffix(".log")
    with log.open("w") as log_file:
        generator = psutil.Popen(command, cwd=ROOT, env=phase_env, stdout=log_file, stderr=log_file)
        generator_cpu = _watch(generator)
    wall = time.monotonic() - started
    server_cpu = cpu_seconds(server) - server_before
    if not out.exists():
        raise SystemExit(
            f"Locust stopped without a report in the {scenario} phase:\n{log.read_text()}"
        )
    records = json.loads(out.read_text())
    return records, {
        "seconds": round(wall, 1),
        # Share of one core: Locust runs on one, so near 100 % it would be measuring itself.
        "generator_cpu_percent": round(100 * generator_cpu / wall, 1),
        "gunicorn_cpu_percent": round(100 * server_cpu / wall, 1),
    }


def count_grades(env: dict[str, str], prefix: str) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.accounts", "count", prefix],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def benchmark(args: argparse.Namespace, env: dict[str, str], work: Path) -> dict[str, Any]:
    # Other work on the machine skews every figure: the report says how much there was.
    load_before = [round(x, 2) for x in os.getloadavg()]
    accounts_file = work / "accounts.json"
    saturation = args.candidates * args.per_candidate
    subprocess.run(
        [sys.executable, "-m", "bench.accounts", "prepare", str(saturation),
         str(args.candidates), str(args.questions), str(accounts_file)],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    prefix = json.loads(accounts_file.read_text())["prefix"]
    env = {**env, "BENCH_ACCOUNTS": str(accounts_file), "BENCH_USERS": str(args.candidates)}
    server = psutil.Popen(
        [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py"], cwd=ROOT, env=env
    )
    try:
        wait_until_up(env["BENCH_BASE"])
        saturated: dict[str, Any] = {}
        cpu: dict[str, Any] = {}
        grades_accepted = 0
        for scenario, name in DURATION_PHASES + COUNT_PHASES:
            records, cpu[scenario] = run_phase(scenario, args, env, server)
            saturated[name] = summarise(records, name)
            if name == "grade step":
                grades_accepted += saturated[name]["requests"] - saturated[name]["errors"]
        records, cpu["think"] = run_phase("think", args, env, server)
        think = {name: summarise(records, name) for name in THINK_NAMES}
        grades_accepted += think["grade step"]["requests"] - think["grade step"]["errors"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    floor = saturated["floor"]["rps"]
    for figures in saturated.values():
        # How many floor requests one of these costs: the goal is stated in this.
        figures["cost_in_floors"] = round(floor / figures["rps"], 2) if figures["rps"] else None
    database = count_grades(env, prefix)
    errors = sum(f["errors"] for f in saturated.values()) + sum(f["errors"] for f in think.values())
    return {
        "candidates": args.candidates,
        "saturation_accounts": saturation,
        "think_seconds": args.think,
        "questions_per_think_interview": args.questions,
        "gunicorn_workers": int(env["GUNICORN_WORKERS"]),
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "saturation": saturated,
        "think": think,
        "cpu": cpu,
        "errors": errors,
        "grades_accepted": grades_accepted,
        "grades_in_database": database["graded"],
        "reviews_in_database": database["reviews"],
        "grades_lost": max(0, grades_accepted - database["graded"]),
        "grades_doubled": max(0, database["graded"] - grades_accepted),
    }


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"{report['candidates']} candidates, {report['gunicorn_workers']} gunicorn workers, "
        f"{report['cores']} cores",
        "",
        f"{'saturation':<14}{'req/s':>9}{'floors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}   generator / gunicorn CPU",
    ]
    phases = [p for p, _ in DURATION_PHASES + COUNT_PHASES]
    for phase, (name, f) in zip(phases, report["saturation"].items(), strict=True):
        cpu = report["cpu"][phase]
        lines.append(
            f"{name:<14}{f['rps']:>9}{f['cost_in_floors'] or '-':>8}{f['p50_ms']:>9}"
            f"{f['p95_ms']:>9}{f['p99_ms']:>9}{f['errors']:>8}   "
            f"{cpu['generator_cpu_percent']} % / {cpu['gunicorn_cpu_percent']} %"
        )
    lines += ["", f"think {report['think_seconds']} s{'':<3}{'requests':>9}{'p50 ms':>9}"
              f"{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"]  # fmt: skip
    for name, f in report["think"].items():
        lines.append(
            f"{name:<14}{f['requests']:>9}{f['p50_ms']:>9}{f['p95_ms']:>9}{f['p99_ms']:>9}"
            f"{f['errors']:>8}"
        )
    lines += [
        "",
        f"errors {report['errors']}; grades accepted {report['grades_accepted']}, in the "
        f"database {report['grades_in_database']} (reviews {report['reviews_in_database']}): "
        f"lost {report['grades_lost']}, doubled {report['grades_doubled']}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=50, help="Locust users in every phase")
    parser.add_argument(
        "--per-candidate", type=int, default=10, help="interviews each revealed and graded flat out"
    )
    parser.add_argument("--questions", type=int, default=5, help="per interview with think time")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds before a request")
    parser.add_argument("--duration", type=int, default=10, help="seconds per timed phase")
    # cores + 1: PostgreSQL and the generator share the cores; more workers only queue.
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--time-limit", type=int, default=300, help="seconds, per counted phase")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/interview_prep_bench"
        ),
    )
    parser.add_argument("--output", type=Path, default=ROOT / "artifacts" / "bench.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        env = {
            **gunicorn_env(args.database_url, args.port, args.workers, Path(work)),
            "BENCH_BASE": f"http://127.0.0.1:{args.port}",
            "BENCH_THINK": str(args.think),
        }
        prepare_database(env, args.database_url)
        manifest = json.loads((Path(work) / "static" / "staticfiles.json").read_text())
        env["BENCH_STATIC"] = "/static/" + manifest["paths"]["css/site.css"]
        report = benchmark(args, env, Path(work))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(format_report(report))
    failed = report["errors"] or report["grades_lost"] or report["grades_doubled"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
