from __future__ import annotations

from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    # The label must differ from django.contrib.sessions' "sessions"; it names the tables too.
    name = "sessions"
    label = "interviews"
    verbose_name = "Interviews"
    default_auto_field = "django.db.models.BigAutoField"
