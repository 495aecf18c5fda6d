from django.urls import path

from . import anki_views, custom_views, regrade_views, report_views, views

app_name = "exams"

urlpatterns = [
    path("exams/", views.exam_list, name="list"),
    path("exams/attempts/", views.attempt_list, name="attempts"),
    path("exams/quiz/", custom_views.custom_quiz, name="custom_quiz"),
    path("exams/missed.apkg", anki_views.missed_deck, name="missed_anki"),
    path("exams/<slug:slug>/start/", views.attempt_start, name="start"),
    path("attempts/<int:attempt_id>/", views.attempt_resume, name="resume"),
    path("attempts/<int:attempt_id>/q/<int:position>/", views.attempt_question, name="question"),
    path("attempts/<int:attempt_id>/q/<int:position>/answer/", views.answer_save, name="answer"),
    path("attempts/<int:attempt_id>/q/<int:position>/flag/", views.flag_toggle, name="flag"),
    path(
        "attempts/<int:attempt_id>/q/<int:position>/eliminate/",
        views.eliminate_toggle,
        name="eliminate",
    ),
    path(
        "attempts/<int:attempt_id>/q/<int:position>/report/",
        report_views.report_question,
        name="report_question",
    ),
    path("attempts/<int:attempt_id>/state/", views.attempt_state, name="state"),
    path("exams/text-size/", views.text_size_set, name="text_size"),
    path("attempts/<int:attempt_id>/review/", views.attempt_review, name="review"),
    path("attempts/<int:attempt_id>/submit/", views.attempt_submit, name="submit"),
    path("attempts/<int:attempt_id>/submitted/", views.attempt_submitted, name="submitted"),
    path("attempts/<int:attempt_id>/results/", views.attempt_results, name="results"),
    path("staff/audit/", views.audit_log, name="audit"),
    path("blueprints/", views.blueprint_list, name="blueprints"),
    path("blueprints/new/", views.blueprint_edit, name="blueprint_new"),
    path("blueprints/<int:blueprint_id>/", views.blueprint_edit, name="blueprint_edit"),
    path("cohorts/<int:cohort_id>/sittings/", views.cohort_sittings, name="cohort_sittings"),
    path(
        "cohorts/<int:cohort_id>/sittings/<int:sitting_id>/cancel/",
        views.sitting_cancel,
        name="sitting_cancel",
    ),
    path("sittings/<int:sitting_id>/start/", views.sitting_start, name="sitting_start"),
    path(
        "key-corrections/questions/<int:question_id>/",
        regrade_views.key_correction,
        name="key_correction",
    ),
    path(
        "key-corrections/questions/<int:question_id>/apply/",
        regrade_views.key_correction_apply_view,
        name="key_correction_apply",
    ),
    path(
        "key-corrections/<int:correction_id>/",
        regrade_views.key_correction_detail,
        name="key_correction_detail",
    ),
    path(
        "key-corrections/<int:correction_id>/retry/",
        regrade_views.key_correction_retry,
        name="key_correction_retry",
    ),
]
