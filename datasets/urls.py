"""Dataset routes under /api/v1/datasets/."""

from rest_framework.routers import SimpleRouter

from datasets.views import DatasetViewSet

router = SimpleRouter(trailing_slash="/?")
router.register("datasets", DatasetViewSet, basename="dataset")
urlpatterns = router.urls
