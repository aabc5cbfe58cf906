"""Settings for the benchmark's gunicorn only (`make bench`, `make profile`), never for production.

They add what a measurement needs and nothing else: the bare-view floor at /bench/floor (its
URLconf is bench/urls.py, so the production URLconf never has it), and, when BENCH_PROFILE_DIR
names a directory, pyinstrument's middleware writing one text profile per request there.
"""

from __future__ import annotations

import os

from interview_prep.settings import *  # noqa: F403
from interview_prep.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"

if PROFILE_DIR := os.environ.get("BENCH_PROFILE_DIR", ""):
    # First, so the profile covers every other middleware too.
    MIDDLEWARE = ["pyinstrument.middleware.ProfilerMiddleware", *MIDDLEWARE]
    PYINSTRUMENT_PROFILE_DIR = PROFILE_DIR
    PYINSTRUMENT_PROFILE_DIR_RENDERER = "pyinstrument.renderers.ConsoleRenderer"
