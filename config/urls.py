from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from core import views as core_views
from core.metrics import metrics_view

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("bench/floor/", accounts_views.bench_floor, name="bench_floor"),
    # Before Django's own: the rate-limited version of the same page.
    path(
        "accounts/password_reset/",
        accounts_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("accounts.urls")),
    path("questions/", include("questions.urls")),
    path("", include("exams.urls")),
    path("", include("analytics.urls")),
    path("", include("study.urls")),
    path("lti/", include("lti.urls")),
    path("django-admin/", admin.site.urls),
]
