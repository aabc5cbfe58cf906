from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from interview_prep import views

urlpatterns = [
    path("", views.home, name="home"),
    path("questions/", include("questions.urls")),
    path("admin/", admin.site.urls),
]
