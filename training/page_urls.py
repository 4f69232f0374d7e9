"""Routes of the training pages (the REST API lives in urls.py under /api/v1/)."""

from django.urls import path

from training import pages

urlpatterns = [
    path("training/", pages.training_list, name="ui-training-list"),
    path("training/<uuid:job_id>/", pages.training_detail, name="ui-training-detail"),
    path(
        "training/<uuid:job_id>/leaderboard/",
        pages.training_leaderboard,
        name="ui-training-leaderboard",
    ),
    path(
        "training/<uuid:job_id>/worker-note/",
        pages.training_worker_note,
        name="ui-training-worker-note",
    ),
    path("training/<uuid:job_id>/cancel/", pages.training_cancel, name="ui-training-cancel"),
]
