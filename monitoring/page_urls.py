"""Routes of the monitoring pages (the API lives in urls.py under /api/v1/)."""

from django.urls import path

from monitoring import pages

urlpatterns = [
    path("monitoring/", pages.monitoring_index, name="ui-monitoring-index"),
    path("monitoring/models/<int:model_id>/", pages.monitoring_model, name="ui-monitoring-model"),
    path(
        "monitoring/models/<int:model_id>/actuals/",
        pages.monitoring_actuals,
        name="ui-monitoring-actuals",
    ),
    path(
        "monitoring/models/<int:model_id>/distributions/",
        pages.monitoring_distributions,
        name="ui-monitoring-distributions",
    ),
]
