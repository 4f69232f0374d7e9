"""Dashboard and monitoring routes under /api/v1/."""

from monitoring.views import DashboardViewSet
from vur.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("dashboard", DashboardViewSet, basename="dashboard")
urlpatterns = router.urls
