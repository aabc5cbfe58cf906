from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from interview_prep import views
from sessions import views as session_views

handler500 = "interview_prep.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("accounts/", include("interview_prep.accounts")),
    path("questions/", include("questions.urls")),
    path("interviews/", include("sessions.urls")),
    path("history/", session_views.history, name="history"),
    path("history/export.csv", session_views.history_csv, name="history_csv"),
    path("admin/", admin.site.urls),
]
