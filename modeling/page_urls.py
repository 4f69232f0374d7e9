"""Routes of the model registry pages (the model page itself is in predictions.page_urls)."""

from django.urls import path

from modeling import pages

urlpatterns = [
    path("models/", pages.model_list, name="ui-model-list"),
]
