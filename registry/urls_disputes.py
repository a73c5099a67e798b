"""Disputes as artists see them: contesting a claim, and the page of each dispute."""

from django.urls import path

from registry import views_disputes

urlpatterns = [
    path("t/<uuid:public_id>/contest/", views_disputes.contest, name="contest_claim"),
    path("disputes/<uuid:public_id>/", views_disputes.dispute_detail, name="dispute_detail"),
    path(
        "disputes/<uuid:public_id>/evidence/<uuid:evidence_id>/",
        views_disputes.evidence_download,
        name="evidence_download",
    ),
]
