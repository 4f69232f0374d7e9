"""Routes of the dataset pages (mounted at the site root)."""

from django.urls import path

from datasets import pages

app_name = "datasets_ui"

urlpatterns = [
    path("datasets/", pages.dataset_list_page, name="list"),
    path("datasets/upload/", pages.dataset_upload_page, name="upload"),
    path("datasets/samples/", pages.dataset_samples_page, name="samples"),
    path("datasets/<int:dataset_id>/", pages.dataset_detail_page, name="detail"),
    path("datasets/<int:dataset_id>/preview/", pages.dataset_preview_partial, name="preview"),
    path("datasets/<int:dataset_id>/checks/", pages.dataset_checks_partial, name="checks"),
    path(
        "datasets/<int:dataset_id>/statistics/", pages.dataset_statistics_partial, name="statistics"
    ),
    path("datasets/<int:dataset_id>/delete/", pages.dataset_delete_page, name="delete"),
    path("datasets/<int:dataset_id>/edit/", pages.dataset_edit_page, name="edit"),
]
