"""The signed-in artist's pages."""

from django.urls import path

from registry import views_artist, views_trust

urlpatterns = [
    path("profile/", views_artist.profile, name="profile"),
    path("dashboard/", views_artist.dashboard, name="dashboard"),
    path("tracks/new/", views_artist.track_new, name="track_new"),
    path("tracks/<uuid:public_id>/", views_artist.track_detail, name="track_detail"),
    path("permissions/", views_artist.catalogue_permissions, name="catalogue_permissions"),
    path("permissions/opt-out-ai/", views_artist.opt_out_ai, name="opt_out_ai"),
    path("history/", views_artist.history, name="history"),
    path(
        "tracks/<uuid:public_id>/verification/",
        views_trust.verification_request,
        name="verification_request",
    ),
    path("notices/<uuid:public_id>/dismiss/", views_trust.dismiss_notice, name="dismiss_notice"),
    path("notices/dismiss/", views_trust.dismiss_all_notices, name="dismiss_all_notices"),
]
