"""Pages anyone can read: the registry's explanation, its promises, and public track pages."""

from django.urls import path

from registry import views_public

urlpatterns = [
    path("", views_public.home, name="home"),
    path("how-it-works/", views_public.how_it_works, name="how_it_works"),
    path("terms/", views_public.terms, name="terms"),
    path("privacy/", views_public.privacy, name="privacy"),
    path("t/<uuid:public_id>/", views_public.track_public, name="track_public"),
]
