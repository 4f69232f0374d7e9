"""Routes of the pipeline pages (mounted at the site root). The wizard's steps are routed in
vur/urls.py, since they reach every later stage."""

from django.urls import path

from pipelines import pages

app_name = "pipelines_ui"

urlpatterns = [
    path("pipelines/", pages.pipeline_list_page, name="list"),
    path("pipelines/new/", pages.pipeline_create_page, name="create"),
    path(
        "pipelines/new/<int:dataset_id>/horizon-note/",
        pages.horizon_note_partial,
        name="horizon-note",
    ),
    path("pipelines/<int:pipeline_id>/", pages.pipeline_detail_page, name="detail"),
    path("pipelines/<int:pipeline_id>/delete/", pages.pipeline_delete_page, name="delete"),
]
