"""The WSGI application gunicorn serves (see gunicorn.conf.py)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interview_prep.settings")

application = get_wsgi_application()

# Refuse to serve at all, rather than fail on the first request that signs a cookie.
if not settings.DEBUG and not os.environ.get("DJANGO_SECRET_KEY"):
    raise ImproperlyConfigured(settings.SECRET_KEY_MISSING)
