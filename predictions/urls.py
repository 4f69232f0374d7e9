"""Deployment and prediction routes under /api/v1/."""

from predictions.views import DeploymentViewSet, PredictionViewSet
from vur.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("deployment", DeploymentViewSet, basename="deployment")
router.register("predictions", PredictionViewSet, basename="predictions")
urlpatterns = router.urls
