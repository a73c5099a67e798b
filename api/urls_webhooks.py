"""/api/v1/webhooks/…: mounted by api/urls.py."""

from django.urls import path

from api.webhooks import views

urlpatterns = [
    path("", views.WebhookListView.as_view(), name="api_webhooks"),
    path("<uuid:endpoint_id>/", views.WebhookDetailView.as_view(), name="api_webhook"),
    path(
        "<uuid:endpoint_id>/rotate-secret/",
        views.WebhookRotateView.as_view(),
        name="api_webhook_rotate",
    ),
    path("<uuid:endpoint_id>/test/", views.WebhookTestView.as_view(), name="api_webhook_test"),
    path(
        "<uuid:endpoint_id>/replay/", views.WebhookReplayView.as_view(), name="api_webhook_replay"
    ),
    path(
        "<uuid:endpoint_id>/deliveries/",
        views.WebhookDeliveriesView.as_view(),
        name="api_webhook_deliveries",
    ),
]
