from django.urls import path

from . import mapping_views, views

app_name = "questions"

urlpatterns = [
    path("", views.question_list, name="list"),
    path("bulk/", views.question_bulk, name="bulk"),
    path("new/", views.question_create, name="create"),
    path("import/", views.question_import, name="import"),
    path("import/map/<int:upload_id>/", mapping_views.import_mapping, name="import_mapping"),
    path(
        "import/mappings/<int:mapping_id>/download/",
        mapping_views.import_mapping_download,
        name="import_mapping_download",
    ),
    path(
        "import/mappings/<int:mapping_id>/delete/",
        mapping_views.import_mapping_delete,
        name="import_mapping_delete",
    ),
    path("export/", views.question_export, name="export"),
    path("export/anki/", views.question_export_anki, name="export_anki"),
    path("coverage/", views.bank_coverage, name="coverage"),
    path("due-for-review/", views.due_for_review, name="due_for_review"),
    path("<int:question_id>/", views.question_detail, name="detail"),
    path("<int:question_id>/edit/", views.question_edit, name="edit"),
    path("<int:question_id>/diff/", views.question_diff, name="diff"),
    path("<int:question_id>/status/", views.question_status, name="status"),
    path("<int:question_id>/delete/", views.question_delete, name="delete"),
]
