"""Feature routes under /api/v1/features/ (importance is served by the modeling app)."""

from features.views import FeatureViewSet
from vur.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("features", FeatureViewSet, basename="features")
urlpatterns = router.urls
