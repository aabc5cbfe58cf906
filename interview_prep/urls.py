from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from interview_prep import views
from sessions import views as session_views

accounts = [
    path("signup/", views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]

handler500 = "interview_prep.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("accounts/", include(accounts)),
    path("questions/", include("questions.urls")),
    path("interviews/", include("sessions.urls")),
    path("history/", session_views.history, name="history"),
    path("history/export.csv", session_views.history_csv, name="history_csv"),
    path("admin/", admin.site.urls),
]
