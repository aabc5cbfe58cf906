"""Environment for the test run, loaded as a plugin (`-p tests.environment`).

It runs before pytest-django imports the settings, so a bare `pytest` works without the
variables that production must set explicitly.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-key-for-tests-only")
# Sync Playwright runs an event loop in the test thread; Django would refuse ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
