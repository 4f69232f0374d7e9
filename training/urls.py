"""Training routes under /api/v1/training/."""

from training.views import TrainingJobViewSet
from vur.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("training", TrainingJobViewSet, basename="training")
urlpatterns = router.urls
