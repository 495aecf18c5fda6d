from django.urls import path

from . import views

app_name = "study"

urlpatterns = [
    path("review/", views.review, name="review"),
    path("review/start/", views.review_start, name="review_start"),
    path("review/retention/", views.retention_set, name="retention"),
    path("review/deck.apkg", views.review_deck, name="review_deck"),
]
