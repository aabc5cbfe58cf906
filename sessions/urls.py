from __future__ import annotations

from django.urls import path

from sessions import views

app_name = "interviews"

urlpatterns = [
    path("new/", views.new_session, name="new"),
    path("new/length/", views.interview_length, name="length"),
    path("practise/", views.practise, name="practise"),
    path("drill/", views.drill, name="drill"),
    path("diagnostic/", views.diagnostic, name="diagnostic"),
    path("questions/<int:number>/attempts/", views.question_attempts, name="question_attempts"),
    path("<int:session_id>/", views.session_detail, name="detail"),
    path("<int:session_id>/summary/", views.session_summary, name="summary"),
    path("<int:session_id>/end/", views.end, name="end"),
    path("<int:session_id>/retry/", views.retry_weak, name="retry_weak"),
    path("<int:session_id>/items/<int:position>/", views.item_detail, name="item"),
    path("<int:session_id>/items/<int:position>/notes/", views.save_notes, name="save_notes"),
    path("<int:session_id>/items/<int:position>/reveal/", views.reveal, name="reveal"),
    path(
        "<int:session_id>/items/<int:position>/key-points/",
        views.tick_key_points,
        name="key_points",
    ),
    path("<int:session_id>/items/<int:position>/grade/", views.grade, name="grade"),
    path("<int:session_id>/items/<int:position>/undo/", views.undo, name="undo"),
    path("<int:session_id>/items/<int:position>/change/", views.change_grade, name="change"),
    path("<int:session_id>/items/<int:position>/flag/", views.flag_answer, name="flag"),
]

# A candidate's history and readiness live at the root (/history/, /readiness/); the project
# includes these there.
history_urlpatterns = [
    path("history/", views.history, name="history"),
    path("history/export.csv", views.history_csv, name="history_csv"),
    path("history/cards.csv", views.cards_csv, name="cards_csv"),
    path("readiness/", views.readiness_page, name="readiness"),
    path("readiness/plan/", views.plan_form, name="plan"),
    path("readiness/practise/", views.practise_category, name="practise_category"),
]
