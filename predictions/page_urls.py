"""Routes of the model page, its deploy/predict actions and the deployments list."""

from django.urls import path

from predictions import pages

urlpatterns = [
    path("models/<int:model_id>/", pages.model_detail, name="model-detail"),
    path("models/<int:model_id>/deploy/", pages.model_deploy, name="model-deploy"),
    path("models/<int:model_id>/predict/", pages.model_predict, name="model-predict"),
    path(
        "models/<int:model_id>/predict-panel/",
        pages.model_predict_panel,
        name="model-predict-panel",
    ),
    path("models/<int:model_id>/batch/", pages.model_batch, name="model-batch"),
    path("predictions/batch/<uuid:job_id>/", pages.batch_status, name="batch-status"),
    path("deployments/", pages.deployment_list, name="deployment-list"),
    path(
        "deployments/<int:deployment_id>/undeploy/",
        pages.deployment_undeploy,
        name="deployment-undeploy",
    ),
]
