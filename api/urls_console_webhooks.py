"""The console's webhook pages, mounted at /platform/ beside api/urls_console.py."""

from django.urls import path

from api.webhooks import console as views

ENDPOINT = "<uuid:public_id>/webhooks/<uuid:endpoint_id>/"

urlpatterns = [
    path("<uuid:public_id>/webhooks/", views.endpoints, name="platform_webhooks"),
    path(ENDPOINT, views.endpoint_detail, name="platform_webhook_detail"),
    path(ENDPOINT + "enable/", views.endpoint_enable, name="platform_webhook_enable"),
    path(ENDPOINT + "disable/", views.endpoint_disable, name="platform_webhook_disable"),
    path(ENDPOINT + "test/", views.endpoint_test, name="platform_webhook_test"),
    path(ENDPOINT + "replay/", views.endpoint_replay, name="platform_webhook_replay"),
    path(ENDPOINT + "rotate/", views.endpoint_rotate, name="platform_webhook_rotate"),
    path(ENDPOINT + "delete/", views.endpoint_delete, name="platform_webhook_delete"),
]
