"""The load benchmark's smoke run: 2 candidates for a few seconds, to check what it reports.

The real run (`make bench`, 50 candidates against PostgreSQL) is a measurement, not a test; this
one runs the same script end to end on a scratch SQLite file, whatever database the suite uses.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.servers import ROOT, clean_environment, free_port

PAGES = ["static file", "floor", "healthz", "question page", "dashboard", "reveal", "grade step"]
THINK = ["floor", "healthz", "question page", "dashboard", "reveal", "grade step"]


def test_a_smoke_run_reports_every_figure_and_counts_the_grades(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    command = [
        sys.executable, "-m", "bench.run", "--candidates", "2", "--per-candidate", "2",
        "--questions", "2", "--think", "0.05", "--duration", "1", "--port", str(free_port()),
        "--database-url", f"sqlite:///{tmp_path / 'bench.sqlite3'}", "--output", str(output),
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=ROOT, env=clean_environment(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(output.read_text())

    assert list(report["saturation"]) == PAGES
    for name, figures in report["saturation"].items():
        assert figures["requests"] > 0, name
        assert figures["rps"] > 0, name
        assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"], name
    assert report["saturation"]["floor"]["cost_in_floors"] == 1.0
    floor_rps = report["saturation"]["floor"]["rps"]
    step = report["saturation"]["grade step"]
    assert step["cost_in_floors"] == round(floor_rps / step["rps"], 2)
    # Every saturation candidate (2 × 2) revealed and graded exactly once.
    assert report["saturation"]["reveal"]["requests"] == 4
    assert step["requests"] == 4
    assert list(report["think"]) == THINK
    # Each think-time candidate went through both questions of their interview.
    assert report["think"]["grade step"]["requests"] == 4
    assert report["think"]["floor"]["requests"] == 4
    for phase in report["cpu"].values():
        assert phase["generator_cpu_percent"] > 0
    assert report["errors"] == 0
    assert report["grades_accepted"] == report["grades_in_database"] == 8
    assert report["reviews_in_database"] == 8
    assert report["grades_lost"] == report["grades_doubled"] == 0

    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"2 candidates, {report['gunicorn_workers']} gunicorn workers, {report['cores']} cores"
    )
    rows = {line.split("  ")[0]: line for line in lines if line.split("  ")[0] in PAGES}
    assert set(rows) == set(PAGES)
    assert lines[-1] == (
        "errors 0; grades accepted 8, in the database 8 (reviews 8): lost 0, doubled 0"
    )
