from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from api import views

urlpatterns = [
    path("health", views.health, name="api_health"),
    path("ping", views.ping, name="api_ping"),
    path("v1/consent", views.ConsentView.as_view(), name="api_consent"),
    path("v1/consent/batch", views.ConsentBatchView.as_view(), name="api_consent_batch"),
    path("v1/changes", views.ChangesView.as_view(), name="api_changes"),
    path("v1/snapshot", views.SnapshotView.as_view(), name="api_snapshot"),
    path("v1/acks", views.AcknowledgementView.as_view(), name="api_acks"),
    path("v1/webhooks/", include("api.urls_webhooks")),
    path("v2/query/urls/", views.SpawningQueryView.as_view(), name="api_spawning_query"),
    # Existing clients of the compatible endpoint call it without the trailing slash too.
    path("v2/query/urls", views.SpawningQueryWithoutSlashView.as_view()),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path(
        "docs/",
        SpectacularRedocView.as_view(url_name="api_schema", template_name="api/redoc.html"),
        name="api_docs",
    ),
    path("problems/", views.problems, name="api_problems"),
    path("problems/<slug:slug>", views.problems, name="api_problem"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
