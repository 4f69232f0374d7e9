"""Pipeline routes under /api/v1/pipelines/."""

from pipelines.views import PipelineViewSet
from vur.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("pipelines", PipelineViewSet, basename="pipeline")
urlpatterns = router.urls
