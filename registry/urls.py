from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/", include("api.urls")),
    path("platform/", include("api.urls_console")),
    path("platform/", include("api.urls_console_webhooks")),
    path("", include("registry.site_urls")),
]
