"""`make profile`: where one interview step's time goes, profiled inside gunicorn.

It makes a fresh benchmark database (bench/run.py's), two candidates with an open interview,
and starts one gunicorn worker with pyinstrument's middleware (bench/settings.py, enabled by
BENCH_PROFILE_DIR). The first candidate reveals and grades once to warm the worker up (URL
resolvers, templates, connections); then the second one's reveal and grade step are profiled,
and the grade step's profile is printed (every request's profile stays in --keep, if given).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench.run import BIN, ROOT, gunicorn_env, prepare_database, wait_until_up


def post(base: str, account: dict[str, Any], path: str, data: dict[str, str]) -> None:
    request = urllib.request.Request(
        base + path,
        data=urllib.parse.urlencode(data).encode(),
        headers={"Cookie": account["cookie"], "HX-Request": "true", "X-CSRFToken": account["csrf"]},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")


def step(base: str, account: dict[str, Any]) -> None:
    post(base, account, account["items"][0] + "reveal/", {"notes": "My answer, typed."})
    post(base, account, account["items"][0] + "grade/", {"grade": "2"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=60, help="of the profile to print")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--keep", type=Path, help="a directory to keep every request's profile in")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/interview_prep_bench"
        ),
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="profile-") as work:
        profiles = args.keep or Path(work) / "profiles"
        profiles.mkdir(parents=True, exist_ok=True)
        base = f"http://127.0.0.1:{args.port}"
        env = gunicorn_env(args.database_url, args.port, 1, Path(work))
        prepare_database(env, args.database_url)
        accounts_file = Path(work) / "accounts.json"
        subprocess.run(
            [sys.executable, "-m", "bench.accounts", "prepare", "2", "0", "2", str(accounts_file)],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        warm, measured = json.loads(accounts_file.read_text())["saturation"]
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env={**env, "BENCH_PROFILE_DIR": str(profiles)},
        )
        try:
            wait_until_up(base)
            step(base, warm)
            before = set(profiles.iterdir())
            step(base, measured)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        grade = [p for p in set(profiles.iterdir()) - before if "grade" in p.name]
        if not grade:
            raise SystemExit("the grade step left no profile")
        print(f"The grade step (grade → next question, HTMX), {grade[0].name}:")
        print("\n".join(grade[0].read_text().splitlines()[: args.lines]))


if __name__ == "__main__":
    main()
