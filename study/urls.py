from django.urls import path  # noqa: F401  # routes are added as the study pages land

app_name = "study"

urlpatterns: list = []
