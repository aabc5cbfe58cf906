"""gunicorn settings for Interview Prep; every value can be set from the environment.

The web processes keep no state of their own (sessions, locks and the interview clock live in
the database), so any number of them, on any number of machines, can share one PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "interview_prep.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Only the proxy in front may say which scheme and client address a request came with.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log to stdout; an empty GUNICORN_ACCESS_LOG turns it off (the load benchmark does).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# No control socket: nothing to manage the server through but signals and the process manager.
control_socket_disable = True
