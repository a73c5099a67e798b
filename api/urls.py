"""The platforms' face: the API at /api/, the platform console at /platform/ and the public page
of how quickly platforms apply changes at /platforms/.

One list per feature; `urlpatterns` mounts them, and registry/urls.py (the project's URLconf)
includes this module. Django tries the patterns in order: the API's last pattern answers every
other path under /api/ with a problem document instead of the website's 404 page.
"""

from django.conf import settings
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from api import views, views_console, views_log, views_platforms
from api.webhooks import console as webhooks_console
from api.webhooks import views as webhooks_views

# --- The consent API (/api/): health, answers, the change feed, snapshots, acknowledgements ------
consent_api = [
    path("health", views.health, name="api_health"),
    path("ping", views.ping, name="api_ping"),
    # Mounted only for `make bench` (BENCH_CEILING_VIEW); absent from every other deployment.
    *([path("bench/ceiling", views.ceiling)] if settings.BENCH_CEILING_VIEW else []),
    path("v1/consent", views.ConsentView.as_view(), name="api_consent"),
    path("v1/consent/batch", views.ConsentBatchView.as_view(), name="api_consent_batch"),
    path("v1/changes", views.ChangesView.as_view(), name="api_changes"),
    path("v1/snapshot", views.SnapshotView.as_view(), name="api_snapshot"),
    path("v1/acks", views.AcknowledgementView.as_view(), name="api_acks"),
]

# --- The transparency log's proofs and entries (/api/v1/log/), public like its tiles ----------
log_api = [
    path(
        "v1/log/proof/inclusion", views_log.InclusionProofView.as_view(), name="api_log_inclusion"
    ),
    path(
        "v1/log/proof/consistency",
        views_log.ConsistencyProofView.as_view(),
        name="api_log_consistency",
    ),
    path("v1/log/entries", views_log.EntriesView.as_view(), name="api_log_entries"),
]

# --- Webhook endpoints (/api/v1/webhooks/), with keys that have the `webhooks` scope -----------
webhooks_api = [
    path("", webhooks_views.WebhookListView.as_view(), name="api_webhooks"),
    path("<uuid:endpoint_id>/", webhooks_views.WebhookDetailView.as_view(), name="api_webhook"),
    path(
        "<uuid:endpoint_id>/rotate-secret/",
        webhooks_views.WebhookRotateView.as_view(),
        name="api_webhook_rotate",
    ),
    path(
        "<uuid:endpoint_id>/test/",
        webhooks_views.WebhookTestView.as_view(),
        name="api_webhook_test",
    ),
    path(
        "<uuid:endpoint_id>/replay/",
        webhooks_views.WebhookReplayView.as_view(),
        name="api_webhook_replay",
    ),
    path(
        "<uuid:endpoint_id>/deliveries/",
        webhooks_views.WebhookDeliveriesView.as_view(),
        name="api_webhook_deliveries",
    ),
]

# --- The de-facto opt-out query API (/api/v2/query/urls/) --------------------------------------
spawning_api = [
    path("v2/query/urls/", views.SpawningQueryView.as_view(), name="api_spawning_query"),
    # Existing clients of the compatible endpoint call it without the trailing slash too.
    path("v2/query/urls", views.SpawningQueryWithoutSlashView.as_view()),
]

# --- The API's own documentation: schema, reference and problem types --------------------------
api_docs = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path(
        "docs/",
        SpectacularRedocView.as_view(url_name="api_schema", template_name="api/redoc.html"),
        name="api_docs",
    ),
    path("problems/", views.problems, name="api_problems"),
    path("problems/<slug:slug>", views.problems, name="api_problem"),
]

# --- The platform console (/platform/): applying, a platform's page, its API keys --------------
console = [
    path("", views_console.console, name="platform_console"),
    path("apply/", views_console.apply, name="platform_apply"),
    path("<uuid:public_id>/", views_console.platform_detail, name="platform_detail"),
    path("<uuid:public_id>/keys/", views_console.key_create, name="platform_key_create"),
    path("<uuid:public_id>/listing/", views_console.listing, name="platform_listing"),
    path(
        "<uuid:public_id>/keys/<slug:prefix>/revoke/",
        views_console.key_revoke,
        name="platform_key_revoke",
    ),
]

# --- The console's webhook pages (/platform/<platform>/webhooks/) ------------------------------
ENDPOINT = "<uuid:public_id>/webhooks/<uuid:endpoint_id>/"
console_webhooks = [
    path("<uuid:public_id>/webhooks/", webhooks_console.endpoints, name="platform_webhooks"),
    path(ENDPOINT, webhooks_console.endpoint_detail, name="platform_webhook_detail"),
    path(ENDPOINT + "enable/", webhooks_console.endpoint_enable, name="platform_webhook_enable"),
    path(ENDPOINT + "disable/", webhooks_console.endpoint_disable, name="platform_webhook_disable"),
    path(ENDPOINT + "test/", webhooks_console.endpoint_test, name="platform_webhook_test"),
    path(ENDPOINT + "replay/", webhooks_console.endpoint_replay, name="platform_webhook_replay"),
    path(ENDPOINT + "rotate/", webhooks_console.endpoint_rotate, name="platform_webhook_rotate"),
    path(ENDPOINT + "delete/", webhooks_console.endpoint_delete, name="platform_webhook_delete"),
]

urlpatterns = [
    path(
        "api/",
        include(
            [
                *consent_api,
                *log_api,
                path("v1/webhooks/", include(webhooks_api)),
                *spawning_api,
                *api_docs,
                re_path(r"^(?P<rest>.*)$", views.not_found),
            ]
        ),
    ),
    path("platform/", include([*console, *console_webhooks])),
    # The public page of how quickly each platform applies changes.
    path("platforms/", views_platforms.platforms, name="platforms"),
]
