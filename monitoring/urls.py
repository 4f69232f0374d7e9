"""Dashboard and monitoring routes under /api/v1/."""

from monitoring.views import AlertViewSet, DashboardViewSet, MonitoringViewSet
from vur.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("dashboard", DashboardViewSet, basename="dashboard")
router.register("monitoring/alerts", AlertViewSet, basename="alert")
router.register("monitoring", MonitoringViewSet, basename="monitoring")
urlpatterns = router.urls
