"""URL map: the web pages, the admin, the REST API under /api/v1/ and its schema and docs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from vur import views

api = [
    path("auth/token/", TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("datasets.urls")),
    path("", include("pipelines.urls")),
    path("", include("preprocessing.urls")),
    path("", include("features.urls")),
    path("", include("modeling.urls")),
    path("", include("training.urls")),
    path("", include("predictions.urls")),
    path("", include("monitoring.urls")),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("health/", views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("training.page_urls")),
    path("", include("modeling.page_urls")),
    path("", include("predictions.page_urls")),
    path("", include("monitoring.page_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api)),
]
