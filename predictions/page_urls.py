"""Routes of the model page, its deploy/predict actions and the deployments list."""

from django.urls import path

from predictions import pages

urlpatterns = [
    path("models/<int:model_id>/", pages.model_detail, name="ui-model-detail"),
    path("models/<int:model_id>/deploy/", pages.model_deploy, name="ui-model-deploy"),
    path("models/<int:model_id>/predict/", pages.model_predict, name="ui-model-predict"),
    path(
        "models/<int:model_id>/predict-panel/",
        pages.model_predict_panel,
        name="ui-model-predict-panel",
    ),
    path(
        "models/<int:model_id>/observation-check/",
        pages.model_observation_check,
        name="ui-model-observation-check",
    ),
    path(
        "models/<int:model_id>/live-history/",
        pages.model_live_history,
        name="ui-model-live-history",
    ),
    path(
        "models/<int:model_id>/live-forecast/",
        pages.model_live_forecast,
        name="ui-model-live-forecast",
    ),
    path(
        "models/<int:model_id>/series-history/",
        pages.model_series_history,
        name="ui-model-series-history",
    ),
    path(
        "models/<int:model_id>/series-forecast/",
        pages.model_series_forecast,
        name="ui-model-series-forecast",
    ),
    path("models/<int:model_id>/feedback/", pages.model_feedback, name="ui-model-feedback"),
    path("models/<int:model_id>/batch/", pages.model_batch, name="ui-model-batch"),
    path("predictions/batch/<uuid:job_id>/", pages.batch_status, name="ui-batch-status"),
    path("deployments/", pages.deployment_list, name="ui-deployment-list"),
    path(
        "deployments/<int:deployment_id>/undeploy/",
        pages.deployment_undeploy,
        name="ui-deployment-undeploy",
    ),
]
