from __future__ import annotations

from django.urls import path

from questions import views

app_name = "questions"

urlpatterns = [
    path("", views.question_list, name="list"),
    path("<int:number>/", views.question_detail, name="detail"),
    path("<int:number>/flag/", views.flag_answer, name="flag"),
    path(
        "<int:number>/scenarios/<int:scenario_id>/flag/",
        views.flag_answer,
        name="flag_scenario",
    ),
    path("flags/<int:flag_id>/dismiss/", views.dismiss_flag_notice, name="dismiss_flag_notice"),
]
