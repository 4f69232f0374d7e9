"""Model routes under /api/v1/models/, plus /api/v1/features/importance."""

from django.urls import path

from modeling.views import FeatureImportanceView, ModelViewSet
from vur.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("models", ModelViewSet, basename="model")
urlpatterns = [
    path(
        "features/importance",
        FeatureImportanceView.as_view({"get": "list"}),
        name="feature-importance",
    ),
    *router.urls,
]
