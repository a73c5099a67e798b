"""The signed-in artist's kit for publishing their choices on their own website."""

from django.urls import path

from registry import views_publish

urlpatterns = [
    path("publish/", views_publish.publish_kit, name="publish_kit"),
]
