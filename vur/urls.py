"""URL map: the web pages, the admin, the REST API under /api/v1/ and its schema and docs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from vur import dashboard, views, wizard
from vur.apidocs import DocsView, SchemaView
from vur.metrics import metrics_view
from vur.signin import (
    AdminLockoutAuthenticationForm,
    LockoutAuthenticationForm,
    ThrottledTokenObtainPairView,
    ThrottledTokenRefreshView,
)

admin.site.login_form = AdminLockoutAuthenticationForm

# Under /api/v1/ these answer the contract's JSON error body; elsewhere Django's pages.
handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error

api: list[URLPattern | URLResolver] = [
    path("auth/token/", ThrottledTokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("auth/token/refresh/", ThrottledTokenRefreshView.as_view(), name="token_refresh"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="schema"), name="swagger-ui"),
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
    path("", dashboard.dashboard_page, name="dashboard"),
    path("dashboard/jobs/", dashboard.running_jobs_partial, name="dashboard-jobs"),
    path("health/", views.health, name="health"),
    path("metrics", metrics_view, name="metrics"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("favicon.ico", RedirectView.as_view(url="/static/vur/favicon.svg", permanent=True)),
    path("", include("datasets.page_urls")),
    path("", include("pipelines.page_urls")),
    path("", include("preprocessing.page_urls")),
    path("pipelines/<int:pipeline_id>/wizard/<str:step>/", wizard.wizard_step_page, name="wizard"),
    path(
        "pipelines/<int:pipeline_id>/wizard/preprocessing/preview/",
        wizard.preprocessing_preview_partial,
        name="wizard-prep-preview",
    ),
    path(
        "pipelines/<int:pipeline_id>/wizard/model_selection/validate/",
        wizard.algorithm_validate_partial,
        name="wizard-validate",
    ),
    path("", include("training.page_urls")),
    path("", include("modeling.page_urls")),
    path("", include("predictions.page_urls")),
    path("", include("monitoring.page_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api)),
]
