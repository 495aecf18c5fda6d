from django.urls import path

from . import views

app_name = "lti"

urlpatterns = [
    # Admins: platforms, the tool's key and URLs.
    path("platforms/", views.platform_list, name="platforms"),
    path("platforms/new/", views.platform_edit, name="platform_new"),
    path("platforms/<int:platform_id>/", views.platform_edit, name="platform_edit"),
    path("platforms/<int:platform_id>/active/", views.platform_active, name="platform_active"),
    path("keys/", views.key_create, name="key_create"),
    # The protocol (called cross-site by the platform and the browser it sends).
    path("jwks/", views.jwks, name="jwks"),
    path("login/", views.login_init, name="login"),
    path("launch/", views.launch, name="launch"),
    path("deep-link/", views.deep_link_return, name="deep_link_return"),
    # Instructors and admins: courses, roster sync, grade passback.
    path("courses/", views.course_list, name="courses"),
    path("courses/<int:context_id>/", views.course_detail, name="course"),
    path("courses/<int:context_id>/sync/", views.course_sync, name="course_sync"),
    path(
        "courses/<int:context_id>/remove-departed/",
        views.course_remove_departed,
        name="course_remove_departed",
    ),
    path("passbacks/<int:passback_id>/resend/", views.passback_resend, name="passback_resend"),
]
