"""Routes of the preprocessing partials (mounted at the site root)."""

from django.urls import path

from preprocessing import pages

app_name = "preprocessing_ui"

urlpatterns = [
    path("datasets/<int:dataset_id>/quality/", pages.quality_partial, name="quality"),
    path("datasets/<int:dataset_id>/series/", pages.series_partial, name="series"),
]
