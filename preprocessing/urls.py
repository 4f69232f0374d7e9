"""Preprocessing routes under /api/v1/preprocessing/."""

from preprocessing.views import PreprocessingViewSet
from vur.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("preprocessing", PreprocessingViewSet, basename="preprocessing")
urlpatterns = router.urls
