"""The production settings plus one benchmark-only URL (`bench/scale_urls.py`): what
`bench/scale.py` starts gunicorn with. Nothing else differs from `interview_prep.settings`."""

from __future__ import annotations

from interview_prep.settings import *  # noqa: F403

ROOT_URLCONF = "bench.scale_urls"
