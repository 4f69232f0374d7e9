"""Pipeline routes under /api/v1/pipelines/."""

from rest_framework.routers import SimpleRouter

from pipelines.views import PipelineViewSet

router = SimpleRouter(trailing_slash="/?")
router.register("pipelines", PipelineViewSet, basename="pipeline")
urlpatterns = router.urls
