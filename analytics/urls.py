from django.urls import path

from . import report_views, views

app_name = "analytics"

urlpatterns = [
    path("dashboard/", views.student_dashboard, name="dashboard"),
    path("exams/retry-missed/", views.retry_missed, name="retry_missed"),
    path("analytics/items/", views.item_analysis_index, name="item_index"),
    path("analytics/items/<int:blueprint_id>/", views.item_analysis, name="items"),
    path("analytics/items/<int:blueprint_id>/recompute/", views.recompute, name="recompute"),
    path("analytics/runs/<int:run_id>/", views.run_status, name="run"),
    path("analytics/cohorts/", views.cohort_reports, name="cohorts"),
    path("analytics/cohorts/<int:cohort_id>/", views.cohort_report, name="cohort"),
    path(
        "analytics/cohorts/<int:cohort_id>/export.csv", views.cohort_report_csv, name="cohort_csv"
    ),
    path(
        "analytics/cohorts/<int:cohort_id>/students/<int:user_id>/",
        views.cohort_student,
        name="cohort_student",
    ),
    path(
        "analytics/cohorts/<int:cohort_id>/readiness.csv",
        views.cohort_readiness_csv,
        name="cohort_readiness_csv",
    ),
    path("analytics/calibration/", views.calibration_index, name="calibration"),
    path("analytics/calibration/run/", views.calibrate_now, name="calibrate_now"),
    path(
        "analytics/calibration/runs/<int:run_id>/",
        views.calibration_status,
        name="calibration_run",
    ),
    path("analytics/question-reports/", report_views.question_reports, name="question_reports"),
    path(
        "analytics/question-reports/<int:report_id>/resolve/",
        report_views.question_report_resolve,
        name="question_report_resolve",
    ),
    path("analytics/pretest/", views.pretest_items, name="pretest"),
    path(
        "analytics/pretest/<int:question_id>/promote/",
        views.pretest_promote,
        name="pretest_promote",
    ),
]
