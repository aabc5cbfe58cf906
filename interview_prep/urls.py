from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from interview_prep import views
from sessions.urls import history_urlpatterns

handler500 = "interview_prep.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("interview_prep.accounts")),
    path("questions/", include("questions.urls")),
    path("interviews/", include("sessions.urls")),
    # The history keeps its short URLs (/history/) and names without a namespace.
    path("", include(history_urlpatterns)),
    path("admin/", admin.site.urls),
]
