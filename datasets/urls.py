"""Dataset routes under /api/v1/datasets/."""

from datasets.views import DatasetViewSet
from vur.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("datasets", DatasetViewSet, basename="dataset")
urlpatterns = router.urls
