"""Proving claims: the artist's proofs and their checks, hiding a co-claimant's link, and the
artist's public page."""

from django.urls import path

from registry import views_proofs

urlpatterns = [
    path("proofs/", views_proofs.proof_list, name="proofs"),
    path("proofs/new/", views_proofs.proof_start, name="proof_start"),
    path("proofs/<uuid:public_id>/check/", views_proofs.proof_check, name="proof_check"),
    path("proofs/<uuid:public_id>/remove/", views_proofs.proof_remove, name="proof_remove"),
    path(
        "tracks/<uuid:public_id>/links/hide/",
        views_proofs.track_hide_link,
        name="track_hide_link",
    ),
    path("c/<slug:handle>/", views_proofs.creator_page, name="creator_page"),
]
