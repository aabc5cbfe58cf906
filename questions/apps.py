from __future__ import annotations

from django.apps import AppConfig


class QuestionsConfig(AppConfig):
    name = "questions"
    verbose_name = "Question bank"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from questions import search  # models are ready only now

        search.connect_signals()
