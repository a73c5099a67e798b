"""The website's URLs, one module per area so each area can grow on its own."""

from django.urls import include, path

urlpatterns = [
    path("", include("registry.urls_public")),
    path("", include("registry.urls_artist")),
    path("", include("registry.urls_import")),
    path("", include("registry.urls_feeds")),
    path("", include("registry.urls_publish")),
    path("", include("registry.urls_disputes")),
    path("", include("registry.urls_proofs")),
]
