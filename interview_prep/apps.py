from __future__ import annotations

from django.apps import AppConfig


class InterviewPrepConfig(AppConfig):
    """The project package as an app: it owns no models, only the database cache's table
    (migration 0001), so that `migrate` alone prepares a fresh database."""

    name = "interview_prep"
    verbose_name = "Interview Prep"

    def ready(self) -> None:
        from interview_prep import lookups

        lookups.register()
